"""Page images reach vision models (and only them) in the description and script stages.

The scripted model pins what is sent; the end-to-end run through a real (tiny, random) vision
model is in ``test_vision_model_prepares_a_deck``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from lmforge.classroom.agenda import ReadScript
from lmforge.classroom.deck import Deck, Page
from lmforge.classroom.plan import PlanConfig, regenerate_page
from lmforge.classroom.prepare import PrepareConfig, prepare_with_report
from lmforge.classroom.read import describe_pages, supports_images
from lmforge.classroom.validate import validate_agenda
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import ImagePart


def image_deck(tmp_path: Path, n: int = 4) -> Deck:
    pages = []
    for i in range(1, n + 1):
        path = tmp_path / f"p{i}.png"
        Image.new("RGB", (32, 24), (40 * i, 255 - 40 * i, 90)).save(path)
        pages.append(Page(index=i, title=f"Topic {i}", text=f"Topic {i}\nPoint {i}.", image=path))
    return Deck(name="demo", source=tmp_path / "demo.pdf", kind="pdf", pages=pages)


def images_of(call) -> list[bytes]:
    return [part.to_bytes() for m in call.messages for part in m.images]


async def test_vision_model_sees_the_current_page_only(tmp_path: Path):
    deck = image_deck(tmp_path)
    llm = ScriptedLLM(["A page."], cycle=True, supports_images=True)
    assert supports_images(llm)
    await describe_pages(deck, llm)
    for page, call in zip(deck.pages, llm.calls, strict=True):
        assert images_of(call) == [page.image.read_bytes()]  # earlier pages stay text
        last = call.messages[-1]
        assert isinstance(last.content[0], ImagePart) and "image above" in last.text


async def test_text_model_and_switched_off_images_send_text_only(tmp_path: Path):
    deck = image_deck(tmp_path)
    text_model = ScriptedLLM(["A page."], cycle=True)
    await describe_pages(deck, text_model)
    vision = ScriptedLLM(["A page."], cycle=True, supports_images=True)
    await describe_pages(deck, vision, images=False)
    for call in [*text_model.calls, *vision.calls]:
        assert images_of(call) == [] and isinstance(call.messages[-1].content, str)
        assert "image above" not in call.prompt


async def test_prepare_sends_images_to_descriptions_and_scripts(tmp_path: Path):
    deck = image_deck(tmp_path, 5)
    llm = ScriptedLLM(["Plain words about it."], cycle=True, supports_images=True)
    agenda, report = await prepare_with_report(deck, llm)
    assert validate_agenda(agenda, deck) == []
    with_images = [c for c in llm.calls if images_of(c)]
    describe = [c for c in with_images if "Description of slide" in c.prompt]
    scripts = [c for c in with_images if "say at most two sentences" in c.prompt]
    assert len(describe) == 5 and len(scripts) == 5 and len(with_images) == 10
    for page, call in zip(agenda.pages(), scripts, strict=True):
        assert images_of(call) == [deck.page(page.index).image.read_bytes()]
    # the outline and questions stages are text: nothing else carried an image
    assert report.stages[0].calls == 5


async def test_prepare_without_images_and_regenerate_with_them(tmp_path: Path):
    deck = image_deck(tmp_path, 5)
    llm = ScriptedLLM(["Plain words about it."], cycle=True, supports_images=True)
    config = PrepareConfig(plan=PlanConfig(images=False))
    agenda, _ = await prepare_with_report(deck, llm, config=config)
    assert not any(images_of(c) for c in llm.calls)
    redo = ScriptedLLM(["A new script."], supports_images=True)
    updated = await regenerate_page(agenda, deck, 3, "script", redo)
    assert images_of(redo.calls[0]) == [deck.page(3).image.read_bytes()]
    script = next(f for f in updated.page(3).functions if isinstance(f, ReadScript))
    assert script.script == "A new script."
