"""Plan: the teaching actions of every page (spec §2.2 steps 4-6).

* ShowFile on every page (the page image/number).
* ReadScript on every page, written in teaching order because each call sees the previous
  three pages and the scripts already written (so the pieces read as one talk). The script is
  cut to at most two sentences (the official rule, stated in the prompt and enforced here).
  An answer that is empty, echoes the prompt or has nothing left after trimming is asked again
  (``script_retries`` times, under :data:`REASK`), then becomes a one-sentence script from the
  page title.
* AskQuestion x3 at the last page of each top-level section with at least three pages, from
  that page's script (current teaching content) and up to three earlier scripts (previous
  content). The questions of different sections are independent, so they are asked
  concurrently (:func:`~lmforge.pipeline.ask.ask_many`); an answer that does not parse into
  exactly 3 questions is asked again, up to ``question_retries`` times (official: 3). Fix
  over the official loop (default): an answer with more than 3 valid questions keeps the first
  3 instead of being discarded. When every attempt fails the section gets
  :func:`fallback_questions`, so the agenda always has its questions.

:func:`regenerate_page` redoes one page's script or questions of a saved (maybe hand-edited)
agenda, with the context taken from the agenda as it stands, and leaves everything else alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from lmforge.classroom.agenda import Agenda, AgendaPage, AskQuestion, Question, ReadScript, ShowFile
from lmforge.classroom.deck import Deck
from lmforge.classroom.prepare.quiz_format import (
    parse_json_questions,
    parse_questions,
    questions_schema,
)
from lmforge.classroom.prepare.read import (
    CONTEXT_PAGES,
    PAGE_CHARS,
    answer_or_none,
    nonempty,
    page_message,
    page_text,
    supports_images,
)
from lmforge.errors import InputError, ParseFailure
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig, Message, Request
from lmforge.pipeline.ask import ReaskRule, ask_many, ask_result
from lmforge.pipeline.prompts import load_prompt
from lmforge.text.split import split_sentences

__all__ = [
    "PlanConfig",
    "attach_showfiles",
    "ask_questions",
    "fallback_questions",
    "parse_questions",
    "question_pages",
    "regenerate_page",
    "trim_script",
    "write_scripts",
]

QUESTIONS_PER_SECTION = 3
MIN_SECTION_PAGES = 3

REASK = ReaskRule(temperature=0.7, bump_seed=True)
"""Re-asks of a script or question prompt sample at 0.7 at least (a greedy model would repeat
the unusable answer), each with its own sample index and seed."""
QUESTION_REASK = REASK


class PlanConfig(BaseModel):
    """How scripts and questions are generated."""

    script: GenerateConfig = GenerateConfig(max_tokens=96)
    """Sampling for ReadScript."""
    questions: GenerateConfig = GenerateConfig(max_tokens=640)
    """Sampling for AskQuestion (three questions with five options need room)."""
    max_sentences: int = Field(2, ge=1)
    """Sentences kept per script (official: at most two)."""
    script_retries: int = Field(1, ge=0)
    """Extra attempts when a script answer is empty, echoes the prompt or is only markup."""
    question_retries: int = Field(3, ge=0)
    """Extra attempts when an answer does not give 3 questions (official: 3)."""
    question_format: Literal["json", "text"] = "json"
    """``json``: the question fields under a JSON schema (small models manage it); ``text``:
    the official marked-up layout."""
    strict_questions: bool = False
    """Drop items whose single/multiple tag contradicts their answer (official) instead of
    retyping them from the answer."""
    page_chars: int = Field(PAGE_CHARS, ge=50)
    """Characters of each page's text in a description or script prompt (four pages per
    prompt: small context windows and CPU prompt time)."""
    context_pages: int = Field(CONTEXT_PAGES, ge=0)
    """Earlier pages (with their descriptions or scripts) each description or script prompt
    shows (official: 3)."""
    images: bool = True
    """Show a vision model the rendered page with its description and script requests (as the
    official VLM stages do); text models never get images."""


# ----------------------------------------------------------------------------- scripts

_SCRIPT_LABEL = re.compile(
    r"^\s*(?:\**\s*(?:script|teacher|slide \d+|what you say[^:]*)\s*\**\s*"
    r"[:：]\s*)+",
    re.I,
)


def trim_script(text: str, max_sentences: int = 2) -> str:
    """At most ``max_sentences`` sentences of a model answer, without labels, quotes or markup."""
    lines = [line.strip().lstrip("#>*- ").strip() for line in text.strip().splitlines()]
    joined = " ".join(line for line in lines if line)
    joined = _SCRIPT_LABEL.sub("", joined).replace("**", "").strip().strip('"“”').strip()
    if not joined:
        return ""
    return " ".join(s.text for s in split_sentences(joined)[:max_sentences]).strip()


def _fallback_script(page: AgendaPage, deck: Deck) -> str:
    title = deck.page(page.index).title.strip() or page.description.split(".")[0].strip()
    return f"Let's look at {title}." if title else "Let's look at this slide."


def attach_showfiles(agenda: Agenda) -> None:
    """ShowFile first on every page (idempotent: an existing one is replaced)."""
    for page in agenda.pages():
        rest = [f for f in page.functions if not isinstance(f, ShowFile)]
        page.functions = [ShowFile(page=page.index), *rest]


def _script_of(page: AgendaPage) -> str | None:
    return next((f.script for f in page.functions if isinstance(f, ReadScript)), None)


def _script_user(
    deck: Deck, page: AgendaPage, image: bool = False, chars: int = PAGE_CHARS
) -> list[dict[str, str]]:
    deck_page = deck.page(page.index)
    return load_prompt("lmforge.classroom", "read_script").messages(
        deck_name=deck.name,
        index=page.index,
        title=deck_page.title,
        text=page_text(deck_page, chars),
        description=page.description,
        image=image,
    )


def _script_messages(
    deck: Deck,
    pages: list[AgendaPage],
    at: int,
    images: bool = False,
    chars: int = PAGE_CHARS,
    context: int = CONTEXT_PAGES,
) -> list[Message]:
    """System, three earlier (page, script) turns, then the page (with its image for a vision
    model)."""
    deck_page = deck.page(pages[at].index)
    with_image = images and deck_page.image is not None
    current = _script_user(deck, pages[at], with_image, chars)
    messages = [Message(**current[0])]
    for earlier in pages[max(0, at - context) : at]:
        messages.append(Message(**_script_user(deck, earlier, chars=chars)[-1]))
        messages.append(Message(role="assistant", content=_script_of(earlier) or ""))
    messages.append(page_message(current[-1], deck_page, with_image))
    return messages


async def _write_script(
    llm: LLM, deck: Deck, pages: list[AgendaPage], at: int, config: PlanConfig
) -> tuple[str, bool]:
    """``(script, fell back?)`` for ``pages[at]``."""
    images = config.images and supports_images(llm)
    messages = _script_messages(deck, pages, at, images, config.page_chars, config.context_pages)
    result = await ask_result(
        llm,
        messages,
        nonempty(lambda text: trim_script(text, config.max_sentences), "script"),
        config=config.script,
        attempts=config.script_retries + 1,
        reask=REASK,
    )
    script = answer_or_none(result)
    if script:
        return script, False
    return _fallback_script(pages[at], deck), True


def _set_script(page: AgendaPage, script: str) -> None:
    rest = [f for f in page.functions if not isinstance(f, (ShowFile, ReadScript))]
    shows = [f for f in page.functions if isinstance(f, ShowFile)]
    page.functions = [*shows, ReadScript(script=script), *rest]


async def write_scripts(
    agenda: Agenda,
    deck: Deck,
    llm: LLM,
    config: PlanConfig | None = None,
    *,
    on_page: Callable[[int], None] | None = None,
) -> int:
    """ReadScript on every page, in teaching order; returns how many fell back."""
    config = config or PlanConfig()
    pages = list(agenda.pages())
    fallbacks = 0
    for at, page in enumerate(pages):
        script, fell_back = await _write_script(llm, deck, pages, at, config)
        fallbacks += fell_back
        _set_script(page, script)
        if on_page is not None:
            on_page(page.index)
    return fallbacks


# --------------------------------------------------------------------------- questions


def fallback_questions(
    statements: list[str], others: list[str], n: int = QUESTIONS_PER_SECTION
) -> list[Question]:
    """Questions without a model: which statement was made in this part of the lecture.

    The right option is a sentence of this section's scripts, the distractors are sentences
    of other sections; with fewer than three distractors the item is a yes/no check.
    """
    pool = list(dict.fromkeys(s for s in others if s not in statements))
    questions: list[Question] = []
    for k in range(n):
        statement = statements[k % len(statements)] if statements else "This section's topic"
        if len(pool) >= 3:
            distractors = [pool[(3 * k + j) % len(pool)] for j in range(3)]
            at = k % 4
            questions.append(
                Question(
                    question="Which of these statements was made in this part of the lecture?",
                    question_type="single choice",
                    selects=[*distractors[:at], statement, *distractors[at:]],
                    answer=[at],
                    reference=statement,
                )
            )
        else:
            questions.append(
                Question(
                    question=f'Was this said in this part of the lecture: "{statement}"?',
                    question_type="single choice",
                    selects=["Yes", "No"],
                    answer=[0],
                    reference=statement,
                )
            )
    return questions


def question_pages(agenda: Agenda) -> list[int]:
    """Pages that get questions: the last page of each top-level section with >= 3 pages."""
    marked = []
    for section in agenda.sections():
        pages = [c for c in section.children if isinstance(c, AgendaPage)]
        if len(pages) >= MIN_SECTION_PAGES:
            marked.append(pages[-1].index)
    return marked


def _question_request(agenda: Agenda, index: int, config: PlanConfig) -> Request:
    pages = list(agenda.pages())
    at = next(i for i, p in enumerate(pages) if p.index == index)
    previous = [s for p in pages[max(0, at - CONTEXT_PAGES) : at] if (s := _script_of(p))]
    as_json = config.question_format == "json"
    messages = load_prompt("lmforge.classroom", "ask_questions").messages(
        previous=previous, current=_script_of(pages[at]) or pages[at].description, json=as_json
    )
    generation = config.questions
    if as_json:
        schema = questions_schema(QUESTIONS_PER_SECTION)
        generation = generation.model_copy(update={"json_schema": schema})
    return Request(messages=[Message(**m) for m in messages], config=generation)


def _parse_reply(text: str, config: PlanConfig) -> list[Question]:
    if config.question_format == "json":
        return parse_json_questions(text, strict=config.strict_questions)
    return parse_questions(text, strict=config.strict_questions)


def _section_sentences(agenda: Agenda, index: int) -> tuple[list[str], list[str]]:
    mine: list[str] = []
    others: list[str] = []
    for section in agenda.sections():
        pages = [c for c in section.children if isinstance(c, AgendaPage)]
        target = mine if any(p.index == index for p in pages) else others
        for page in pages:
            target.extend(s.text for s in split_sentences(_script_of(page) or ""))
            target.extend(s.text for s in split_sentences(page.description)[:1])
    return list(dict.fromkeys(mine[::-1])), others


def _set_questions(page: AgendaPage, questions: list[Question]) -> None:
    kept = [f for f in page.functions if not isinstance(f, AskQuestion)]
    page.functions = [*kept, *(AskQuestion(question=q) for q in questions)]


def _three_questions(config: PlanConfig) -> Callable[[str], list[Question]]:
    """The parse step: the first 3 valid questions, or a rejection that gets the prompt re-asked."""

    def read(text: str) -> list[Question]:
        parsed = _parse_reply(text, config)
        if len(parsed) < QUESTIONS_PER_SECTION:
            found = f"{len(parsed)} valid questions"
            raise ParseFailure("too few questions", text, f"{found}, need {QUESTIONS_PER_SECTION}")
        return parsed[:QUESTIONS_PER_SECTION]

    return read


async def _questions_for(
    llm: LLM, requests: dict[int, Request], config: PlanConfig
) -> dict[int, list[Question]]:
    """Ask for every marked page at once; each is re-asked until it gives 3 questions. A page
    whose model call fails (after the backend's retries) is left to the fallback; a bug is not."""
    results = await ask_many(
        llm,
        list(requests.values()),
        _three_questions(config),
        attempts=config.question_retries + 1,
        reask=REASK,
    )
    found = {i: answer_or_none(r) for i, r in zip(requests, results, strict=True)}
    return {i: questions for i, questions in found.items() if questions is not None}


async def ask_questions(
    agenda: Agenda, llm: LLM, config: PlanConfig | None = None, pages: list[int] | None = None
) -> int:
    """AskQuestion x3 on the marked pages (all of them, or ``pages``); returns how many
    pages fell back to :func:`fallback_questions`."""
    config = config or PlanConfig()
    marked = question_pages(agenda) if pages is None else pages
    requests = {i: _question_request(agenda, i, config) for i in marked}
    found = await _questions_for(llm, requests, config)
    for index in marked:
        questions = found.get(index)
        if questions is None:
            questions = fallback_questions(*_section_sentences(agenda, index))
        _set_questions(agenda.page(index), questions)
    return len(marked) - len(found)


async def regenerate_page(
    agenda: Agenda,
    deck: Deck,
    page: int,
    what: Literal["script", "questions"],
    llm: LLM,
    config: PlanConfig | None = None,
) -> Agenda:
    """A copy of ``agenda`` with one page's script or questions generated again.

    Context comes from the agenda as it stands (a teacher's edits to earlier scripts are what
    the new script continues from). Questions exist only where the rule puts them.
    """
    config = config or PlanConfig()
    result = agenda.model_copy(deep=True)
    pages = list(result.pages())
    at = next((i for i, p in enumerate(pages) if p.index == page), None)
    if at is None or page > len(deck.pages):
        raise InputError(f"page {page} is not in the agenda of deck '{agenda.deck}'", field="page")
    if what == "script":
        script, _ = await _write_script(llm, deck, pages, at, config)
        _set_script(pages[at], script)
    elif what == "questions":
        if page not in question_pages(result):
            raise InputError(
                f"page {page} ends no section of 3 or more pages: no questions there", field="page"
            )
        await ask_questions(result, llm, config, pages=[page])
    else:
        raise InputError(f"cannot regenerate {what!r}: use 'script' or 'questions'", field="what")
    return result
