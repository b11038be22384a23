"""The incremental outline builder: trace parsing, guards, retries, fallback, flattening."""

from __future__ import annotations

import pytest

import helpers
from lmforge.classroom.agenda import AgendaNode, AgendaPage
from lmforge.classroom.deck import Deck
from lmforge.classroom.prepare.outline import (
    OutlineConfig,
    OutlineError,
    OutlineTree,
    build_outline,
    parse_trace,
    rule_outline,
)
from lmforge.errors import ServerError
from lmforge.llm.registry import get_llm
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig

TITLES = [
    "Python basics",
    "Variables",
    "Variable names",
    "Expressions",
    "Operators",
    "Operator precedence",
]

TRACE = OutlineConfig(answer="trace")  # the official answer: the outline path


def make_deck(titles: list[str] = TITLES) -> Deck:
    return helpers.make_deck(titles, name="basics")


DESC = [f"About {t.lower()}." for t in TITLES]


def trace(page: int, *sections: str) -> str:
    lines = ["- basics"] + [f"{'  ' * (d + 1)}- {s}" for d, s in enumerate(sections)]
    lines.append(f"{'  ' * (len(sections) + 1)}- P{page}: {DESC[page - 1]}")
    return "\n".join(lines)


def shape(root: AgendaNode) -> list:
    return [
        c.index if isinstance(c, AgendaPage) else (c.title, [p.index for p in c.children])
        for c in root.children
    ]


def test_parse_trace_reads_the_path_down_to_the_page():
    text = "Sure:\n- basics\n  - Variables\n    - Names\n      - P3: names\n- P4: next"
    assert parse_trace(text, 3, "basics") == ["Variables", "Names"]
    assert parse_trace("- **basics**\n    - P1: cover", 1, "basics") == []
    assert parse_trace("* Basics:\n\t* Intro\n\t\t* P2 : x", 2, "basics") == ["Intro"]
    copied = "- basics: cover\n  - P1: x\n  - Old (2 pages)   (closed: no)\n  - New\n    - P5: y"
    assert parse_trace(copied, 5, "basics") == ["New"]
    assert parse_trace("- basics\n  - Old (3 pages)\n    - P5: y", 5, "basics") == ["Old"]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("- basics\n  - Variables\n    - P4: wrong page", "no line '- P3"),
        ("- Python course\n  - Variables\n    - P3: x", "must start at the lecture title"),
        ("", "no line"),
    ],
)
def test_parse_trace_rejects_missing_page_or_wrong_root(text, why):
    with pytest.raises(OutlineError, match=why):
        parse_trace(text, 3, "basics")


def test_guards_reject_illegal_insertions():
    tree = OutlineTree("basics")
    with pytest.raises(OutlineError, match="cover"):
        tree.place([], 2)
    tree.place([], 1)
    tree.place(["Variables"], 2)
    with pytest.raises(OutlineError, match="single page"):
        tree.place(["Expressions"], 3)
    with pytest.raises(OutlineError, match="inside another page"):
        tree.place(["Variables", "P2: about variables"], 3)
    tree.place(["Variables"], 3)
    tree.place(["Expressions"], 4)
    with pytest.raises(OutlineError, match="closed"):
        tree.place(["Variables"], 5)
    with pytest.raises(OutlineError, match="deep"):
        tree.check(["a", "b", "c", "d"], 5, max_depth=3)
    tree.place(["Expressions", "Operators"], 5)  # a subsection of the open section is fine
    tree.place(["Expressions"], 6)
    assert shape(tree.flatten()) == [1, ("Variables", [2, 3]), ("Expressions", [4, 5, 6])]


