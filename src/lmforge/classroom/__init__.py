"""Slide2Lecture and MAIC: slides to a teaching agenda to a regulated, multi-agent lecture.

    deck (PPTX/PDF) --ingest--> Deck --prepare (Read + Plan)--> Agenda (lecture.json)
        --teach--> sessions stepped by a Scheduler --store--> SQLite / PostgreSQL

Everything is importable lazily: `import lmforge.classroom` loads no parser, model or database.
"""

from __future__ import annotations

from lmforge._lazy import lazy_exports
from lmforge.systems import System

_EXPORTS = {
    # contracts
    "Agenda": "agenda",
    "AgendaNode": "agenda",
    "AgendaPage": "agenda",
    "AskQuestion": "agenda",
    "Question": "agenda",
    "ReadScript": "agenda",
    "ShowFile": "agenda",
    "Deck": "deck",
    "Page": "deck",
    # ingest
    "DeckError": "ingest",
    "Limits": "ingest",
    "format_pages": "ingest",
    "load_deck": "ingest",
    # prepare (Read + Plan)
    "PrepareConfig": "prepare.run",
    "PrepareReport": "prepare.run",
    "load_agenda": "prepare.run",
    "prepare_lecture": "prepare.run",
    "prepare_with_report": "prepare.run",
    "save_agenda": "prepare.run",
    "validate_agenda": "prepare.validate",
    "regenerate_page": "prepare.plan",
    # teach
    "LectureEngine": "teach",
    "Scheduler": "teach",
    "Session": "teach",
    "SessionState": "teach",
    "TeachConfig": "teach",
    "run_terminal_lecture": "teach",
    "simulate_lectures": "teach",
    # store
    "ClassroomStore": "store",
    "open_database": "store",
    # LecEval
    "evaluate_leceval": "leceval.score",
    "format_leceval": "leceval.score",
    "load_leceval": "leceval.score",
    "proxy_scores": "leceval.score",
    "judge_scorer": "leceval.judge",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

SYSTEM = System(
    name="classroom",
    package="lmforge.classroom",
    help="Slide2Lecture: slides to a teaching agenda to a regulated interactive lecture.",
    cli="lmforge.classroom.cli",
    benchmarks=("lmforge.classroom.leceval.benchmark",),
)
