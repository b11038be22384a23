"""StkFEP end to end through the real embedded model (SmolLM2-135M, short generations) on one
English OpenEPBench question, then judged by the same model."""

from __future__ import annotations

import json

import pytest

from lmforge.llm.types import GenerateConfig
from lmforge.openep import EvaluateConfig, PredictConfig, evaluate, predict


def _question(test_data, tmp_path):
    line = (test_data / "openep" / "en_valid_data.jsonl").read_text().splitlines()[0]
    questions = tmp_path / "q.jsonl"
    questions.write_text(line + "\n")  # French legislative elections, 2024-07-09
    return questions


def test_direct_prediction_on_the_embedded_model(tmp_path, test_data):
    cfg = PredictConfig(
        input=_question(test_data, tmp_path), output=tmp_path / "p.jsonl", method="direct",
        model="embedded-tiny", settings={"generation": GenerateConfig(max_tokens=64)},
    )  # fmt: skip
    result = predict(cfg, out=tmp_path / "run", quiet=True)
    assert result["predicted"] + result["dropped"] == 1
    if result["predicted"]:
        (row,) = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
        assert json.loads(row["predictions"])["answer"] and row["method"] == "direct"


@pytest.mark.slow
def test_stkfep_and_the_judge_run_on_the_embedded_model(tmp_path, test_data):
    questions = _question(test_data, tmp_path)
    news = [
        ("2024-07-07", "France votes in the second round", "Voters in France cast ballots in "
         "the second round of the legislative elections. The left alliance hopes to gain seats."),
        ("2024-07-08", "Prime minister offers resignation", "Gabriel Attal offered to resign "
         "after the left alliance came first. Macron asked him to stay for stability."),
        ("2024-07-20", "FUTURE assembly vote", "FUTURE-MARKER the assembly elected its speaker."),
        ("2023-06-01", "Snap election elsewhere", "A ruling party lost its majority in a snap "
         "parliamentary election and coalition talks followed."),
    ]  # fmt: skip
    corpus = tmp_path / "news.jsonl"
    corpus.write_text(
        "".join(json.dumps({"date": d, "title": t, "text": x}) + "\n" for d, t, x in news)
    )
    settings = {
        "retrieval": "bm25", "embeddings": "tfidf", "queries": 2, "k_question": 3, "k_query": 2,
        "stakeholder_articles": 2, "similar_candidates": 1, "relevant_tokens": 300,
        "similar_tokens": 200, "summary_tokens": 48, "attempts": 2,
        "generation": GenerateConfig(max_tokens=64, temperature=0.0),
    }  # fmt: skip
    cfg = PredictConfig(
        input=questions, output=tmp_path / "p.jsonl", corpus=corpus, model="embedded-tiny",
        settings=settings,
    )  # fmt: skip
    result = predict(cfg, out=tmp_path / "run", quiet=True)
    assert result["predicted"] + result["dropped"] == 1  # predicted, or dropped and counted
    for stage_file in (tmp_path / "run").glob("*/records.jsonl"):
        assert "FUTURE-MARKER" not in stage_file.read_text()
    (expand,) = (tmp_path / "run").glob("expand-*/records.jsonl")
    assert json.loads(expand.read_text())["openep_calls"] >= 1
    if result["predicted"]:
        (row,) = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
        assert json.loads(row["predictions"])["answer"]
        lines = evaluate(
            EvaluateConfig(predictions=tmp_path / "p.jsonl", gold=questions, judge="embedded-tiny"),
            out=tmp_path / "eval",
            quiet=True,
        )
        assert lines[0].startswith("accuracy: ") and lines[6].startswith("overall: ")
