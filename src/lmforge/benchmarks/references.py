"""Published IFEval and FollowBench figures: CRAB's headline table.

CRAB (THU-KEG/Crab, ``assets/performance.png`` at ``10d58ad6``, 2025-05-23) reports, for each
model, IFEval's four accuracies ([S]P strict prompt-level, [S]I strict instruction-level,
[L]P, [L]I loose) and their mean, and FollowBench's HSR at levels 1-5 and their mean (English
set, categories averaged per level). The numbers are typed in here exactly as transcribed in
the project's notes (the shared data's ``crab/crab_paper_table_ifeval_followbench.csv``
holds the same). ``*`` and ``†`` mark rows the paper took from other sources.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CRAB_SOURCE", "CRAB_TABLE", "followbench_rows", "ifeval_rows"]

CRAB_SOURCE = (
    "CRAB (Qi et al., 2024), headline table, THU-KEG/Crab assets/performance.png @ 10d58ad6; "
    "* and † mark rows the paper took from other sources"
)

_COLUMNS = ("model", "sp", "si", "lp", "li", "ifeval_avg", "l1", "l2", "l3", "l4", "l5", "fb_avg")
_ROWS = [
    ("GPT-3.5*", 59.0, 68.5, 64.0, 73.6, 66.3, 80.3, 68.0, 68.6, 61.1, 53.2, 66.2),
    ("GPT-4†", 76.9, 83.6, 79.3, 85.4, 81.3, 84.7, 76.1, 71.3, 74.5, 62.4, 73.8),
    ("Vicuna-v1.5-13B†", 43.1, 53.6, 46.6, 58.0, 50.3, 71.2, 61.3, 48.3, 38.0, 33.1, 50.4),
    ("WizardLM-v1.2-13B", 43.6, 54.4, 48.4, 59.1, 51.4, 61.3, 51.6, 43.3, 37.5, 29.9, 44.7),
    ("Conifer-SFT-13B†", 42.9, 53.0, 47.5, 57.4, 50.2, 60.5, 53.6, 48.4, 40.7, 31.7, 47.0),
    ("Zephyr-beta-7B†", 32.0, 46.8, 44.9, 58.0, 45.4, 57.6, 51.9, 41.9, 41.4, 31.4, 44.8),
    ("Conifer-SFT-7B†", 45.8, 57.1, 50.8, 62.0, 53.9, 54.3, 49.5, 49.3, 40.8, 30.5, 44.9),
    ("Conifer-DPO-7B†", 48.1, 59.1, 52.3, 63.3, 55.7, 60.3, 53.6, 48.0, 47.1, 41.0, 50.0),
    ("Llama3 8B", 25.7, 36.8, 28.1, 35.1, 31.4, 4.8, 8.7, 8.8, 6.0, 9.8, 7.6),
    ("Llama3-CRAB", 39.4, 50.2, 43.8, 54.2, 46.9, 57.5, 44.9, 34.9, 25.2, 20.0, 36.5),
    ("Llama3-CRAB + DPO", 40.3, 52.0, 47.7, 58.9, 49.7, 64.6, 49.0, 41.6, 35.8, 36.8, 45.5),
    ("Mistral 7B", 18.5, 30.8, 19.6, 31.9, 25.2, 14.3, 16.6, 8.3, 5.8, 5.5, 10.1),
    ("Mistral-CRAB", 47.9, 57.3, 51.6, 61.2, 54.5, 63.9, 54.4, 40.1, 30.4, 27.9, 43.3),
    ("Mistral-CRAB + DPO", 49.7, 61.5, 57.7, 68.5, 59.3, 66.1, 53.6, 53.4, 42.4, 31.7, 49.4),
]
CRAB_TABLE: list[dict[str, Any]] = [dict(zip(_COLUMNS, row, strict=True)) for row in _ROWS]
"""CRAB's rows, in its order: IFEval in percent, FollowBench HSR in percent."""


def ifeval_rows() -> list[dict[str, Any]]:
    """CRAB's IFEval columns under the report's names."""
    names = {"sp": "[S]P", "si": "[S]I", "lp": "[L]P", "li": "[L]I", "ifeval_avg": "avg"}
    return [{"model": r["model"], **{v: r[k] for k, v in names.items()}} for r in CRAB_TABLE]


def followbench_rows() -> list[dict[str, Any]]:
    """CRAB's FollowBench HSR columns under the report's names (SSR and CSL: not published)."""
    return [
        {
            "model": r["model"],
            "metric": "HSR",
            **{f"L{n}": r[f"l{n}"] for n in range(1, 6)},
            "avg": r["fb_avg"],
        }
        for r in CRAB_TABLE
    ]
