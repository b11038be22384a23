"""``lmforge classroom prepare`` as a library verb: the deck in, the agenda file out, as a Job.

The run folder (``--run-dir``, default ``runs/classroom-prepare/<timestamp>/``) holds the
effective ``config.yaml`` and ``summary.json`` (pages, sections, questions, problems and each
stage's figures); the agenda itself is written once, to ``out`` (default
``DECK.lecture.json``), where a teacher edits it. ``out`` names that file here, not a run
folder: a preparation has no per-record output to resume, and the call cache already makes a
rerun cheap.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from lmforge.errors import InputError
from lmforge.pipeline.jobs import Job
from lmforge.pipeline.rundir import check_output_file

from .run import PrepareConfig, PrepareReport, prepare_with_report, save_agenda

__all__ = ["prepare"]


def _images_dir(config: PrepareConfig, deck: Path, vision: bool) -> Path | None:
    """Page PNGs go where asked; a vision model that is shown pages gets DECK.pages/."""
    if config.images is not None:
        return config.images
    return deck.with_name(f"{deck.stem}.pages") if config.plan.images and vision else None


def _stage_lines(report: PrepareReport) -> list[str]:
    return [
        f"{s.stage}: wall_s={s.wall_s:.2f} model_s={s.model_s:.2f} "
        f"calls={s.calls} fallbacks={s.fallbacks}"
        for s in report.stages
    ]


def prepare(config: PrepareConfig, *, out: Path | None = None, quiet: bool = False) -> list[str]:
    """Read + Plan: describe pages, build the outline, write scripts and questions.

    Returns the stdout lines (``pages:``, ``sections:``, ``questions:``, ``problems:``,
    ``agenda:``); the problems found and each stage's ``wall_s model_s calls fallbacks`` go
    to stderr.
    """
    from lmforge.classroom.deck import check_deck
    from lmforge.classroom.ingest import load_deck
    from lmforge.llm.registry import get_llm

    from .validate import validate_agenda

    if config.deck is None:
        raise InputError("give the deck: lmforge classroom prepare DECK.pptx")
    check_deck(config.deck)  # the deck, the agenda's path and the model before the run folder
    target = out or config.deck.with_suffix(".lecture.json")
    check_output_file(target)  # the agenda file can be written at the end
    llm = get_llm(config.model)
    images = _images_dir(config, config.deck, llm.supports_images)
    deck = load_deck(config.deck, images_dir=images, isolated=True)
    if not deck.pages:
        raise InputError("the deck has no pages", path=config.deck)
    job = Job("classroom-prepare", config, out=config.run_dir, quiet=quiet, llm=llm)
    agenda, report = asyncio.run(prepare_with_report(deck, llm, config=config, quiet=quiet))
    target = save_agenda(agenda, target)
    problems = validate_agenda(agenda, deck)
    questions = sum(1 for page in agenda.pages() for f in page.functions if f.call == "AskQuestion")
    figures = {
        "pages": report.pages,
        "sections": len(agenda.sections()),
        "questions": questions,
        "problems": len(problems),
    }
    job.summaries.extend(report.stages)
    job.finish(counts={**figures, "agenda": str(target), "problem_list": problems})
    for line in [f"  {p}" for p in problems] + _stage_lines(report):
        print(line, file=sys.stderr)
    return [*(f"{k}: {v}" for k, v in figures.items()), f"agenda: {target}"]
