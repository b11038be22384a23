"""The four periods of a time question, in the two variants the official code uses.

Prediction (``prediction_instruct.py``) asks for a probability over: period_1 = days 0-4,
period_2 = days 5-9, period_3 = days 10-14 after the question date, period_4 = "other" (later,
or never). Evaluation (``generate_time_periods_4``) places the gold date in: period_1 = the
question date plus days 1-5, period_2 = days 6-10, period_3 = days 11-15, period_4 = other.
The two differ by one day; both are kept as published, and the gold period is always taken
with the evaluation variant, as the official scorer does.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

__all__ = [
    "EVALUATION_DAYS",
    "PERIODS",
    "PREDICTION_DAYS",
    "gold_period",
    "period_table",
]

PERIODS = ("period_1", "period_2", "period_3", "period_4")
PREDICTION_DAYS = ((0, 4), (5, 9), (10, 14))
"""Day offsets (inclusive) of period_1..3 in the prediction prompts."""
EVALUATION_DAYS = ((1, 5), (6, 10), (11, 15))
"""Day offsets (inclusive) of period_1..3 in the official evaluation."""


def period_table(
    day: date, variant: Literal["prediction", "evaluation"] = "prediction"
) -> list[tuple[str, str]]:
    """``(period, "YYYY-MM-DD to YYYY-MM-DD")`` for the prompts; period_4 reads "other"."""
    offsets = PREDICTION_DAYS if variant == "prediction" else EVALUATION_DAYS
    rows = [
        (name, f"{day + timedelta(lo)} to {day + timedelta(hi)}")
        for name, (lo, hi) in zip(PERIODS, offsets, strict=False)
    ]
    return [*rows, ("period_4", "other: later than that, or not at all")]


def gold_period(day: date, target: str) -> str:
    """The evaluation period holding ``target`` (a date, or "other") for a question of ``day``."""
    if target == "other":
        return "period_4"
    offset = (date.fromisoformat(target) - day).days
    for name, (lo, hi) in zip(PERIODS, EVALUATION_DAYS, strict=False):
        if lo <= offset <= hi:
            return name
    return "period_4"
