"""Slide2Lecture and MAIC: slides to a teaching agenda to a regulated, multi-agent lecture.

    deck (PPTX/PDF) --ingest--> Deck --prepare (Read + Plan)--> Agenda (lecture.json)
        --teach--> sessions stepped by a Scheduler --store--> SQLite / PostgreSQL

Everything is importable lazily: `import lmforge.classroom` loads no parser, model or database.
"""

from __future__ import annotations

from lmforge._lazy import lazy_exports

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
    "PrepareConfig": "prepare",
    "PrepareReport": "prepare",
    "load_agenda": "prepare",
    "prepare_lecture": "prepare",
    "prepare_with_report": "prepare",
    "save_agenda": "prepare",
    "validate_agenda": "validate",
    "regenerate_page": "plan",
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
    "evaluate_leceval": "leceval",
    "format_leceval": "leceval",
    "load_leceval": "leceval",
    "proxy_scores": "leceval",
    "judge_scorer": "leceval_judge",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
