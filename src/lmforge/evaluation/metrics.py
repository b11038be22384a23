"""Classification metrics, bootstrap confidence intervals and rank correlation, in numpy only.

The papers this project reproduces report accuracy, per-class and macro/micro F1 (MAVEN-Fact,
RM-Bench), and correlate judge scores with human ratings (LongBench-Write, LongReward). These
functions are small enough to check by hand, so every system computes its table the same way
without pulling in scikit-learn or scipy.

Conventions (those of scikit-learn with ``zero_division=0``):

- A class nobody predicted has precision 0 (not NaN); a class absent from the gold labels has
  recall 0; F1 is 0 whenever precision + recall is 0. Reports must stay valid JSON.
- Labels are any hashable values (``"CT+"``, ``1``, ``None`` for a parse failure, a tuple such
  as ``("CT", "+")``), compared element by element. Without an explicit ``labels`` list the
  labels are the sorted union of gold and predicted values.
- Empty or unequal inputs raise ``ValueError``: a metric of nothing is a bug upstream, not 0.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel

__all__ = [
    "Averages",
    "ClassScores",
    "ClassificationReport",
    "ConfidenceInterval",
    "ConfusionMatrix",
    "accuracy",
    "bootstrap_ci",
    "classification_report",
    "confusion_matrix",
    "macro_f1",
    "micro_f1",
    "pearson",
    "per_class",
    "rankdata",
    "spearman",
]


class ClassScores(BaseModel):
    """Precision, recall and F1 of one label, with the counts behind them."""

    label: Any
    precision: float
    recall: float
    f1: float
    support: int
    """Gold occurrences of the label."""
    predicted: int
    """Predicted occurrences of the label."""


class Averages(BaseModel):
    """An averaged precision/recall/F1 and the labels the average ran over."""

    precision: float
    recall: float
    f1: float
    labels: list[Any]


class ConfusionMatrix(BaseModel):
    """Counts with gold labels as rows and predicted labels as columns, in ``labels`` order."""

    labels: list[Any]
    matrix: list[list[int]]

    def as_rows(self) -> list[dict[str, Any]]:
        """One dict per gold label: the shape run reports render as a table."""
        return [
            {"gold": str(gold), **{str(p): n for p, n in zip(self.labels, row, strict=True)}}
            for gold, row in zip(self.labels, self.matrix, strict=True)
        ]


class ClassificationReport(BaseModel):
    """Everything a classification table needs, dumpable to ``summary.json``."""

    n: int
    accuracy: float
    per_class: list[ClassScores]
    macro: Averages
    micro: Averages
    confusion: ConfusionMatrix


class ConfidenceInterval(BaseModel):
    """A percentile bootstrap interval around the statistic of the full sample."""

    estimate: float
    low: float
    high: float
    alpha: float
    resamples: int
    """Resamples whose statistic was finite (a resample can make a metric undefined)."""


# --------------------------------------------------------------------------- classification


def _as_objects(values: Sequence[Hashable]) -> np.ndarray:
    """An object array built element by element, so tuple labels are not turned into rows."""
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = value
    return out


def _pair(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> tuple[np.ndarray, np.ndarray]:
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} labels but pred has {len(pred)}")
    if len(gold) == 0:
        raise ValueError("no labels: metrics of an empty sample are undefined")
    return _as_objects(gold), _as_objects(pred)


def _labels(gold: np.ndarray, pred: np.ndarray, labels: Sequence[Hashable] | None) -> list:
    if labels is not None:
        if len(set(labels)) != len(labels):
            raise ValueError(f"labels contain duplicates: {list(labels)}")
        return list(labels)
    seen = list(dict.fromkeys([*gold.tolist(), *pred.tolist()]))
    try:
        return sorted(seen)
    except TypeError:  # mixed types (a None among strings): first-seen order is still stable
        return seen


def _positions(values: np.ndarray, index: dict[Hashable, int]) -> np.ndarray:
    """Each value's position in the labels (-1 outside them), looked up one element at a time.

    ``values == label`` would let numpy broadcast a tuple label against the array.
    """
    return np.fromiter((index.get(v, -1) for v in values), dtype=np.int64, count=len(values))


def _counts(gold: np.ndarray, pred: np.ndarray, labels: list) -> dict[str, np.ndarray]:
    """True positives, predicted and gold counts per label."""
    index = {label: i for i, label in enumerate(labels)}
    g, p = _positions(gold, index), _positions(pred, index)
    n = len(labels)
    return {
        "tp": np.bincount(g[(g == p) & (g >= 0)], minlength=n),
        "predicted": np.bincount(p[p >= 0], minlength=n),
        "support": np.bincount(g[g >= 0], minlength=n),
    }


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


def _f1(precision: float, recall: float) -> float:
    return _ratio(2 * precision * recall, precision + recall)


def accuracy(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """Share of positions where the prediction equals the gold label."""
    g, p = _pair(gold, pred)
    return float(np.mean(g == p))


def _scores(names: list, c: dict[str, np.ndarray]) -> list[ClassScores]:
    out = []
    for i, label in enumerate(names):
        precision = _ratio(c["tp"][i], c["predicted"][i])
        recall = _ratio(c["tp"][i], c["support"][i])
        out.append(
            ClassScores(
                label=label,
                precision=precision,
                recall=recall,
                f1=_f1(precision, recall),
                support=int(c["support"][i]),
                predicted=int(c["predicted"][i]),
            )
        )
    return out


def _macro(scores: list[ClassScores]) -> Averages:
    return Averages(
        precision=float(np.mean([s.precision for s in scores])),
        recall=float(np.mean([s.recall for s in scores])),
        f1=float(np.mean([s.f1 for s in scores])),
        labels=[s.label for s in scores],
    )


def _micro(names: list, c: dict[str, np.ndarray], exclude: Sequence[Hashable]) -> Averages:
    if isinstance(exclude, str):  # "CT+" means the label, not its characters
        exclude = (exclude,)
    keep = np.array([label not in exclude for label in names], dtype=bool)
    if not keep.any():
        raise ValueError(f"excluding {list(exclude)} leaves no label to average over")
    tp = int(c["tp"][keep].sum())
    precision = _ratio(tp, int(c["predicted"][keep].sum()))
    recall = _ratio(tp, int(c["support"][keep].sum()))
    kept = [label for label, k in zip(names, keep, strict=True) if k]
    return Averages(precision=precision, recall=recall, f1=_f1(precision, recall), labels=kept)


def _tally(
    gold: Sequence[Hashable], pred: Sequence[Hashable], labels: Sequence[Hashable] | None
) -> tuple[list, dict[str, np.ndarray]]:
    g, p = _pair(gold, pred)
    names = _labels(g, p, labels)
    return names, _counts(g, p, names)


def per_class(
    gold: Sequence[Hashable], pred: Sequence[Hashable], labels: Sequence[Hashable] | None = None
) -> list[ClassScores]:
    """Precision, recall and F1 of each label, in ``labels`` order.

    A prediction outside ``labels`` still counts as a miss for the gold label's recall.
    """
    return _scores(*_tally(gold, pred, labels))


def macro_f1(
    gold: Sequence[Hashable], pred: Sequence[Hashable], labels: Sequence[Hashable] | None = None
) -> float:
    """Unweighted mean of per-label F1: every class counts the same, rare ones included."""
    return _macro(per_class(gold, pred, labels)).f1


def micro_f1(
    gold: Sequence[Hashable],
    pred: Sequence[Hashable],
    labels: Sequence[Hashable] | None = None,
    *,
    exclude: Sequence[Hashable] = (),
) -> float:
    """F1 of true positives pooled over labels, leaving out the labels in ``exclude``.

    Over all labels (and predictions inside them) micro-F1 equals accuracy, which says little.
    Event-factuality work (FactBank, MAVEN-Fact) therefore pools only the non-default classes:
    ``exclude=["CT+"]`` (or the "negative"/"none" class of a detection task) makes predicting
    the default class neither a true nor a false positive, while missing a non-default event
    still costs recall.
    """
    return _micro(*_tally(gold, pred, labels), exclude).f1


def confusion_matrix(
    gold: Sequence[Hashable], pred: Sequence[Hashable], labels: Sequence[Hashable] | None = None
) -> ConfusionMatrix:
    """Counts of (gold, predicted) pairs; a value outside ``labels`` is a ``ValueError``.

    Dropping unknown values silently (as scikit-learn does) would hide malformed predictions;
    add them to ``labels`` (``None`` for parse failures) to see them as a column.
    """
    g, p = _pair(gold, pred)
    names = _labels(g, p, labels)
    index = {label: i for i, label in enumerate(names)}
    unknown = [v for v in dict.fromkeys([*g.tolist(), *p.tolist()]) if v not in index]
    if unknown:
        raise ValueError(f"values {unknown} are not in labels {names}")
    matrix = np.zeros((len(names), len(names)), dtype=np.int64)
    np.add.at(matrix, ([index[v] for v in g], [index[v] for v in p]), 1)
    return ConfusionMatrix(labels=names, matrix=matrix.tolist())


def classification_report(
    gold: Sequence[Hashable],
    pred: Sequence[Hashable],
    labels: Sequence[Hashable] | None = None,
    *,
    exclude: Sequence[Hashable] = (),
) -> ClassificationReport:
    """Accuracy, per-class scores, macro and micro averages and the confusion matrix at once.

    ``exclude`` applies to the micro average only (see :func:`micro_f1`); restrict the macro
    average by passing ``labels``.
    """
    names, counts = _tally(gold, pred, labels)
    scores = _scores(names, counts)
    return ClassificationReport(
        n=len(gold),
        accuracy=accuracy(gold, pred),
        per_class=scores,
        macro=_macro(scores),
        micro=_micro(names, counts, exclude),
        confusion=confusion_matrix(gold, pred, names),
    )


# --------------------------------------------------------------------------- bootstrap


def bootstrap_ci(
    values_or_fn: Sequence[float] | np.ndarray | Callable[[np.ndarray], float],
    n: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
    *,
    size: int | None = None,
) -> ConfidenceInterval:
    """Percentile bootstrap interval of a mean, or of any metric over resampled indices.

    With numbers, the statistic is their mean. With a function, it is ``fn(indices)`` for an
    integer index array over a sample of ``size`` items, so any metric that needs several
    aligned arrays (F1 of gold and pred, a correlation) can be bootstrapped::

        bootstrap_ci(lambda i: macro_f1(gold[i], pred[i]), size=len(gold))

    Resamples whose statistic is not finite (a correlation of a constant resample) are left out
    and the interval says how many were used; ``seed`` makes the interval reproducible.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    rng = np.random.default_rng(seed)
    if callable(values_or_fn):
        if size is None or size < 1:
            raise ValueError("bootstrapping a function needs size= (the number of items, >= 1)")
        fn = values_or_fn
        estimate = float(fn(np.arange(size)))
        stats = np.array([fn(rng.integers(0, size, size)) for _ in range(n)], dtype=float)
    else:
        values = np.asarray(values_or_fn, dtype=float)
        if values.ndim != 1 or values.size == 0:
            raise ValueError("bootstrap_ci needs a non-empty 1-D sequence of numbers")
        if not np.all(np.isfinite(values)):
            raise ValueError("values contain NaN or infinity (missing scores?): drop them first")
        estimate = float(values.mean())
        stats = values[rng.integers(0, values.size, (n, values.size))].mean(axis=1)
    stats = stats[np.isfinite(stats)]
    if stats.size == 0:
        raise ValueError("the statistic was undefined on every resample")
    low, high = np.percentile(stats, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return ConfidenceInterval(
        estimate=estimate, low=float(low), high=float(high), alpha=alpha, resamples=stats.size
    )


# --------------------------------------------------------------------------- correlation


def rankdata(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank (scipy's ``method="average"``).

    Judge scores are coarse (1-10 integers), so ties are the rule; ranking them by position
    would make Spearman's rho depend on input order.
    """
    x = np.asarray(values, dtype=float)
    order = np.argsort(x, kind="mergesort")
    ordered = x[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], x.size]
    ranks = np.empty(x.size, dtype=float)
    ranks[order] = np.repeat((starts + ends + 1) / 2, ends - starts)
    return ranks


def _paired(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"x and y must be 1-D of equal length, got {a.shape} and {b.shape}")
    if a.size < 2:
        raise ValueError("a correlation needs at least two pairs")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("x or y contain None/NaN (a failed judgement?): drop those pairs first")
    return a, b


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson's r; NaN when either side is constant, where correlation is undefined."""
    a, b = _paired(x, y)
    da, db = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt(np.sum(da * da) * np.sum(db * db)))
    if denominator == 0.0:
        return float("nan")
    return float(np.clip(np.sum(da * db) / denominator, -1.0, 1.0))


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho: Pearson's r of average ranks; NaN when either side is constant."""
    a, b = _paired(x, y)
    return pearson(rankdata(a), rankdata(b))
