"""validate_agenda on a good agenda and on every kind of broken one."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import helpers
from lmforge.classroom.agenda import (
    Agenda,
    AgendaNode,
    AgendaPage,
    AskQuestion,
    Question,
    ReadScript,
    ShowFile,
)
from lmforge.classroom.prepare.validate import validate_agenda

DECK = helpers.make_deck(6, title="T{i}", text="{title}", kind="pdf")


def question(kind: str = "single choice", answer: tuple[int, ...] = (1,)) -> AskQuestion:
    return AskQuestion(
        question=Question(
            question="Which?", question_type=kind, selects=["a", "b", "c"], answer=list(answer)
        )
    )


def page(i: int, asks: int = 0) -> AgendaPage:
    return AgendaPage(
        index=i,
        description=f"d{i}",
        functions=[
            ShowFile(page=i),
            ReadScript(script=f"Words for page {i}."),
            *(question() for _ in range(asks)),
        ],
    )


def good() -> Agenda:
    """Cover; a section of 2 pages (no questions); a section of 3 (questions on its last)."""
    return helpers.make_agenda(
        [1, ("A", [2, 3]), ("B", [4, 5, 6])],
        deck="demo.pdf",
        page=lambda i: page(i, asks=3 if i == 6 else 0),
    )


def test_a_good_agenda_has_no_problems():
    assert validate_agenda(good(), DECK) == []


def _section(agenda: Agenda, k: int) -> AgendaNode:
    return agenda.sections()[k]


BREAKS: list[tuple[str, Callable[[Agenda], None], str]] = [
    ("missing", lambda a: _section(a, 0).children.pop(), "P3 is missing"),
    ("duplicate", lambda a: _section(a, 0).children.append(page(2)), "P2 appears more than once"),
    ("order", lambda a: _section(a, 0).children.reverse(), "out of order"),
    ("unknown", lambda a: _section(a, 0).children.append(page(9)), "P9 is not a page"),
    (
        "root page",
        lambda a: a.root.children.insert(1, _section(a, 0).children.pop(0)),
        "P2 sits at the root",
    ),
    (
        "one-page section",
        lambda a: a.root.children.insert(
            2, AgendaNode(title="C", children=[_section(a, 0).children.pop()])
        ),
        "section 'C' holds 1 page",
    ),
    ("nested", lambda a: _section(a, 0).children.append(AgendaNode(title="deep")), "not flat"),
    ("root title", lambda a: setattr(a.root, "title", "other"), "not the deck name"),
    ("no showfile", lambda a: a.page(2).functions.pop(0), "P2: the first function must be"),
    (
        "wrong showfile",
        lambda a: setattr(a.page(2).functions[0], "page", 3),
        "P2: ShowFile shows page 3",
    ),
    ("empty script", lambda a: setattr(a.page(3).functions[1], "script", " "), "empty script"),
    (
        "long script",
        lambda a: setattr(a.page(3).functions[1], "script", "One. Two. Three."),
        "more than 2 sentences",
    ),
    (
        "questions elsewhere",
        lambda a: a.page(3).functions.append(question()),
        "P3: has questions but",
    ),
    ("two questions", lambda a: a.page(6).functions.pop(), "needs 3 questions, has 2"),
    (
        "bad index",
        lambda a: a.page(6).functions.__setitem__(2, question(answer=(5,))),
        "P6 question 1: answer [5] is not an index",
    ),
    (
        "multiple with one",
        lambda a: a.page(6).functions.__setitem__(3, question("multiple choice", (0,))),
        "multiple choice with a single correct option",
    ),
    (
        "single with two",
        lambda a: a.page(6).functions.__setitem__(4, question("single choice", (0, 1))),
        "single choice with 2 correct options",
    ),
    (
        "stray function",
        lambda a: a.page(4).functions.insert(2, ShowFile(page=4)),
        "only AskQuestion may follow",
    ),
]


@pytest.mark.parametrize(("name", "breaking", "expected"), BREAKS, ids=[b[0] for b in BREAKS])
def test_each_break_is_reported(name, breaking, expected):
    agenda = good()
    breaking(agenda)
    problems = validate_agenda(agenda, DECK)
    assert any(expected in p for p in problems), problems


def test_questions_move_with_the_sections():
    agenda = good()
    moved = _section(agenda, 1).children.pop(0)  # P4 joins section A: A = 2,3,4; B = 5,6
    _section(agenda, 0).children.append(moved)
    problems = validate_agenda(agenda, DECK)
    assert "P4: ends a section of >= 3 pages, so needs 3 questions, has 0" in problems
    assert any(p.startswith("P6: has questions") for p in problems)
