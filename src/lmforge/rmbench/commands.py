"""RM-Bench's verbs besides ``run``: recompute the table from score files, list the scorers,
and print a run's table with the notes a reader of the numbers must see."""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel

from lmforge.inputs import JsonlPath

from .metric import Truncated

__all__ = ["ScoreCommand", "notes", "score", "scorers", "show_run"]


class ScoreCommand(BaseModel):
    """Per-sample scores to turn into the RM-Bench table."""

    scores: JsonlPath
    """Per-sample scores: the official result JSON, or JSONL with score_chosen/score_rejected."""
    domain: str | None = None
    """Domain of rows without one (else taken from the file name)."""
    truncated: Truncated = "keep"
    """keep: the official metric; drop: leave out comparisons with a cut-off response."""


def notes(missing: list[str], failed: int) -> None:
    """What a reader of the numbers must know, on stderr so stdout stays the table."""
    if missing:
        print(
            f"note: not run: {', '.join(missing)}; overall averages the domains above only",
            file=sys.stderr,
        )
    if failed:
        print(
            f"note: {failed} samples failed and are left out (see *.errors.jsonl)", file=sys.stderr
        )


def score(config: ScoreCommand) -> list[str]:
    """Recompute the table from score_chosen/score_rejected (no model needed)."""
    from .metric import format_lines
    from .run import score_results

    table = score_results(config.scores, domain=config.domain, truncated=config.truncated)
    notes(table.missing, 0)
    return format_lines(table)


def scorers() -> list[str]:
    """List the scorer specs."""
    from .scorers import SCORER_HELP

    return [f"{spec:22} {text}" for spec, text in SCORER_HELP]


def show_run(result: Any) -> list[str]:
    """The `DOMAIN: easy= normal= hard= avg=` lines and `overall:`, then the notes."""
    notes(result.scores.missing, result.failed)  # the run's Job printed `run: PATH`
    return result.lines()
