"""Read + Plan: a deck in, a teaching agenda out (``lmforge classroom prepare``).

    read (page descriptions) -> outline (+ outline_choice, outline_tree) -> plan (ShowFile,
    ReadScript, AskQuestion; quiz_format parses the questions) -> validate

:mod:`.run` chains the stages and times them under the runner's progress bars;
:mod:`.command` is the ``prepare`` verb (a Job: run folder, agenda file, figures). Names
resolve lazily (PEP 562), so importing one stage loads no other.
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports

_EXPORTS = export_table(
    """
run: STAGES PrepareConfig PrepareReport StageReport load_agenda prepare_lecture
run: prepare_with_report save_agenda
outline: OutlineConfig
plan: PlanConfig regenerate_page
read: describe_pages
validate: validate_agenda
command: prepare
"""
)

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
