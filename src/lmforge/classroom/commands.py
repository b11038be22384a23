"""The classroom verbs besides ``prepare`` (`lmforge classroom pages|regenerate|lecture|
leceval`), as library functions with their configs."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from lmforge.errors import InputError
from lmforge.inputs import AgendaPath, DeckPath, JsonlPath

if TYPE_CHECKING:
    from .agenda import Agenda

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

    deck: DeckPath
    """A .pptx or .pdf deck."""
    images: Path | None = None
    """Also render page PNGs here."""


def pages(config: PagesCommand) -> list[str]:
    """Each page's extracted text, then `pages: N`."""
    from .deck import check_deck
    from .ingest import format_pages, load_deck

    check_deck(config.deck)
    _check_folder_target(config.images, "images")
    deck = load_deck(config.deck, images_dir=config.images, isolated=True)
    return list(format_pages(deck))


def _check_folder_target(path: Path | None, option: str) -> None:
    """A folder to write into: refused before any work when it, or a parent, is a file."""
    if path is None:
        return
    for at in (path, *path.parents):
        if at.exists():
            if not at.is_dir():
                raise InputError(f"--{option}: {at} is not a folder", path=path, field=option)
            return


def _editable(path: Path) -> Path:
    """An agenda that ``regenerate`` can write back: a regular file it may write."""
    import stat

    from lmforge.inputs import check_file

    check_file(path, what="agenda (lecture.json)")
    if not stat.S_ISREG(path.stat().st_mode):
        raise InputError("is not a regular file: regenerate edits the agenda in place", path=path)
    if not os.access(path, os.W_OK):
        raise InputError("is not writable: regenerate edits the agenda in place", path=path)
    return path


class RegenerateCommand(BaseModel):
    """One page of a (hand-edited) agenda to redo."""

    agenda: AgendaPath
    """lecture.json to edit in place."""
    deck: DeckPath
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

    from .deck import check_deck
    from .ingest import load_deck
    from .prepare import load_agenda, save_agenda
    from .prepare.plan import regenerate_page

    current = load_agenda(_editable(config.agenda))
    check_deck(config.deck)
    if not any(p.index == config.page for p in current.pages()):
        raise InputError(
            f"page {config.page} is not in the agenda", path=config.agenda, field="page"
        )
    deck = load_deck(config.deck, isolated=True)
    llm = get_llm(config.model)
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

    agenda: AgendaPath
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
    """Seed of the activation rolls: the terminal session's id is fixed, so the same seed gives
    the same class (which classmates join) on every run."""


def lecture(config: LectureCommand) -> list[str]:
    """A terminal lecture: type to ask, Enter to go on, letters to answer a quiz, /quit."""
    from lmforge.llm.registry import get_llm

    from .prepare import load_agenda
    from .teach import STUDENTS, TeachConfig, run_terminal_lecture

    if config.student is not None and config.student not in STUDENTS:
        known = ", ".join(sorted(STUDENTS))
        raise InputError(f"--student {config.student!r}: one of {known}", field="student")
    agenda = load_agenda(config.agenda)  # checked before a model is built
    llm = get_llm(config.model)
    teach = TeachConfig(seed=config.seed)
    if config.student is not None:
        return _simulated(config, agenda, llm, teach)
    state = asyncio.run(
        run_terminal_lecture(
            agenda,
            llm,
            mode=config.mode,
            activation=config.activation,
            config=teach,
            session_id="terminal",
        )
    )
    right = sum(1 for q in state.quiz_answers if q.correct)
    print(f"quiz: {right}/{len(state.quiz_answers)} correct", file=sys.stderr)
    return []


def _simulated(config: LectureCommand, agenda: Agenda, llm: object, teach: object) -> list[str]:
    """The lecture with a simulated student: the transcript, then the figures on stderr."""
    from .teach import simulate_lectures
    from .teach.terminal import render

    sessions, reports = asyncio.run(
        simulate_lectures(
            agenda,
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

    data: JsonlPath | None = None
    """LecEval folder of *_metadata.jsonl, or one such file [$LMFORGE_LECEVAL_DATA]."""
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
