"""Reading a run directory's JSONL files into per-stage statistics, for the run report.

Run directory layout (written by ``pipeline.runner``)::

    **/*.jsonl           per-record output of each stage ("id", optional "_meta")
    **/*.errors.jsonl    error rows ("_meta.error" holds the reason)

Everything is read in one streaming pass and nothing here is fatal: a killed run's truncated
last line is counted as unreadable, not raised.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ERRORS_SUFFIX",
    "SAMPLE_SIZE",
    "StageStats",
    "cell",
    "coverage_notes",
    "flatten",
    "run_rows",
    "scan_run",
    "truncate",
]

SAMPLE_SIZE = 20
ERRORS_SUFFIX = ".errors.jsonl"
REASON_CHARS = 160
CELL_CHARS = 200


@dataclass
class StageStats:
    """What one stage's JSONL files say, gathered in one streaming pass."""

    name: str
    """The file's path in the run directory without ``.jsonl`` / ``.errors.jsonl``."""
    stage: str = ""
    """``_meta.stage`` of its rows (the runner's stage name), when they carry one."""
    records: int = 0
    errors: int = 0
    unreadable: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    completion_tokens: list[int] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    reason_ids: dict[str, list[str]] = field(default_factory=dict)

    @property
    def mean_tokens(self) -> str:
        tokens = self.completion_tokens
        return f"{sum(tokens) / len(tokens):.1f}" if tokens else ""


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when anything was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _stage_name(path: Path, run_dir: Path) -> str:
    rel = path.relative_to(run_dir).as_posix()
    return rel[: -len(ERRORS_SUFFIX)] if rel.endswith(ERRORS_SUFFIX) else rel[: -len(".jsonl")]


