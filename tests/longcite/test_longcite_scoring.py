"""LongBench-Cite arithmetic: verdict words, per-instance R/P/F1, correctness scales, and the
aggregation reproducing the official result object SelfCite's README prints (spec B9)."""

from __future__ import annotations

import pytest

from lmforge.errors import ParseError
from lmforge.longcite import (
    SELFCITE_BON,
    aggregate,
    citation_f1,
    correctness_ratio,
    correctness_score,
    instance_scores,
    need_value,
    read_rating,
    read_verdict,
    relevance_value,
    support_value,
)

SIZES = {"longbench-chat": 50, "multifieldqa_en": 150, "multifieldqa_zh": 200,
         "hotpotqa": 200, "dureader": 200, "gov_report": 200}  # fmt: skip
# integer ratings whose official scales give the published gpt_score of each dataset
RATINGS = {
    "longbench-chat": [7] * 32 + [6] * 18,  # r/10: 332/500 = .664
    "multifieldqa_en": [3] * 110 + [2] * 23 + [1] * 17,  # (r-1)/2: 121.5/150 = .81
    "multifieldqa_zh": [3] * 160 + [2] * 16 + [1] * 24,  # 168/200 = .84
    "hotpotqa": [3] * 120 + [2] * 20 + [1] * 60,  # 130/200 = .65
    "dureader": [3] * 120 + [2] * 20 + [1] * 60,
    "gov_report": [4] * 100 + [3] * 85 + [1] * 15,  # (r-1)/4: 117.5/200 = .5875
}


def _published_rows() -> list[dict]:
    """Per-instance scores: each instance carries its dataset's published R/P/F1 (the only
    per-instance figures the published object determines), and ratings as above."""
    rows = []
    for dataset, n in SIZES.items():
        figures = SELFCITE_BON["scores"][dataset]
        for i in range(n):
            score = {
                k: figures[k] for k in ("citation_recall", "citation_precision", "citation_f1")
            }
            score["correctness"] = correctness_score(dataset, RATINGS[dataset][i])
            rows.append({"dataset": dataset, "score": score})
    return rows


def test_aggregation_reproduces_the_published_result_object():
    got = aggregate(_published_rows())
    for entry, published in SELFCITE_BON["scores"].items():
        for key, value in published.items():
            assert got["scores"][entry][key] == pytest.approx(value, rel=0, abs=1e-15), (entry, key)
        assert got["scores"][entry]["n"] == (350 if entry == "multifieldqa" else SIZES[entry])
    for key in ("citation_recall", "citation_precision", "citation_f1", "correctness"):
        assert got[key] == pytest.approx(SELFCITE_BON[key], rel=0, abs=1e-15), key
    assert got["missing_entries"] == []
    # the dataset F1 is the mean of instance F1s, not the harmonic mean of the dataset R and P
    chat = got["scores"]["longbench-chat"]
    assert chat["citation_f1"] != pytest.approx(
        citation_f1(chat["citation_recall"], chat["citation_precision"]), abs=1e-3
    )


def test_correctness_is_exactly_the_official_float():
    got = aggregate(_published_rows())
    assert got["scores"]["longbench-chat"]["correctness"] == 0.6639999999999999
    assert got["scores"]["multifieldqa"]["correctness"] == 0.8271428571428572


def test_verdict_words_follow_the_official_keyword_rules():
    assert read_verdict("Need Citation: [[Yes]] Analysis: ...") == "Yes"
    assert read_verdict('{"verdict": "Partially supported"}') == "Partially supported"
    assert read_verdict("Rating: [[No support]] and [[Fully supported]]") == "No support"
    with pytest.raises(ParseError):
        read_verdict("Rating: fully supported")
    assert [need_value(v) for v in ("Yes", "yes.", "No")] == [1, 1, 0]
    assert [support_value(v) for v in ("Fully supported", "partially", "No support", "??")] == [
        1.0, 0.5, 0.0, 0.0
    ]  # fmt: skip
    assert [relevance_value(v) for v in ("Relevant", "Unrelevant", "irrelevant")] == [1, 0, 1]


def test_ratings_and_scales():
    assert read_rating("Rating: [[2]] then [[3 out of 3]]") == 3.0  # last brackets, first number
    assert read_rating('{"rating": 9}') == 9.0
    with pytest.raises(ParseError):
        read_rating("Rating: three")
    assert correctness_score("hotpotqa", 2) == 0.5
    assert correctness_score("gov_report", 5) == 1.0
    assert correctness_score("longbench-chat", 7) == 0.7
    assert correctness_score("dureader", None) == 0.5  # official fallback
    assert correctness_ratio(0.6, 0.8) == pytest.approx(0.75)
    assert correctness_ratio(0.6, None) is None


def test_instance_scores_and_failures():
    got = instance_scores([1.0, 0.5, 0.0], [1, 0])
    assert got["citation_recall"] == pytest.approx(0.5)
    assert got["citation_precision"] == pytest.approx(0.5)
    assert got["citation_f1"] == pytest.approx(0.5)
    assert instance_scores([], [])["citation_f1"] == 0.0  # 0 on 0 + 0
    zero = instance_scores([1.0, None], [1, None])
    assert (zero["unparsed"], zero["dropped"], zero["citation_recall"]) == (2, False, 0.5)
    drop = instance_scores([1.0, None], [1], failures="drop")
    assert drop["dropped"] and drop["citation_recall"] is None
    rows = [
        {"dataset": "hotpotqa", "score": {**drop, "n_citations": 1, "cite_tokens": 4}},
        {"dataset": "hotpotqa", "score": {**instance_scores([1.0], [1]), "n_citations": 2,
                                          "cite_tokens": 8}},
    ]  # fmt: skip
    agg = aggregate(rows)
    assert agg["scores"]["hotpotqa"]["citation_recall"] == 1.0  # the dropped one left out...
    assert (agg["dropped"], agg["unparsed"]) == (1, 1)  # ...and counted
    assert agg["citation_length"] == 4.0  # tokens per citation, pooled
    assert "longbench-chat" in agg["missing_entries"]