async def test_model_outline_with_legal_answers_is_followed_and_flattened():
    answers = [
        trace(1),
        trace(2, "Variables"),
        trace(3, "Variables"),
        trace(4, "Expressions"),
        trace(5, "Expressions", "Operators"),
        trace(6, "Expressions", "Operators"),
    ]
    llm = ScriptedLLM(answers)
    root, stats = await build_outline(make_deck(), DESC, llm, TRACE)
    assert shape(root) == [1, ("Variables", [2, 3]), ("Expressions", [4, 5, 6])]
    assert stats.model_pages == 6 and stats.fallback_pages == 0 and stats.retries == 0
    assert root.children[1].children[0].description == DESC[1]
    first = llm.calls[3]
    assert "- P4: About expressions." in first.prompt
    assert "- P5: About operators." in first.prompt  # look-ahead
    assert first.config.stop == ("P4:", "P5:")


async def test_illegal_answer_is_retried_with_the_reason_then_accepted():
    answers = [
        trace(1),
        trace(2, "Variables"),
        trace(3, "Other"),  # would leave "Variables" with one page
        trace(3, "Variables"),
        trace(4, "Expressions"),
        trace(5, "Expressions"),
        trace(6, "Expressions"),
    ]
    llm = ScriptedLLM(answers)
    root, stats = await build_outline(make_deck(), DESC, llm, TRACE)
    assert stats.retries == 1 and stats.fallback_pages == 0
    assert "single page" in llm.calls[3].prompt
    assert llm.calls[3].config.sample_index == 1 and llm.calls[3].config.temperature > 0
    assert shape(root) == [1, ("Variables", [2, 3]), ("Expressions", [4, 5, 6])]


async def test_a_model_that_keeps_failing_falls_back_to_the_rule_and_is_dropped():
    llm = ScriptedLLM(["I think this page is about Python!", ServerError("boom")], cycle=True)
    cfg = OutlineConfig(answer="trace", retries=1, give_up_after=2)
    root, stats = await build_outline(make_deck(), DESC, llm, cfg)
    assert stats.fallback_pages == 6 and stats.gave_up_at == 2
    assert len(llm.calls) == 4  # two pages x two attempts, then the model is not asked
    assert root == rule_outline(make_deck(), DESC)


def test_rule_outline_fills_sections_then_follows_similar_titles():
    titles = [
        "Cover",
        "Loops",
        "Loop syntax",
        "Loop examples",
        "Nested loops",
        "Functions",
        "Arguments",
        "Return values",
        "Summary",
    ]
    root = rule_outline(make_deck(titles), ["x"] * 9)
    assert shape(root) == [1, ("Loops", [2, 3, 4, 5]), ("Functions", [6, 7, 8, 9])]
    two = rule_outline(make_deck(titles), ["x"] * 9, OutlineConfig(min_section_pages=2))
    assert shape(two)[1:3] == [("Loops", [2, 3, 4, 5]), ("Functions", [6, 7])]
    capped = rule_outline(
        make_deck(["Cover"] + ["Loops"] * 9), ["x"] * 10, OutlineConfig(max_section_pages=4)
    )
    assert [len(s.children) for s in capped.children[1:]] == [4, 5]  # 1-page tail merged
    untitled = rule_outline(make_deck(["Cover", "", "", "", ""]), ["x"] * 5)
    assert shape(untitled) == [1, ("Part 1", [2, 3, 4, 5])]


def test_finish_repairs_a_last_single_page_section():
    tree = OutlineTree("basics")
    tree.place([], 1)
    tree.place(["A"], 2)
    tree.finish()
    assert shape(tree.flatten()) == [("A", [1, 2])]


@pytest.mark.slow
async def test_outline_through_the_embedded_model_is_legal(tmp_path):
    deck = make_deck(TITLES[:4])
    llm = get_llm("embedded", cache=False)
    cfg = OutlineConfig(answer="trace", retries=0, generation=GenerateConfig(max_tokens=96))
    root, stats = await build_outline(deck, DESC[:4], llm, cfg)
    pages = [
        p.index for c in root.children for p in ([c] if isinstance(c, AgendaPage) else c.children)
    ]
    assert pages == [1, 2, 3, 4]
    assert all(len(s.children) >= 2 for s in root.children if isinstance(s, AgendaNode))
    assert stats.model_pages + stats.fallback_pages == 4
