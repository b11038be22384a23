"""The outline builder's ``choice`` answers: schema-constrained decisions, forced pages,
retries, and a real run through the embedded model."""

from __future__ import annotations

import json

import pytest

import helpers
from lmforge.classroom.deck import Deck
from lmforge.classroom.prepare.outline import OutlineConfig, build_outline
from lmforge.classroom.prepare.outline_choice import (
    NEW_SECTION,
    ChoiceError,
    choice_schema,
    parse_choice,
)
from lmforge.llm.registry import get_llm
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig

TITLES = [
    "Python basics",
    "Variables",
    "Variable names",
    "Assignment",
    "Expressions",
    "Operators",
    "Operator precedence",
]
DESC = [f"{t}: a line about {t.lower()}." for t in TITLES]


def make_deck(titles: list[str] = TITLES) -> Deck:
    return helpers.make_deck(titles, name="basics")


def shape(root) -> list:
    return [
        getattr(c, "index", None) or (c.title, [p.index for p in c.children]) for c in root.children
    ]


def reply(section: str, title: str = "") -> str:
    return json.dumps({"section": section, "new_title": title})


def test_parse_choice_accepts_only_the_legal_decisions():
    assert parse_choice(reply("Variables"), "Variables") is None
    assert parse_choice(reply("variables"), "Variables") is None
    assert parse_choice(reply(NEW_SECTION, "Expressions: and more"), "Variables") == "Expressions"
    assert parse_choice('```json\n{"section": "NEW SECTION", "new_title": ""}\n```', None) == ""
    with pytest.raises(ChoiceError, match="must be 'Variables' or \"NEW SECTION\""):
        parse_choice(reply("Loops"), "Variables")
    with pytest.raises(ChoiceError, match="not the JSON object"):
        parse_choice("It goes with variables.", "Variables")
    assert choice_schema("Variables")["properties"]["section"]["enum"] == ["Variables", NEW_SECTION]
    assert choice_schema(None)["properties"]["section"]["enum"] == [NEW_SECTION]


async def test_decisions_are_followed_and_forced_pages_cost_no_call():
    answers = [
        reply(NEW_SECTION, "Variables"),  # P2 opens the first section
        reply("Variables"),  # P4 (P3 was forced: 1-page section)
        reply(NEW_SECTION, "Expressions"),  # P5
        reply("Expressions"),
    ]  # P7 (P6 forced)
    llm = ScriptedLLM(answers)
    root, stats = await build_outline(make_deck(), DESC, llm)
    assert shape(root) == [1, ("Variables", [2, 3, 4]), ("Expressions", [5, 6, 7])]
    assert (stats.model_pages, stats.forced_pages, stats.fallback_pages) == (4, 3, 0)
    assert len(llm.calls) == 4
    schema = llm.calls[1].config.json_schema
    assert schema["properties"]["section"]["enum"] == ["Variables", NEW_SECTION]
    prompt = llm.calls[2].prompt
    assert "Open section: Variables" in prompt and "- P5: Expressions" in prompt
    assert "- P6: Operators" in prompt  # look-ahead


async def test_a_bad_decision_is_retried_with_the_reason_then_falls_back():
    answers = [
        reply(NEW_SECTION, "Variables"),
        "no idea",
        reply("Variables"),
        "x",
        "y",
        "z",
    ]  # P5: three failures -> the rule places it
    llm = ScriptedLLM([*answers, reply("Variables")], cycle=False)
    cfg = OutlineConfig(retries=2, give_up_after=3)
    root, stats = await build_outline(make_deck(TITLES[:6]), DESC[:6], llm, cfg)
    assert "not the JSON object" in llm.calls[2].prompt  # the retry is told why
    assert llm.calls[2].config.sample_index == 1
    assert stats.model_pages == 2 and stats.fallback_pages == 1 and stats.retries == 3
    # the rule opened P5's section (a new title), P6 was forced into it
    assert shape(root) == [1, ("Variables", [2, 3, 4]), ("Expressions", [5, 6])]


async def test_a_closed_title_is_never_reopened():
    titles = ["Cover", "A", "A2", "B", "B2", "A again"]
    answers = [
        reply(NEW_SECTION, "Part A"),
        reply(NEW_SECTION, "Part B"),
        reply(NEW_SECTION, "Part A"),
    ]
    root, _ = await build_outline(make_deck(titles), ["d"] * 6, ScriptedLLM(answers))
    names = [c.title for c in root.children if hasattr(c, "title")]
    assert len(names) == len(set(names))  # "Part A" came back renamed, not merged


@pytest.mark.slow
async def test_the_embedded_model_builds_the_outline_itself():
    """With the schema the 0.5B model's decisions are legal: no page needs the rule."""
    llm = get_llm("embedded", cache=False)
    cfg = OutlineConfig(generation=GenerateConfig(max_tokens=48))
    root, stats = await build_outline(make_deck(), DESC, llm, cfg)
    assert stats.fallback_pages == 0 and stats.model_pages >= 3
    sections = [c for c in root.children if hasattr(c, "title")]
    assert [p.index for s in sections for p in s.children][-1] == 7
    assert all(len(s.children) >= 2 for s in sections)


async def test_a_full_section_is_closed_without_asking():
    titles = ["Cover"] + [f"Topic {i}" for i in range(2, 10)]
    llm = ScriptedLLM(
        [reply(NEW_SECTION, "Everything")] + [reply("Everything")] * 2 + [reply("Topic 6")] * 2
    )
    cfg = OutlineConfig(max_section_pages=4)
    root, stats = await build_outline(make_deck(titles), ["d"] * 9, llm, cfg)
    # P2 opens, P3 forced, P4-P5 continue, P6 finds it full: a new section named after it,
    # P7 forced into that, P8 and P9 asked again
    assert shape(root)[:2] == [1, ("Everything", [2, 3, 4, 5])]
    assert shape(root)[2] == ("Topic 6", [6, 7, 8, 9])
    assert len(llm.calls) == 5 and stats.forced_pages == 4 and stats.fallback_pages == 0


def test_echoed_tags_and_markers_are_not_titles():
    assert parse_choice(reply(NEW_SECTION, "NESECTION 2 (2 pages) 2023-01-24"), "A") == ""
    assert parse_choice(reply(NEW_SECTION, "NEW SECTION"), "A") == ""
    assert parse_choice(reply(NEW_SECTION, "Loops (3 pages)"), "A") == "Loops"
    assert parse_choice(reply(NEW_SECTION, "New sections of code"), "A") == "New sections of code"
