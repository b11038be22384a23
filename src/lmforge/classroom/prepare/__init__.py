"""Read + Plan: a deck in, a teaching agenda out (``lmforge classroom prepare``).

    read (page descriptions) -> outline (+ outline_choice, outline_tree) -> plan (ShowFile,
    ReadScript, AskQuestion; quiz_format parses the questions) -> validate

:mod:`.run` chains the stages and times them, :mod:`.progress` draws their bars. Names resolve
lazily (PEP 562), so importing one stage loads no other.
"""

from __future__ import annotations

from lmforge._lazy import lazy_exports

_EXPORTS = {
    "STAGES": "run",
    "PrepareConfig": "run",
    "PrepareReport": "run",
    "StageReport": "run",
    "load_agenda": "run",
    "prepare_lecture": "run",
    "prepare_with_report": "run",
    "save_agenda": "run",
    "OutlineConfig": "outline",
    "PlanConfig": "plan",
    "regenerate_page": "plan",
    "describe_pages": "read",
    "validate_agenda": "validate",
    "StageProgress": "progress",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
