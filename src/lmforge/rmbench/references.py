"""Published RM-Bench figures: the rows a run's report shows under its own.

The RM-Bench leaderboard (THU-KEG/RM-Bench-Leaderboard, README at commit ``b0d159fb``,
2025-07-23) is the fullest published table. The project's shared data keeps it as CSV
(``rmbench/leaderboard_2025-07-23.csv``, 51 rows); a user's clone may not have it, so a
handful of its rows are typed in here as facts, with the paper's best reward model among
them (Skywork-Reward-Llama-3.1-8B: Hard 46.6, the abstract's figure). The report reads the
whole CSV instead when the user points at it (``LMFORGE_RMBENCH_LEADERBOARD``) or when it
lies beside the run's data files (``leaderboard*.csv`` in a data folder, as in the shared
data).

Columns, as the leaderboard prints them: Chat, Math, Code, Safety (domain averages), Easy,
Normal, Hard (accuracy by style pairing, over the domains) and Avg (the leaderboard's
Overall: the mean of the four domains, which equals the mean of Easy, Normal and Hard).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lmforge.evaluation.references import read_reference_csv

__all__ = [
    "COLUMNS",
    "LEADERBOARD_ENV",
    "LEADERBOARD_ROWS",
    "LEADERBOARD_SOURCE",
    "find_leaderboard",
    "leaderboard_rows",
]

LEADERBOARD_ENV = "LMFORGE_RMBENCH_LEADERBOARD"
"""A CSV of the leaderboard (the shared data's ``leaderboard_2025-07-23.csv`` columns)."""
LEADERBOARD_SOURCE = (
    "RM-Bench leaderboard, THU-KEG/RM-Bench-Leaderboard README @ b0d159fb (2025-07-23)"
)
COLUMNS = ["model", "type", "Chat", "Math", "Code", "Safety", "Easy", "Normal", "Hard", "Avg"]
NUMERIC = ("Chat", "Math", "Code", "Safety", "Easy", "Normal", "Hard", "Avg")
CSV_COLUMNS = {
    "model": "model",
    "model_type": "type",
    "chat": "Chat",
    "math": "Math",
    "code": "Code",
    "safety": "Safety",
    "easy": "Easy",
    "normal": "Normal",
    "hard": "Hard",
    "overall": "Avg",
}
"""Leaderboard CSV header -> report column."""


def _row(model: str, kind: str, *values: float | None) -> dict[str, Any]:
    return {"model": model, "type": kind, **dict(zip(NUMERIC, values, strict=True))}


LEADERBOARD_ROWS: list[dict[str, Any]] = [
    _row("Skywork-Reward-V2-Llama-3.1-8B-40M", "Scalar RM", None, None, None, None,
         97.6, 96.9, 93.5, 96.0),
    _row("GPT-4.1", "LLM", 79.5, 68.1, 67.3, 93.1, 85.7, 77.0, 69.5, 77.4),
    _row("INF-ORM-Llama3.1-70B", "Scalar RM", 66.3, 65.6, 56.8, 94.8, 91.8, 76.1, 44.8, 70.9),
    _row("Llama-3.1-Nemotron-70B-Reward", "Scalar RM", 70.7, 64.3, 57.4, 90.3,
         92.5, 76.4, 43.1, 70.7),
    _row("Skywork-Reward-Llama-3.1-8B", "Scalar RM", 69.5, 60.6, 54.5, 95.7,
         89.0, 74.7, 46.6, 70.1),
    _row("URM-LLama-3.1-8B", "Scalar RM", 71.2, 61.8, 54.1, 93.1, 84.0, 73.2, 53.0, 70.0),
    _row("Nemotron-340B-Reward", "Scalar RM", 71.2, 59.8, 59.4, 87.5, 81.0, 71.4, 56.1, 69.5),
    _row("ArmoRM-Llama3-8B-v0.1", "Scalar RM", 67.8, 57.5, 53.1, 92.4, 82.2, 71.0, 49.8, 67.7),
    _row("tulu-v2.5-70b-preference-mix-rm", "Scalar RM", 58.2, 51.4, 55.5, 87.1,
         72.8, 65.6, 50.7, 63.0),
]  # fmt: skip
"""Nine rows of the leaderboard, in its order (by Avg), copied exactly from its table."""


def _candidates(data: list[Path]) -> list[Path]:
    folders = [p if p.is_dir() else p.parent for p in data]
    return [
        csv for folder in dict.fromkeys(folders) for csv in sorted(folder.glob("leaderboard*.csv"))
    ]


def find_leaderboard(data: list[Path]) -> Path | None:
    """The leaderboard CSV to show: ``$LMFORGE_RMBENCH_LEADERBOARD``, else the newest
    ``leaderboard*.csv`` in a folder of the run's data (or ``$LMFORGE_RMBENCH_DATA``)."""
    given = os.environ.get(LEADERBOARD_ENV)
    if given:
        return Path(given)
    env = os.environ.get("LMFORGE_RMBENCH_DATA", "")
    found = _candidates([*data, *(Path(p) for p in env.split(os.pathsep) if p.strip())])
    return found[-1] if found else None


def leaderboard_rows(path: Path | None) -> tuple[list[dict[str, Any]], str]:
    """The published rows and where they come from: the CSV at ``path`` (every row, in its
    order), else the rows typed in above."""
    if path is None:
        return LEADERBOARD_ROWS, LEADERBOARD_SOURCE + " (9 of its 51 rows, typed into lmforge)"
    rows = read_reference_csv(path, CSV_COLUMNS, numeric=NUMERIC)
    return rows, f"{path} ({len(rows)} rows, in its order)"
