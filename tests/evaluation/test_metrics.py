"""Metrics against values worked out by hand, and the edge cases that make reports lie."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lmforge.evaluation.metrics import (
    accuracy,
    bootstrap_ci,
    classification_report,
    confusion_matrix,
    macro_f1,
    micro_f1,
    pearson,
    per_class,
    rankdata,
    spearman,
)

# Worked by hand (rows: gold a a a a b b b c c c / pred a a b c b b a c c c):
#   a: tp 2, predicted 3, support 4 -> P 2/3, R 1/2, F1 4/7
#   b: tp 2, predicted 3, support 3 -> P 2/3, R 2/3, F1 2/3
#   c: tp 3, predicted 4, support 3 -> P 3/4, R 1,   F1 6/7
#   accuracy 7/10; macro F1 (4/7 + 2/3 + 6/7) / 3 = 44/63
#   micro without "a": tp 5, predicted 7, support 6 -> P 5/7, R 5/6, F1 10/13
GOLD = list("aaaabbbccc")
PRED = list("aabcbbaccc")


def test_per_class_matches_the_hand_computed_example():
    scores = {s.label: s for s in per_class(GOLD, PRED)}
    assert list(scores) == ["a", "b", "c"]
    a, b, c = scores["a"], scores["b"], scores["c"]
    assert (a.precision, a.recall, a.f1) == pytest.approx((2 / 3, 1 / 2, 4 / 7))
    assert (b.precision, b.recall, b.f1) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    assert (c.precision, c.recall, c.f1) == pytest.approx((3 / 4, 1.0, 6 / 7))
    assert [(s.support, s.predicted) for s in (a, b, c)] == [(4, 3), (3, 3), (3, 4)]


def test_accuracy_macro_and_micro_f1():
    assert accuracy(GOLD, PRED) == pytest.approx(0.7)
    assert macro_f1(GOLD, PRED) == pytest.approx(44 / 63)
    # Over every label micro-F1 is accuracy; leaving out the default class is what papers report.
    assert micro_f1(GOLD, PRED) == pytest.approx(0.7)
    assert micro_f1(GOLD, PRED, exclude=["a"]) == pytest.approx(10 / 13)
    assert micro_f1(GOLD, PRED, exclude="a") == pytest.approx(10 / 13)  # not "a"'s characters


def test_confusion_matrix_rows_are_gold_in_the_given_order():
    cm = confusion_matrix(GOLD, PRED, labels=["c", "b", "a"])
    assert cm.labels == ["c", "b", "a"]
    assert cm.matrix == [[3, 0, 0], [0, 2, 1], [1, 1, 2]]
    assert cm.as_rows()[2] == {"gold": "a", "c": 1, "b": 1, "a": 2}
    with pytest.raises(ValueError, match="not in labels"):
        confusion_matrix(GOLD, PRED, labels=["a", "b"])


def test_report_bundles_everything_and_dumps_to_json():
    report = classification_report(GOLD, PRED, exclude=["a"])
    assert report.n == 10 and report.accuracy == pytest.approx(0.7)
    assert report.macro.f1 == pytest.approx(44 / 63) and report.macro.labels == ["a", "b", "c"]
    assert report.micro.f1 == pytest.approx(10 / 13) and report.micro.labels == ["b", "c"]
    assert report.confusion.matrix == [[2, 1, 1], [1, 2, 0], [0, 0, 3]]
    data = json.loads(report.model_dump_json())
    assert data["per_class"][2]["f1"] == pytest.approx(6 / 7)


def test_a_class_nobody_predicted_scores_zero_not_nan():
    scores = {s.label: s for s in per_class(["x", "y", "y"], ["x", "x", "x"])}
    assert scores["y"].predicted == 0
    assert (scores["y"].precision, scores["y"].recall, scores["y"].f1) == (0.0, 0.0, 0.0)
    assert scores["x"].precision == pytest.approx(1 / 3) and scores["x"].recall == 1.0
    # A label given but absent from both sides counts in the macro average as 0.
    assert macro_f1(["x"], ["x"], labels=["x", "z"]) == pytest.approx(0.5)
    everything_excluded = pytest.raises(ValueError, match="no label")
    with everything_excluded:
        micro_f1(["x"], ["x"], exclude=["x"])


def test_parse_failures_as_none_are_a_label_of_their_own():
    gold, pred = ["a", "b", "a"], ["a", None, "b"]
    scores = {s.label: s for s in per_class(gold, pred)}
    assert scores["a"].recall == 0.5 and scores["b"].precision == 0.0
    assert confusion_matrix(gold, pred, labels=["a", "b", None]).matrix[1] == [0, 0, 1]


@pytest.mark.parametrize(
    "fn", [accuracy, macro_f1, micro_f1, per_class, confusion_matrix, classification_report]
)
def test_empty_or_unequal_inputs_are_a_clear_error(fn):
    with pytest.raises(ValueError, match="empty"):
        fn([], [])
    with pytest.raises(ValueError, match="gold has 2 labels but pred has 1"):
        fn(["a", "b"], ["a"])


def test_integer_labels_sort_numerically():
    assert [s.label for s in per_class([10, 2, 1], [2, 2, 1])] == [1, 2, 10]


def test_bootstrap_ci_of_a_mean_is_reproducible_and_brackets_it():
    values = [0, 1] * 50
    ci = bootstrap_ci(values, n=2000, seed=3)
    assert ci.estimate == 0.5 and ci.resamples == 2000 and ci.alpha == 0.05
    assert 0.38 < ci.low < 0.5 < ci.high < 0.62
    assert bootstrap_ci(values, n=2000, seed=3) == ci
    assert bootstrap_ci(values, n=2000, seed=4) != ci
    narrow = bootstrap_ci(values, n=2000, alpha=0.5, seed=3)
    assert ci.low < narrow.low < narrow.high < ci.high
    constant = bootstrap_ci([1.0, 1.0, 1.0])
    assert (constant.low, constant.estimate, constant.high) == (1.0, 1.0, 1.0)


def test_bootstrap_ci_of_any_metric_over_resampled_indices():
    gold, pred = np.array(GOLD, dtype=object), np.array(PRED, dtype=object)
    ci = bootstrap_ci(lambda i: macro_f1(gold[i], pred[i]), n=200, size=len(gold))
    assert ci.estimate == pytest.approx(44 / 63)
    assert 0 <= ci.low <= ci.estimate <= ci.high <= 1
    # Undefined resamples (a constant side of a correlation) are dropped and counted.
    x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0])
    corr = bootstrap_ci(lambda i: pearson(x[i], y[i]), n=300, size=3)
    assert 0 < corr.resamples < 300


def test_bootstrap_ci_rejects_bad_input():
    with pytest.raises(ValueError, match="non-empty"):
        bootstrap_ci([])
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_ci([1.0, None])
    with pytest.raises(ValueError, match="size="):
        bootstrap_ci(lambda i: 0.0)
    with pytest.raises(ValueError, match="alpha"):
        bootstrap_ci([1.0], alpha=1.0)
    with pytest.raises(ValueError, match="every resample"):
        bootstrap_ci(lambda i: float("nan"), n=5, size=2)


def test_rankdata_gives_ties_their_average_rank():
    assert rankdata([10, 20, 20, 5, 20]).tolist() == [2.0, 4.0, 4.0, 1.0, 4.0]
    assert rankdata([3.5]).tolist() == [1.0]


def test_spearman_and_pearson_match_hand_computed_values():
    # ranks x: 1, 2.5, 2.5, 4; y: 1, 3, 2, 4 -> r = 4.5 / sqrt(4.5 * 5)
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(4.5 / math.sqrt(22.5))
    # dx = -1, 0, 1; dy = -2, -1, 3 -> r = 5 / sqrt(2 * 14)
    assert pearson([1, 2, 3], [1, 2, 6]) == pytest.approx(5 / math.sqrt(28))
    assert spearman([1, 2, 3], [1, 2, 6]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_correlation_edge_cases():
    assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))
    assert math.isnan(spearman([4, 4], [1, 2]))
    with pytest.raises(ValueError, match="at least two"):
        spearman([1], [1])
    with pytest.raises(ValueError, match="equal length"):
        pearson([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="None/NaN"):
        spearman([1, None, 3], [1, 2, 3])


def test_tuple_labels_are_compared_whole_not_broadcast():
    # A tuple label used to be broadcast against the array (``gold == ("CT", "+")``).
    ct, ps, uu = ("CT", "+"), ("PS", "+"), ("Uu", None)
    gold = [ct, ct, ct, ct, ps, ps, ps, uu, uu, uu]
    pred = [ct, ct, ps, uu, ps, ps, ct, uu, uu, uu]  # GOLD/PRED above with a, b, c renamed
    scores = {s.label: s for s in per_class(gold, pred)}
    assert list(scores) == [ct, ps, uu]
    assert [(s.support, s.predicted) for s in scores.values()] == [(4, 3), (3, 3), (3, 4)]
    assert scores[ct].f1 == pytest.approx(4 / 7)
    assert accuracy(gold, pred) == pytest.approx(0.7)
    assert macro_f1(gold, pred) == pytest.approx(44 / 63)
    assert micro_f1(gold, pred, exclude=[ct]) == pytest.approx(10 / 13)
    report = classification_report(gold, pred, labels=[uu, ps, ct])
    assert report.confusion.matrix == [[3, 0, 0], [0, 2, 1], [1, 1, 2]]
    assert [s.label for s in report.per_class] == [uu, ps, ct]


def test_tuple_labels_of_the_same_length_as_the_sample():
    # Two-element tuples over two records: broadcasting would compare element-wise and be wrong.
    gold, pred = [("a", 1), ("b", 2)], [("a", 1), ("a", 1)]
    scores = {s.label: s for s in per_class(gold, pred)}
    assert scores[("a", 1)].predicted == 2
    assert (scores[("a", 1)].support, scores[("b", 2)].support) == (1, 1)
    assert scores[("b", 2)].recall == 0.0
    assert scores[("a", 1)].precision == pytest.approx(0.5)
