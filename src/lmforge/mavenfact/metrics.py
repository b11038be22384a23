"""MAVEN-Fact's scores, exactly as the official code computes them (spec 2.5).

Per class c, one-vs-rest over the five labels: P = TP/(TP+FP), R = TP/(TP+FN), F1 = 2PR/(P+R),
each 0 when its denominator is 0 (sklearn's ``zero_division=0``). Macro-F1 is the unweighted
mean of the five per-class F1 (``sklearn.f1_score(average='macro')`` with the five labels), the
headline. Micro-F1 pools TP/FP/FN over the five labels; accuracy is correct / all gold mentions.

Predictions that are not one of the five labels are never dropped: a reply that could not be
read (``invalid``) or a gold mention with no prediction row (``missing``) is a column of its
own in the confusion matrix and counts as a false negative of its gold class (and a false
positive of no class), so it lowers recall, micro-F1 and accuracy and cannot pass for CT+.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .labels import INVALID, LABELS, MISSING, normalise_label

__all__ = ["COLUMNS", "FactScores", "format_table", "score_labels"]

COLUMNS: tuple[str, ...] = (*LABELS, INVALID, MISSING)
"""Confusion matrix columns: the five labels, then the two buckets of wrong non-answers."""


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {"precision": p, "recall": r, "f1": _ratio(2 * p * r, p + r)}


def _bucket(label: Any) -> str:
    if label == MISSING:
        return MISSING
    return normalise_label(label) or INVALID


def score_labels(gold: Sequence[str], predicted: Sequence[Any]) -> dict[str, Any]:
    """The scores of ``predicted`` against ``gold`` (same order): macro-F1, micro-F1,
    accuracy, per-class P/R/F1/support, the confusion matrix (rows gold, columns
    :data:`COLUMNS`) and the counts of invalid and missing predictions."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels for {len(predicted)} predictions")
    index = {c: i for i, c in enumerate(COLUMNS)}
    matrix = [[0] * len(COLUMNS) for _ in LABELS]
    for g, p in zip(gold, predicted, strict=True):
        row = LABELS.index(normalise_label(g) or "")
        matrix[row][index[_bucket(p)]] += 1
    per_class: dict[str, dict[str, float]] = {}
    tps = fps = fns = 0
    for i, label in enumerate(LABELS):
        tp = matrix[i][i]
        fp = sum(matrix[j][i] for j in range(len(LABELS))) - tp
        fn = sum(matrix[i]) - tp
        per_class[label] = {**_prf(tp, fp, fn), "support": sum(matrix[i])}
        tps, fps, fns = tps + tp, fps + fp, fns + fn
    total = len(gold)
    return {
        "n": total,
        "macro_f1": sum(c["f1"] for c in per_class.values()) / len(LABELS),
        "micro_f1": _prf(tps, fps, fns)["f1"],
        "accuracy": _ratio(tps, total),
        "per_class": per_class,
        "confusion": {"labels": list(LABELS), "columns": list(COLUMNS), "matrix": matrix},
        "invalid": sum(row[index[INVALID]] for row in matrix),
        "missing": sum(row[index[MISSING]] for row in matrix),
    }


FactScores = dict[str, Any]
"""What :func:`score_labels` returns (and ``scores.json`` of a benchmark run holds)."""


def format_table(scores: FactScores) -> list[str]:
    """``macro_f1: 0.NNNN`` first, then micro-F1, accuracy, the per-class table and the
    confusion matrix, as ``lmforge mavenfact evaluate`` prints them."""
    lines = [
        f"macro_f1: {scores['macro_f1']:.4f}",
        f"micro_f1: {scores['micro_f1']:.4f}",
        f"accuracy: {scores['accuracy']:.4f}",
        f"mentions: {scores['n']}",
        f"invalid: {scores['invalid']}",
        f"missing: {scores['missing']}",
        "",
        f"{'label':6} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>8}",
    ]
    for label, c in scores["per_class"].items():
        lines.append(
            f"{label:6} {c['precision']:9.4f} {c['recall']:9.4f} {c['f1']:9.4f} {c['support']:8d}"
        )
    cols = scores["confusion"]["columns"]
    lines += [
        "",
        "confusion (rows gold, columns predicted):",
        " " * 6 + "".join(f"{c:>8}" for c in cols),
    ]
    for label, row in zip(
        scores["confusion"]["labels"], scores["confusion"]["matrix"], strict=True
    ):
        lines.append(f"{label:6}" + "".join(f"{v:8d}" for v in row))
    return lines