def _rows(path: Path) -> Iterable[dict[str, Any] | None]:
    """Each line as a dict, or None for a line that is not a JSON object (a killed writer)."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            yield row if isinstance(row, dict) else None


def scan_run(run_dir: Path, sample_size: int = SAMPLE_SIZE) -> list[StageStats]:
    """Per-file statistics of every JSONL file under ``run_dir`` (hidden folders skipped).

    A record is counted once per (stage, id) in the token histogram: ``final.jsonl`` repeats
    the last stage's rows and must not double its tokens.
    """
    stages: dict[str, StageStats] = {}
    seen: set[tuple[str, str]] = set()
    for path in sorted(run_dir.rglob("*.jsonl")):
        if any(p.startswith(".") for p in path.relative_to(run_dir).parts):
            continue
        name = _stage_name(path, run_dir)
        stats = stages.setdefault(name, StageStats(name))
        is_errors = path.name.endswith(ERRORS_SUFFIX)
        for row in _rows(path):
            if row is None:
                stats.unreadable += 1
                continue
            stats.stage = stats.stage or str(_meta(row).get("stage") or "")
            if is_errors:
                _add_error(stats, row)
                continue
            stats.records += 1
            if len(stats.sample) < sample_size:
                stats.sample.append(row)
            tokens = _completion_tokens(_meta(row).get("usage"))
            key = (stats.stage or name, str(row.get("id")))
            if tokens is not None and ("id" not in row or key not in seen):
                stats.completion_tokens.append(tokens)
                seen.add(key)
    return list(stages.values())


def _meta(row: dict[str, Any]) -> dict[str, Any]:
    return row["_meta"] if isinstance(row.get("_meta"), dict) else {}


def _completion_tokens(usage: Any) -> int | None:
    """Completion tokens of a record; a list of usages (several calls) is summed."""
    if isinstance(usage, list):
        counts = [c for c in map(_completion_tokens, usage) if c is not None]
        return sum(counts) if counts else None
    if isinstance(usage, dict):
        value = usage.get("completion_tokens", usage.get("output_tokens"))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value)
    return None


def _add_error(stats: StageStats, row: dict[str, Any]) -> None:
    stats.errors += 1
    reason = _error_reason(_meta(row).get("error", row.get("error")))
    stats.reasons[reason] += 1
    ids = stats.reason_ids.setdefault(reason, [])
    if len(ids) < 3 and "id" in row:
        ids.append(str(row["id"]))


def _error_reason(error: Any) -> str:
    """A grouping key that does not split one failure mode into one row per record.

    The runner stores ``"ExcType: message"``; a ``ParseFailure`` message is ``"reason:
    detail"``, so the key keeps the type and the first clause (``ParseFailure: no JSON
    found``) and drops per-record detail. A dict uses its ``reason`` or ``type``.
    """
    if isinstance(error, dict):
        error = error.get("reason") or error.get("type") or json.dumps(error, sort_keys=True)
    text = str(error).strip() if error else ""
    if not text:
        return "unknown error"
    return truncate(": ".join(text.splitlines()[0].split(": ")[:2]), REASON_CHARS)


# --------------------------------------------------------------------------- summary.json


def cell(value: Any) -> str:
    """A table cell: short, one value, readable for nested data."""
    if isinstance(value, str):
        return truncate(value, CELL_CHARS)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.4g}"
    if isinstance(value, int):
        return str(value)
    return truncate(json.dumps(value, ensure_ascii=False, default=str), CELL_CHARS)


def flatten(data: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """``{"scores": {"acc": 1}}`` -> ``("scores.acc", 1)``: nested scores read as rows."""
    for key, value in data.items():
        if isinstance(value, dict) and value:
            yield from flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


RUN_KEYS = (
    "benchmark",
    "model",
    "scorer",
    "judge",
    "predictions",
    "total",
    "done",
    "scored",
    "skipped",
    "dropped",
    "failed",
    "missing_predictions",
    "rows",
    "output",
    "shards",
    "complete",
)
"""What the run table shows first (when the summary has them); every key is in the folded
table below it."""
COST_KEYS = ("llm_calls", "cached_calls", "retries", "tokens", "wall_s")
SCORE_ROWS = 12
"""A run without a headline table shows this many of its ``scores`` in the run table."""


def run_rows(summary: dict[str, Any], *, scores: bool) -> list[tuple[str, str]]:
    """The run's counts and costs, for the whole run: a resumed run's calls, tokens and time
    are added up over every command run into the folder (``whole_run``), and the number of
    resumes is said; ``scores`` adds the first figures of a run that has no headline table."""
    rows = [(k, cell(summary[k])) for k in RUN_KEYS if summary.get(k) not in (None, "", [])]
    whole = summary.get("whole_run") if isinstance(summary.get("whole_run"), dict) else {}
    costs = {k: whole.get(k, summary.get(k)) for k in COST_KEYS}
    rows += [(k, cell(v)) for k, v in costs.items() if v is not None]
    resumes = whole.get("invocations", 1) - 1 if isinstance(whole.get("invocations"), int) else 0
    if resumes > 0:
        rows = [("done before the last resume" if k == "skipped" else k, v) for k, v in rows]
        rows.append(
            ("resumed", f"{resumes} time(s): calls, tokens and time add up all {resumes + 1} runs")
        )
    if scores and isinstance(summary.get("scores"), dict):
        figures = [(f"scores.{k}", v) for k, v in flatten(summary["scores"])]
        rows += [(k, cell(v)) for k, v in figures[:SCORE_ROWS] if not isinstance(v, list)]
    return rows


def coverage_notes(summary: dict[str, Any]) -> list[str]:
    """What a reader of the headline must know about the records behind it."""
    notes = []
    if summary.get("shard"):
        i, n = summary["shard"]
        notes.append(f"Shard {i}/{n} of the data set only ({summary.get('total')} records).")
    if isinstance(summary.get("shards"), list) and summary.get("complete") is False:
        notes.append(f"Only shards {', '.join(summary['shards'])} of the data set are here.")
    if summary.get("missing_predictions"):
        notes.append(f"{summary['missing_predictions']} records had no prediction: not scored.")
    if summary.get("failed"):
        notes.append(
            f"{summary['failed']} records failed and are left out of these figures "
            "(see Errors; rerun with --out to retry them)."
        )
    return notes
