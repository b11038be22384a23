"""OpenEP's scoring arithmetic (official ``evaluation.py`` / ``question_*_eva.py``), with its
two bugs fixed by default and the official behaviour kept behind :class:`ScoringOptions`.

Open questions, per dimension (the judge also gives a confidence percentage for each):

- accuracy: 1 if the prediction matches at least one gold outcome, else 0;
- completeness: min(M / G, 1), 0 when G = 0 (G gold items, M of them predicted), and
  forced to 0 when accuracy is 0;
- relevance, focus, reasonableness: a 0-5 rating normalised to 0..1 (:func:`normalise`).

Each dimension is multiplied by confidence / 100 (``confidence``, on by default as in the
official code). A question's score is the mean of its five dimensions; the table gives the
mean over questions and per question type. Time questions are scored by period accuracy
(:func:`time_accuracy`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "DIMENSIONS",
    "RATED",
    "ScoringOptions",
    "aggregate",
    "completeness_value",
    "normalise",
    "question_scores",
    "time_accuracy",
    "weight",
]

DIMENSIONS = ("accuracy", "completeness", "relevance", "focus", "reasonableness")
RATED = ("relevance", "focus", "reasonableness")
"""The dimensions rated 0-5."""


class ScoringOptions(BaseModel):
    """Switches between the fixed arithmetic (default) and the official code's."""

    model_config = ConfigDict(use_attribute_docstrings=True, frozen=True)
    confidence: bool = True
    """Multiply each dimension by the judge's confidence / 100 (official ``confidence_flag``)."""
    official_normalisation: bool = False
    """The official 0-5 mapping ``s > 1 ? (s - 1) / 4 : s / 4``. It is not monotone: a rating
    of 1 gives 0.25 but 1.5 gives 0.125, and 1 scores as much as 2. The default,
    ``clamp((s - 1) / 4, 0, 1)``, keeps every official value for s > 1 and maps s <= 1 to 0."""
    official_time_count: bool = False
    """The official time scorer sets ``true_count = 1`` on a hit instead of adding one, so its
    accuracy is 1/n when any question is right and 0 otherwise. The default counts every hit."""
    official_period_match: bool = False
    """Official: a hit when the gold period's name is a substring of the judge's extraction;
    default: the extracted period must equal it."""


def normalise(rating: float, *, official: bool = False) -> float:
    """A 0-5 rating as 0..1 (see :attr:`ScoringOptions.official_normalisation`)."""
    if official:
        return (rating - 1) / 4 if rating > 1 else rating / 4
    return min(max((rating - 1) / 4, 0.0), 1.0)


def weight(value: float, confidence: float | None, options: ScoringOptions) -> float:
    """``value`` times confidence / 100 (confidence clamped to 0..100) when weighting is on."""
    if not options.confidence:
        return value
    share = 1.0 if confidence is None else min(max(float(confidence), 0.0), 100.0) / 100
    return value * share


def completeness_value(gold_count: int, matched: int) -> float:
    """min(M / G, 1), and 0 when the gold holds no countable answer (G = 0)."""
    if gold_count <= 0:
        return 0.0
    return min(max(matched, 0) / gold_count, 1.0)


def question_scores(judged: dict[str, Any], options: ScoringOptions) -> dict[str, float | None]:
    """One open question's five dimension scores and their mean (``overall``).

    ``judged`` maps each dimension to the judge's parsed reply (None: the judge failed):
    accuracy ``{"correct": bool, "confidence": 0-100}``, completeness ``{"gold_count",
    "matched", "confidence"}``, rated ``{"rating": 0-5, "confidence"}``. A failed dimension
    is None and so is ``overall``: a judge's failure never passes for a zero.
    """
    out: dict[str, float | None] = {}
    acc = judged.get("accuracy")
    out["accuracy"] = (
        None if acc is None else weight(float(bool(acc["correct"])), acc["confidence"], options)
    )
    comp = judged.get("completeness")
    if out["accuracy"] == 0:
        out["completeness"] = 0.0  # forced: nothing right means nothing complete
    elif comp is None:
        out["completeness"] = None
    else:
        value = completeness_value(int(comp["gold_count"]), int(comp["matched"]))
        out["completeness"] = weight(value, comp["confidence"], options)
    for name in RATED:
        got = judged.get(name)
        out[name] = (
            None
            if got is None
            else weight(
                normalise(float(got["rating"]), official=options.official_normalisation),
                got["confidence"],
                options,
            )
        )
    values = [out[d] for d in DIMENSIONS]
    out["overall"] = None if any(v is None for v in values) else sum(values) / len(DIMENSIONS)  # type: ignore[arg-type,misc]
    return out


def _mean(values: Iterable[float | None]) -> tuple[float | None, int]:
    """(mean of the numbers, how many were None)."""
    values = list(values)
    numbers = [v for v in values if v is not None]
    return (sum(numbers) / len(numbers) if numbers else None), len(values) - len(numbers)


def time_accuracy(hits: list[bool | None], options: ScoringOptions) -> float | None:
    """Share of time questions whose predicted period is the gold one (None: no gold
    period or no prediction, left out). Official counting behind ``official_time_count``."""
    known = [h for h in hits if h is not None]
    if not known:
        return None
    count = (1 if any(known) else 0) if options.official_time_count else sum(known)
    return count / len(known)


def _group(scores: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(scores)}
    for name in (*DIMENSIONS, "overall"):
        out[name], missing = _mean(s.get(name) for s in scores)
        if missing:
            out[f"{name}_missing"] = missing
    return out


def aggregate(rows: list[dict[str, Any]], options: ScoringOptions) -> dict[str, Any]:
    """The table: each dimension's mean over open questions, ``time_accuracy``, ``overall``
    (mean of the per-question scores), and ``by_type`` (the same per question type; time
    questions show their period accuracy)."""
    scored = [r for r in rows if isinstance(r.get("score"), dict)]
    open_rows = [r["score"] for r in scored if r.get("question_type") != "time"]
    hits = [r["score"].get("hit") for r in scored if r.get("question_type") == "time"]
    out: dict[str, Any] = _group(open_rows)
    out["n_time"] = len(hits)
    out["time_accuracy"] = time_accuracy(hits, options)
    out["time_unscored"] = sum(h is None for h in hits)
    by_type = []
    types = dict.fromkeys(str(r.get("question_type")) for r in scored)
    for kind in types:
        group = [r["score"] for r in scored if r.get("question_type") == kind]
        if kind == "time":
            by_type.append({"type": kind, "n": len(group), "time_accuracy": out["time_accuracy"]})
        else:
            by_type.append({"type": kind, **_group(group)})
    out["by_type"] = by_type
    return out
