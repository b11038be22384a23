"""Page images reach vision models (and only them) in the description and script stages.

The scripted model pins what is sent; the end-to-end run through a real (tiny, random) vision
model is in ``test_vision_model_prepares_a_deck``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from lmforge.classroom.agenda import ReadScript
from lmforge.classroom.deck import Deck, Page
from lmforge.classroom.prepare import PrepareConfig, prepare_with_report
from lmforge.classroom.prepare.plan import PlanConfig, regenerate_page
from lmforge.classroom.prepare.read import describe_pages, supports_images
from lmforge.classroom.prepare.validate import validate_agenda
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig, ImagePart


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


async def _prepare_counting(deck: Deck, llm) -> tuple[list[tuple[int, int]], object]:
    """Prepare through ``llm``; for every call that carries images, also send the same messages
    without them and record ``(images, extra prompt tokens)``."""
    from lmforge.classroom.prepare.run import _TimedLLM
    from lmforge.llm.types import Message

    seen: list[tuple[int, int]] = []

    class Counting(_TimedLLM):
        async def _generate(self, messages, config):
            completion = await super()._generate(messages, config)
            images = sum(len(m.images) for m in messages)
            if images:
                plain = [Message(role=m.role, content=m.text) for m in messages]
                bare = await self.inner.generate(plain, config.model_copy(update={"max_tokens": 1}))
                seen.append((images, completion.usage.prompt_tokens - bare.usage.prompt_tokens))
            return completion

    config = PrepareConfig(
        plan=PlanConfig(
            script=GenerateConfig(max_tokens=8),
            questions=GenerateConfig(max_tokens=16),
            question_retries=0,
        ),
        describe_generation=GenerateConfig(max_tokens=8),
    )
    config.outline_config.retries = 0
    agenda, _ = await prepare_with_report(deck, Counting(llm), config=config)
    return seen, agenda


async def test_vision_model_prepares_a_deck(tmp_path: Path):
    """A real (tiny, random) LLaVA through the hf backend: every description and script call
    carries its page image, which costs exactly the image's 16 prompt tokens."""
    from lmforge.llm.registry import get_llm
    from lmforge.training import save_tiny_llava

    folder = save_tiny_llava(tmp_path / "llava", max_positions=4096)  # slides are long
    llm = get_llm("hf:" + str(folder), cache=False)
    deck = image_deck(tmp_path, 4)
    seen, agenda = await _prepare_counting(deck, llm)
    assert validate_agenda(agenda, deck) == []
    assert seen == [(1, 16)] * 8  # 4 descriptions + 4 scripts


def test_prepare_cli_through_a_served_vision_model(tmp_path: Path):
    """`classroom prepare` against a real OpenAI-compatible server on 127.0.0.1 that serves the
    tiny LLaVA: a `#vision` spec makes prepare render the pages and send them. The deck is
    scanned slides (images, no text layer): only a vision model can see their content."""
    import subprocess
    import sys

    from PIL import ImageDraw

    from lmforge.llm.serve import spawned_server
    from lmforge.training import save_tiny_llava

    folder = save_tiny_llava(tmp_path / "llava", max_positions=4096)
    slides = []
    for words in ["Loops", "For loops", "While loops", "Summary"]:
        slide = Image.new("RGB", (320, 180), "white")
        ImageDraw.Draw(slide).text((20, 20), words, fill="black")
        slides.append(slide)
    pdf = tmp_path / "talk.pdf"
    slides[0].save(pdf, "PDF", save_all=True, append_images=slides[1:])
    out = tmp_path / "talk.lecture.json"
    with spawned_server("hf:" + str(folder)) as url:
        cmd = [
            sys.executable,
            "-m",
            "lmforge.cli",
            "classroom",
            "prepare",
            str(pdf),
            "-q",
            "--model",
            f"openai:llava@{url}#vision",
            "--out",
            str(out),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "pages: 4" in result.stdout and "problems: 0" in result.stdout
    assert len(list((tmp_path / "talk.pages").glob("*.png"))) == 4
