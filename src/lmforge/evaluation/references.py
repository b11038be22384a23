"""The paper's headline table of a run, beside the published rows the project has.

A reader opens a benchmark's report to compare it with the paper, so every report of a
benchmark run opens with that benchmark's table: this run's figures in the paper's columns,
the published rows under them, and where those rows come from. A system's report module
returns a :class:`Headline` from a registered section function (``@report_section(name)``);
the report puts every headline before anything else.

Published rows are facts typed into the systems' code with their source (the RM-Bench
leaderboard, the CRAB and LongWriter papers' tables); a benchmark whose project data holds a
fuller table (RM-Bench's leaderboard CSV) reads it with :func:`read_reference_csv` when the
user points at it, and falls back to the typed rows otherwise, so a report never depends on
data a user's clone may not have.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lmforge.errors import InputError
from lmforge.evaluation.report import Section
from lmforge.inputs import read_json, read_text, read_yaml

__all__ = ["Headline", "headline_table", "read_reference_csv", "read_scores", "run_label"]

MISSING = "–"
"""What an empty cell shows (a figure the paper or this run does not have)."""
REFERENCE_BYTES = 4 * 1024 * 1024


@dataclass
class Headline(Section):
    """The paper's table for one run: ``rows`` (this run), then ``references`` (published),
    in ``columns``; the first column names the row (a model, a scorer, this run).

    Values are numbers (shown with ``digits`` decimals), text, or None (shown as a dash).
    The first ``shown`` published rows are in the table; the rest follow, folded, below it.
    ``text`` says what the figures are, ``notes`` what a reader must know before comparing
    (domains not run, records left out); ``source`` where the published rows come from.
    """

    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    references: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""
    notes: list[str] = field(default_factory=list)
    digits: int = 1
    shown: int = 15


def run_label(summary: dict[str, Any], run_dir: Path | None = None) -> str:
    """How a headline names this run's row: ``this run: MODEL`` (the scorer, the model, or
    the predictions file scored: ``lmforge eval`` keeps its path in config.yaml when the
    benchmark read the file into rows)."""
    name = summary.get("scorer") or summary.get("model")
    predictions = summary.get("predictions")
    if predictions == "rows" and run_dir is not None:
        predictions = _eval_setting(Path(run_dir), "predictions") or predictions
    if not name and isinstance(predictions, str):
        name = f"predictions {Path(predictions).name}"
    return f"this run: {name}" if name else "this run"


def _eval_setting(run_dir: Path, key: str) -> Any:
    """``eval.KEY`` of the run's config.yaml (``lmforge eval`` writes it), else None."""
    path = run_dir / "config.yaml"
    config = read_yaml(path) if path.is_file() else None
    settings = config.get("eval") if isinstance(config, dict) else None
    return settings.get(key) if isinstance(settings, dict) else None


def read_scores(run_dir: Path) -> dict[str, Any] | None:
    """``scores.json`` of a run (the aggregate), None when the run has none (killed early)."""
    path = Path(run_dir) / "scores.json"
    if not path.is_file():
        return None
    scores = read_json(path, allow_nan=True)
    if not isinstance(scores, dict):
        raise InputError("expected a JSON object of scores", path=path)
    return scores


def _format(value: Any, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def headline_table(headline: Headline) -> dict[str, Any]:
    """Columns and formatted cells: ``run`` rows, ``shown`` published rows, ``more`` rows."""

    def cells(rows: list[dict[str, Any]]) -> list[list[tuple[str, bool]]]:
        """(text, is a number) per cell: numbers are right-aligned."""
        return [
            [
                (_format(v := row.get(c), headline.digits), isinstance(v, int | float))
                for c in headline.columns
            ]
            for row in rows
        ]

    refs = headline.references
    return {
        "columns": headline.columns,
        "run": cells(headline.rows),
        "shown": cells(refs[: headline.shown]),
        "more": cells(refs[headline.shown :]),
    }


def _number(text: str) -> float | str | None:
    text = text.strip()
    if text in ("", "-", "–", "n/a", "N/A"):
        return None
    try:
        return float(text)
    except ValueError:
        return text


def read_reference_csv(
    path: str | Path, columns: dict[str, str], *, numeric: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Rows of a published table kept as CSV, renamed by ``columns`` (CSV header -> column).

    Every header in ``columns`` must be there; ``-`` and empty cells are None; the ``numeric``
    columns must hold numbers. Errors name the file and line (:class:`InputError`).
    """
    path = Path(path)
    text = read_text(path, limit=REFERENCE_BYTES, what="reference table")
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in columns if name not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"reference table lacks the columns {missing}", path=path, line=1)
    rows = []
    for line, raw in enumerate(reader, start=2):
        row: dict[str, Any] = {}
        for header, column in columns.items():
            value = _number(raw.get(header) or "")
            if column in numeric and isinstance(value, str):
                raise InputError(f"expected a number, got {value!r}", path=path, line=line)
            row[column] = value if column in numeric or value is None else str(raw[header])
        rows.append(row)
    if not rows:
        raise InputError("reference table has no rows", path=path)
    return rows
