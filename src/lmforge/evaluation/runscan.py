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

__all__ = ["ERRORS_SUFFIX", "SAMPLE_SIZE", "StageStats", "scan_run", "truncate"]

SAMPLE_SIZE = 20
ERRORS_SUFFIX = ".errors.jsonl"
REASON_CHARS = 160


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
