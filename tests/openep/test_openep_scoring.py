"""The scoring arithmetic, pinned: confidence weighting, the completeness gate, the 0-5
normalisation (fixed and official), time accuracy (fixed and official counting)."""

from __future__ import annotations

import asyncio
import json

import pytest

from lmforge.openep import ScoringOptions, aggregate, normalise, question_scores, time_accuracy
from lmforge.openep.benchmark import make_benchmark, openep_lines, score_row
from lmforge.openep.data import Question
from lmforge.openep.scoring import DIMENSIONS, RATED

FIXED = ScoringOptions()
OFFICIAL = ScoringOptions(official_normalisation=True, official_time_count=True)


def test_normalisation_is_monotone_and_the_official_quirk_is_kept():
    assert [normalise(s) for s in (0, 1, 1.5, 2, 3, 5)] == [0, 0, 0.125, 0.25, 0.5, 1]
    official = [normalise(s, official=True) for s in (0, 1, 1.5, 2, 5)]
    assert official == [0, 0.25, 0.125, 0.25, 1]  # 1 scores above 1.5: not monotone
    grid = [i / 10 for i in range(51)]
    fixed = [normalise(s) for s in grid]
    assert fixed == sorted(fixed)


def _judged(correct=True, acc_conf=80, gold=2, matched=1, comp_conf=50, rating=3, conf=100):
    return {
        "accuracy": {"correct": correct, "confidence": acc_conf},
        "completeness": {"gold_count": gold, "matched": matched, "confidence": comp_conf},
        **{d: {"rating": rating, "confidence": conf} for d in RATED},
    }


def test_confidence_weighting_and_the_question_mean():
    scores = question_scores(_judged(), FIXED)
    # accuracy 1 * 0.8; completeness min(1/2, 1) * 0.5; ratings (3 - 1) / 4 = 0.5 each
    assert scores["accuracy"] == pytest.approx(0.8)
    assert scores["completeness"] == pytest.approx(0.25)
    assert scores["relevance"] == pytest.approx(0.5)
    assert scores["overall"] == pytest.approx((0.8 + 0.25 + 0.5 * 3) / 5)
    unweighted = question_scores(_judged(), ScoringOptions(confidence=False))
    assert unweighted["accuracy"] == 1 and unweighted["completeness"] == 0.5


def test_completeness_is_forced_to_zero_when_accuracy_is_zero():
    scores = question_scores(_judged(correct=False, matched=2), FIXED)
    assert scores["accuracy"] == 0 and scores["completeness"] == 0
    assert question_scores(_judged(gold=0, matched=3), FIXED)["completeness"] == 0  # G = 0
    assert question_scores(_judged(gold=1, matched=3, comp_conf=100), FIXED)["completeness"] == 1


def test_a_failed_dimension_is_missing_not_zero():
    judged = {**_judged(), "focus": None}
    scores = question_scores(judged, FIXED)
    assert scores["focus"] is None and scores["overall"] is None


def test_time_accuracy_counts_every_hit_and_keeps_the_official_bug():
    hits = [True, True, False, None]
    assert time_accuracy(hits, FIXED) == pytest.approx(2 / 3)
    assert time_accuracy(hits, OFFICIAL) == pytest.approx(1 / 3)  # true_count = 1
    assert time_accuracy([None], FIXED) is None


def test_aggregate_means_per_type_and_overall():
    rows = [
        {"question_type": "event outcome", "score": question_scores(_judged(), FIXED)},
        {"question_type": "event outcome", "score": question_scores(_judged(correct=False), FIXED)},
        {"question_type": "location", "score": question_scores(_judged(rating=5), FIXED)},
        {"question_type": "time", "score": {"hit": True}},
        {"question_type": "time", "score": {"hit": False}},
    ]
    table = aggregate(rows, FIXED)
    assert table["n"] == 3 and table["time_accuracy"] == 0.5
    assert table["accuracy"] == pytest.approx((0.8 + 0 + 0.8) / 3)
    by_type = {g["type"]: g for g in table["by_type"]}
    assert by_type["event outcome"]["n"] == 2
    assert by_type["event outcome"]["accuracy"] == pytest.approx(0.4)
    assert by_type["location"]["relevance"] == pytest.approx(1.0)
    lines = openep_lines(table)
    assert lines[0] == "accuracy: 0.533" and lines[5] == "time_accuracy: 0.500"
    assert lines[6].startswith("overall: ") and any(line.startswith("location") for line in lines)


def test_scripted_judge_through_score_row(fake_llm, make_question):
    row = {**make_question(), "predictions": json.dumps({"analysis": "", "answer": ["Greens win"]})}
    scores = asyncio.run(score_row(row, fake_llm, FIXED))
    # the fake judge: correct at 80 %, 1 of 2 gold items at 50 %, every rating 3 at 100 %
    assert scores["accuracy"] == pytest.approx(0.8)
    assert scores["completeness"] == pytest.approx(0.25)
    assert scores["overall"] == pytest.approx((0.8 + 0.25 + 1.5) / 5)
    assert len(fake_llm.calls) == 5 and "1. Greens win" in fake_llm.calls[0].prompt
    assert "Green party won 40 of the 70 seats" in fake_llm.calls[0].prompt


def test_time_rows_read_the_period_or_ask_the_judge(fake_llm, make_question):
    base = make_question(
        question_type="time", date_question="2024-07-06", answer=["2024-07-08,found"]
    )
    parsed = {**base, "predictions": json.dumps({"analysis": "", "answer": "period_1"})}
    assert asyncio.run(score_row(parsed, fake_llm, FIXED))["hit"] is True
    assert not fake_llm.calls  # the official JSON names its period: no judge call
    free = {**base, "predictions": "Most likely within the second week."}
    scored = asyncio.run(score_row(free, fake_llm, FIXED))
    assert scored["predicted_period"] == "period_2" and scored["hit"] is False
    assert scored["period_source"] == "judge"


def test_benchmark_scores_predictions_end_to_end(tmp_path, fake_llm, make_question):
    from lmforge.evaluation.benchmark import run_benchmark

    questions = [Question.model_validate(make_question(i)) for i in (1, 2)]
    bench = make_benchmark(questions)
    preds = [{"id": 1, "predictions": json.dumps({"analysis": "", "answer": ["x"]})}]
    scores = asyncio.run(
        run_benchmark(
            bench, None, run_dir=tmp_path / "run", judge=fake_llm, predictions=preds, quiet=True
        )
    )
    assert scores["n"] == 1 and scores["accuracy"] == pytest.approx(0.8)
    from lmforge.openep.report import openep_section

    headline, by_type = openep_section(tmp_path / "run", {"model": None})
    assert headline.columns[1:6] == list(DIMENSIONS) and headline.references == []
    assert headline.rows[0]["accuracy"] == pytest.approx(0.8) and by_type.table[0]["n"] == 1
