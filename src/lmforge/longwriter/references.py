"""Published LongBench-Write and LongWrite-Ruler figures: the rows a run's report shows.

The LongWriter paper (Bai et al., 2024) prints its tables as images; the numbers here are
those the project's notes record from third parties quoting it (LOOM-Scope's README for the
Llama-3.1-8B-Instruct row, "official results reported in paper"; blog posts for the overall S
of LongWriter-9B-DPO and Claude 3.5 Sonnet), plus one row that is *not* the paper's: LongDPO's
re-evaluation of LongWriter-Llama per length range, the only per-range figures on record.
LongWrite-Ruler is a figure in the paper, not a table: what it shows (the output length
where models level off) is kept as two approximate rows.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LONGBENCH_WRITE_ROWS", "LONGBENCH_WRITE_SOURCE", "RULER_ROWS", "RULER_SOURCE"]

_BUCKETS = ("[0,500)", "[500,2k)", "[2k,4k)", "[4k,20k]")


def _row(model: str, sl: float | None, sq: float | None, s: float | None, *buckets: float):
    row: dict[str, Any] = {"model": model, "S_l": sl, "S_q": sq, "S": s}
    for i, label in enumerate(_BUCKETS):
        row[f"{label} S_l"] = buckets[2 * i] if buckets else None
        row[f"{label} S_q"] = buckets[2 * i + 1] if buckets else None
    return row


LONGBENCH_WRITE_ROWS: list[dict[str, Any]] = [
    _row("LongWriter-9B-DPO (paper)", None, None, 84.0),
    _row("Claude 3.5 Sonnet (paper)", None, None, 80.7),
    _row("Llama-3.1-8B-Instruct (paper)", 50.0, 70.6, 60.3),
    _row("LongWriter-Llama (LongDPO's re-evaluation, not the paper)", None, None, None,
         88.1, 86.0, 74.5, 86.9, 89.1, 88.3, 80.8, 79.2),
]  # fmt: skip
"""S_l, S_q, S = (S_l + S_q) / 2 overall, and S_l / S_q per required-length range."""
LONGBENCH_WRITE_SOURCE = (
    "LongWriter (Bai et al., 2024), as quoted by third parties (LOOM-Scope README; blog "
    "posts); the LongDPO row is that paper's re-evaluation, not LongWriter's"
)

RULER_ROWS: list[dict[str, Any]] = [
    {"model": "long-context LLMs without long-output training data (paper)", "max": "≈2,000"},
    {"model": "AgentWrite with GPT-4o (paper)", "max": "≈20,000"},
]
"""Where output length levels off, in words (the paper's LongWrite-Ruler figure)."""
RULER_SOURCE = (
    "LongWriter (Bai et al., 2024), section 2, and THUDM's LongWriter blog: LongWrite-Ruler is "
    "shown as a figure, not a table; these are the levels they report, approximately"
)
