"""The classroom verbs besides ``prepare`` (`lmforge classroom pages|regenerate|lecture|
leceval`), as library functions with their configs."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from lmforge.errors import InputError

__all__ = [
    "LecEvalCommand",
    "LectureCommand",
    "PagesCommand",
    "RegenerateCommand",
    "leceval",
    "lecture",
    "pages",
    "regenerate",
]


class PagesCommand(BaseModel):
    """A deck whose pages to print."""

    deck: Path
    """A .pptx or .pdf deck."""
    images: Path | None = None
    """Also render page PNGs here."""


def pages(config: PagesCommand) -> list[str]:
    """Each page's extracted text, then `pages: N`."""
    from .ingest import format_pages, load_deck

    deck = load_deck(config.deck, images_dir=config.images, isolated=True)
    return list(format_pages(deck))


class RegenerateCommand(BaseModel):
    """One page of a (hand-edited) agenda to redo."""

    agenda: Path
    """lecture.json to edit in place."""
    deck: Path
    """The deck the agenda was prepared from."""
    page: int
    """Page whose script or questions to redo."""
    what: Literal["script", "questions"] = "script"
    """script or questions."""
    model: str | None = None
    """Model spec (default LMFORGE_MODEL, else embedded)."""


def regenerate(config: RegenerateCommand) -> list[str]:
    """Regenerate one page's script or questions, keeping the rest of a (hand-edited) agenda."""
    from lmforge.llm.registry import get_llm

    from .ingest import load_deck
    from .prepare import load_agenda, save_agenda
    from .prepare.plan import regenerate_page

    current = load_agenda(config.agenda)
    llm = get_llm(config.model)
    deck = load_deck(config.deck, isolated=True)
    updated = asyncio.run(regenerate_page(current, deck, config.page, config.what, llm))
    save_agenda(updated, config.agenda)
    lines = []
    for function in updated.page(config.page).functions:
        if function.call == "ReadScript":
            lines.append(f"script: {function.script}")
        elif function.call == "AskQuestion":
            lines.append(f"question: {function.question.question}")
    return lines


class LectureCommand(BaseModel):
    """A lecture to teach in the terminal."""

    agenda: Path
    """lecture.json from `classroom prepare`."""
    model: str | None = None
    """Model spec (default LMFORGE_MODEL, else embedded)."""
    mode: Literal["interactive", "continuous"] = "interactive"
    """interactive: wait for you; continuous: go on when you are quiet."""
    activation: Literal["low", "middle", "high"] = "middle"
    """Classmates' unprompted turns: low, middle or high."""
    student: str | None = None
    """A simulated student instead of you: silent, on_topic, off_topic, abusive."""
    seed: int = 0
    """Seed of the activation rolls."""


def lecture(config: LectureCommand) -> list[str]:
    """A terminal lecture: type to ask, Enter to go on, letters to answer a quiz, /quit."""
    from lmforge.llm.registry import get_llm

    from .teach import TeachConfig, run_terminal_lecture

    llm = get_llm(config.model)
    teach = TeachConfig(seed=config.seed)
    if config.student is not None:
        return _simulated(config, llm, teach)
    state = asyncio.run(
        run_terminal_lecture(
            config.agenda, llm, mode=config.mode, activation=config.activation, config=teach
        )
    )
    right = sum(1 for q in state.quiz_answers if q.correct)
    print(f"quiz: {right}/{len(state.quiz_answers)} correct", file=sys.stderr)
    return []


def _simulated(config: LectureCommand, llm: object, teach: object) -> list[str]:
    """The lecture with a simulated student: the transcript, then the figures on stderr."""
    from .prepare import load_agenda
    from .teach import STUDENTS, simulate_lectures
    from .teach.terminal import render

    if config.student not in STUDENTS:
        known = ", ".join(sorted(STUDENTS))
        raise InputError(f"--student {config.student!r}: one of {known}", field="student")
    sessions, reports = asyncio.run(
        simulate_lectures(
            load_agenda(config.agenda),
            llm,
            [config.student],
            mode=config.mode,
            activation=config.activation,
            config=teach,
        )
    )
    lines = []
    for message in sessions[0].state.messages:
        if message.action in ("user_message", "user_answer"):
            lines.append(f"[{config.student} student] {message.content}")
        else:
            lines.append(render(message))
    for key, value in reports[0].model_dump().items():
        print(f"{key}: {value}", file=sys.stderr)
    return lines


class LecEvalCommand(BaseModel):
    """LecEval data and the scorers to compare with its human ratings."""

    data: Path | None = None
    """LecEval folder of *_metadata.jsonl [$LMFORGE_LECEVAL_DATA]."""
    judge: str | None = None
    """Also rate scripts with this model."""
    limit: int | None = Field(None, ge=1)
    """Only N rows, evenly spaced over the courses."""


def leceval(config: LecEvalCommand) -> list[str]:
    """Spearman of script-quality scorers against LecEval's human ratings, per rubric."""
    from lmforge.llm.registry import get_llm

    from .leceval.judge import judge_scorer
    from .leceval.score import evaluate_leceval, format_leceval, load_leceval, proxy_scores

    folder = config.data or os.environ.get("LMFORGE_LECEVAL_DATA")
    if not folder:
        raise InputError("give --data FOLDER (LecEval *_metadata.jsonl) or LMFORGE_LECEVAL_DATA")
    rows = load_leceval(folder)
    lines = format_leceval(asyncio.run(evaluate_leceval(rows, proxy_scores, config.limit)))
    if config.judge:
        scorer = judge_scorer(get_llm(config.judge))
        table = asyncio.run(evaluate_leceval(rows, scorer, config.limit))
        lines += ["", *format_leceval(table, baselines=False)]
    return lines
