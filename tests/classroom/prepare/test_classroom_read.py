"""Read: page descriptions with three pages of context; extractive fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

import helpers
from lmforge.classroom.deck import Deck, Page
from lmforge.classroom.prepare.read import (
    clean_description,
    describe_pages,
    extract_description,
    page_text,
    supports_images,
)
from lmforge.errors import ServerError
from lmforge.llm.registry import get_llm
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig


def make_deck(n: int = 5) -> Deck:
    return helpers.make_deck(n, text="{title}\n\n  Point {i} matters.\n", notes={2: "Say hello."})


def test_extract_description_uses_title_then_body():
    deck = make_deck()
    assert extract_description(deck.page(1)) == "Topic 1: Point 1 matters."
    assert extract_description(Page(index=3)) == "Page 3 (no text)"
    long = Page(index=1, title="T", text="T\n" + "word " * 100)
    assert extract_description(long, max_words=5).endswith("word ...")
    assert page_text(deck.page(1)) == "Topic 1\nPoint 1 matters."


def test_clean_description_strips_labels_markup_and_extra_sentences():
    raw = "## Description of slide 2: **This slide** shows loops. It has a demo. Also this. More."
    assert clean_description(raw) == "This slide shows loops. It has a demo. Also this."
    assert clean_description("  \n### \n") == ""


async def test_descriptions_see_three_earlier_pages_and_fall_back_on_bad_answers():
    deck = make_deck()
    llm = ScriptedLLM(["First page.", "Second page.", "", "Fourth page.", ServerError("down")])
    descriptions, fallbacks = await describe_pages(deck, llm)
    assert descriptions == [
        "First page.",
        "Second page.",
        "Topic 3: Point 3 matters.",
        "Fourth page.",
        "Topic 5: Point 5 matters.",
    ]
    assert fallbacks == 2
    call = llm.calls[4]
    assert [m.role for m in call.messages] == ["system"] + ["user", "assistant"] * 3 + ["user"]
    assert call.messages[2].content == "Second page."  # pages 2, 3, 4 as context
    assert "Slide 5: Topic 5" in call.prompt and "Speaker notes" in call.messages[1].content
    assert supports_images(llm) is False


async def test_no_model_means_extractive_descriptions():
    descriptions, fallbacks = await describe_pages(make_deck(2), None)
    assert descriptions[1] == "Topic 2: Point 2 matters." and fallbacks == 0


@pytest.mark.slow
async def test_descriptions_through_the_embedded_model():
    deck = Deck(
        name="python",
        source=Path("p.pptx"),
        kind="pptx",
        pages=[
            Page(
                index=1, title="Variables", text="Variables\nA variable is a named place in memory"
            ),
            Page(index=2, title="Assignment", text="Assignment\nx = 3.9 * x * (1 - x)"),
        ],
    )
    llm = get_llm("embedded", cache=False)
    descriptions, fallbacks = await describe_pages(deck, llm, GenerateConfig(max_tokens=48))
    assert len(descriptions) == 2 and all(d.strip() for d in descriptions)
    assert fallbacks <= 2


async def test_rejected_descriptions_are_asked_again_when_retries_allow():
    deck = make_deck(2)
    llm = ScriptedLLM(["", "### **", "Second page."])
    descriptions, fallbacks = await describe_pages(deck, llm, retries=1)
    assert descriptions == ["Topic 1: Point 1 matters.", "Second page."]
    assert fallbacks == 1 and len(llm.calls) == 3
    assert llm.calls[1].config.sample_index == 1 and llm.calls[2].config.sample_index == 0
