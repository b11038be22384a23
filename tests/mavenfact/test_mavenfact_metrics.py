"""The official metrics, worked by hand, checked against sklearn, and the evaluate command."""

from __future__ import annotations

import random

import pytest

from helpers import lmforge_cli
from lmforge.errors import InputError
from lmforge.mavenfact import LABELS, score_files, score_labels


def test_the_example_files_give_the_hand_computed_table(docs_file):
    # predictions.jsonl: 10 of 13 right, CT- -> CT+, PS+ -> "maybe" (invalid), Uu -> PS+.
    # F1: CT+ 2*.8*1/1.8 = .8889, CT- .8, PS+ (P 2/3, R 2/3) .6667, PS- 1, Uu (P 1, R .5) .6667
    scores = score_files(docs_file.parent / "predictions.jsonl", docs_file)
    assert scores["macro_f1"] == pytest.approx((16 / 18 + 0.8 + 2 / 3 + 1 + 2 / 3) / 5)
    assert scores["micro_f1"] == pytest.approx(0.8)  # P 10/12, R 10/13
    assert scores["accuracy"] == pytest.approx(10 / 13)
    assert scores["invalid"] == 1 and scores["missing"] == 0
    ps = scores["per_class"]["PS+"]
    assert (ps["precision"], ps["recall"], ps["support"]) == (pytest.approx(2 / 3),
                                                              pytest.approx(2 / 3), 3)  # fmt: skip
    assert scores["confusion"]["matrix"][2] == [0, 0, 2, 0, 0, 1, 0]


def test_scores_match_sklearn_with_invalid_predictions():
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    rng = random.Random(3)
    gold = [rng.choice(LABELS) for _ in range(300)]
    pred = [rng.choice([*LABELS, "nonsense", None]) for _ in range(300)]
    ours = score_labels(gold, pred)
    sk_pred = [p if p in LABELS else "invalid" for p in pred]
    kw = {"labels": list(LABELS), "zero_division": 0}
    assert ours["macro_f1"] == pytest.approx(f1_score(gold, sk_pred, average="macro", **kw))
    assert ours["micro_f1"] == pytest.approx(f1_score(gold, sk_pred, average="micro", **kw))
    assert ours["accuracy"] == pytest.approx(accuracy_score(gold, sk_pred))
    p, r, f, s = precision_recall_fscore_support(gold, sk_pred, **kw)
    for i, label in enumerate(LABELS):
        got = ours["per_class"][label]
        assert (got["precision"], got["recall"], got["f1"]) == pytest.approx((p[i], r[i], f[i]))
        assert got["support"] == s[i]


def test_an_absent_class_scores_zero_and_counts_in_the_macro_mean():
    scores = score_labels(["CT+", "CT+"], ["CT+", "CT+"])
    assert scores["per_class"]["CT+"]["f1"] == 1.0
    assert scores["macro_f1"] == pytest.approx(0.2)


def test_missing_and_unlabelled_predictions_count_as_wrong(docs_file, tmp_path, write_jsonl):
    preds = write_jsonl(tmp_path / "p.jsonl", [
        {"mention_id": "river_bridge-E1", "label": "CT+"},
        {"mention_id": "river_bridge-E2"},
        {"id": "river_bridge-E3", "label": None},
    ])  # fmt: skip
    scores = score_files(preds, docs_file)
    assert scores["n"] == 13 and scores["accuracy"] == pytest.approx(1 / 13)
    assert (scores["invalid"], scores["missing"]) == (2, 10)
    only = score_files(preds, docs_file, missing="skip")
    assert only["n"] == 3 and only["missing"] == 0


def test_a_prediction_for_an_unknown_mention_is_an_error(docs_file, tmp_path, write_jsonl):
    preds = write_jsonl(tmp_path / "p.jsonl", [{"mention_id": "elsewhere-E1", "label": "CT+"}])
    with pytest.raises(InputError, match="not in the gold file"):
        score_files(preds, docs_file)


def test_evaluate_prints_the_headline_then_the_table(docs_file):
    result = lmforge_cli("mavenfact", "evaluate", "--predictions",
                         docs_file.parent / "predictions.jsonl", "--gold", docs_file)  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "macro_f1: 0.8044"
    assert any(line.startswith("PS+       0.6667    0.6667    0.6667        3") for line in lines)


def test_a_broken_gold_row_names_file_line_and_field(tmp_path, write_jsonl):
    preds = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "label": "CT+"}])
    gold = write_jsonl(
        tmp_path / "g.jsonl", [{"id": "a", "label": "CT+"}, {"id": "b", "label": "XX"}]
    )
    with pytest.raises(InputError) as err:
        score_files(preds, gold)
    assert str(err.value).startswith(f"{gold}:2: field 'label'")
