"""Slide2Lecture and MAIC: slides to a teaching agenda to a regulated, multi-agent lecture.

    deck (PPTX/PDF) --ingest--> Deck --prepare (Read + Plan)--> Agenda (lecture.json)
        --teach--> sessions stepped by a Scheduler --store--> SQLite / PostgreSQL

Everything is importable lazily: `import lmforge.classroom` loads no parser, model or database.
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports
from lmforge.systems import System

_EXPORTS = export_table(
    """
agenda: Agenda AgendaNode AgendaPage AskQuestion Question ReadScript ShowFile
deck: Deck Page
ingest: DeckError Limits format_pages load_deck
prepare.run: PrepareConfig PrepareReport load_agenda prepare_lecture prepare_with_report
prepare.run: save_agenda
prepare.validate: validate_agenda
prepare.plan: regenerate_page
teach: LectureEngine Scheduler Session SessionState TeachConfig run_terminal_lecture
teach: simulate_lectures
store: ClassroomStore open_database
leceval.score: evaluate_leceval format_leceval load_leceval proxy_scores
leceval.judge: judge_scorer
"""
)

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

SYSTEM = System(
    name="classroom",
    package="lmforge.classroom",
    help="Slide2Lecture: slides to a teaching agenda to a regulated interactive lecture.",
    cli="lmforge.classroom.cli",
    benchmarks=("lmforge.classroom.leceval.benchmark",),
    reports=("lmforge.classroom.leceval.report",),
)
