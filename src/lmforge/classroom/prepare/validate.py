"""Structural checks of an agenda against its deck (the quality bar of Read/Plan).

Run after ``prepare`` and after a teacher's edits; every problem is one line naming the page or
section, so a CLI can print them as they are. The rules are the spec's (§2.2, §5.2):

* every deck page appears exactly once, in deck order;
* the root holds sections and, at most, the cover (page 1); sections hold only pages (the tree
  is flat) and more than one page each, unless the deck is too short for that;
* each page's functions are ShowFile(this page) -> ReadScript (non-empty, at most two
  sentences) -> AskQuestion x3 on the last page of each section with >= 3 pages, none elsewhere;
* each question has valid 0-based answer indices; multiple choice has more than one answer,
  single choice exactly one.
"""

from __future__ import annotations

from lmforge.classroom.agenda import (
    Agenda,
    AgendaNode,
    AgendaPage,
    AskQuestion,
    Question,
    ReadScript,
    ShowFile,
)
from lmforge.classroom.deck import Deck
from lmforge.classroom.prepare.plan import QUESTIONS_PER_SECTION, question_pages
from lmforge.text.split import split_sentences

__all__ = ["validate_agenda"]


def _structure(agenda: Agenda, deck: Deck) -> list[str]:
    problems: list[str] = []
    if agenda.root.title != deck.name:
        problems.append(f"root title '{agenda.root.title}' is not the deck name '{deck.name}'")
    order = [p.index for p in agenda.pages()]
    expected = [p.index for p in deck.pages]
    seen: set[int] = set()
    for index in order:
        if index in seen:
            problems.append(f"P{index} appears more than once")
        elif index not in expected:
            problems.append(f"P{index} is not a page of the deck ({len(expected)} pages)")
        seen.add(index)
    problems += [f"P{i} is missing" for i in expected if i not in seen]
    unique = list(dict.fromkeys(i for i in order if i in expected))
    if unique != sorted(unique):
        problems.append(f"pages are out of order: {' '.join(f'P{i}' for i in unique)}")
    for child in agenda.root.children:
        if isinstance(child, AgendaPage) and child.index != 1:
            problems.append(f"P{child.index} sits at the root; only the cover (P1) may")
    sections = agenda.sections()
    for section in sections:
        nested = [c for c in section.children if isinstance(c, AgendaNode)]
        if nested:
            problems.append(f"section '{section.title}' is not flat: holds '{nested[0].title}'")
        pages = [c for c in section.children if isinstance(c, AgendaPage)]
        if len(pages) < 2 and len(deck.pages) > 2:
            problems.append(f"section '{section.title}' holds {len(pages)} page(s), needs >= 2")
    if not sections and len(deck.pages) > 1:
        problems.append("the agenda has no sections")
    return problems


def _question(page: int, k: int, q: Question) -> list[str]:
    where = f"P{page} question {k}"
    problems = []
    if not q.question.strip():
        problems.append(f"{where}: empty question text")
    if any(i < 0 or i >= len(q.selects) for i in q.answer):
        problems.append(
            f"{where}: answer {q.answer} is not an index of its {len(q.selects)} options"
        )
    if len(set(q.answer)) != len(q.answer):
        problems.append(f"{where}: repeated answer index")
    if q.question_type == "multiple choice" and len(q.answer) < 2:
        problems.append(f"{where}: multiple choice with a single correct option")
    if q.question_type == "single choice" and len(q.answer) != 1:
        problems.append(f"{where}: single choice with {len(q.answer)} correct options")
    return problems


def _functions(page: AgendaPage, marked: bool, max_sentences: int) -> list[str]:
    where = f"P{page.index}"
    fns = page.functions
    problems = []
    if not fns or not isinstance(fns[0], ShowFile):
        problems.append(f"{where}: the first function must be ShowFile")
    elif fns[0].page != page.index:
        problems.append(f"{where}: ShowFile shows page {fns[0].page}")
    if len(fns) < 2 or not isinstance(fns[1], ReadScript):
        problems.append(f"{where}: the second function must be ReadScript")
    else:
        script = fns[1].script.strip()
        if not script:
            problems.append(f"{where}: empty script")
        elif len(split_sentences(script)) > max_sentences:
            problems.append(f"{where}: script has more than {max_sentences} sentences")
    asks = [f for f in fns[2:] if isinstance(f, AskQuestion)]
    if len(asks) != len(fns[2:]):
        problems.append(f"{where}: only AskQuestion may follow ShowFile and ReadScript")
    if marked and len(asks) != QUESTIONS_PER_SECTION:
        problems.append(
            f"{where}: ends a section of >= 3 pages, so needs "
            f"{QUESTIONS_PER_SECTION} questions, has {len(asks)}"
        )
    if not marked and asks:
        problems.append(f"{where}: has questions but does not end a section of >= 3 pages")
    for k, ask in enumerate(asks, 1):
        problems += _question(page.index, k, ask.question)
    return problems


def validate_agenda(agenda: Agenda, deck: Deck, *, max_sentences: int = 2) -> list[str]:
    """Every way ``agenda`` breaks the rules for ``deck``; empty when it is valid."""
    problems = _structure(agenda, deck)
    marked = set(question_pages(agenda))
    for page in agenda.pages():
        problems += _functions(page, page.index in marked, max_sentences)
    return problems
