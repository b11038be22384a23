"""The registered benchmark: baselines and prediction files scored, the report's table and plots."""

from __future__ import annotations

import asyncio
import json

import pytest

import lmforge.mavenfact.benchmark  # noqa: F401  (registers the benchmark)
import lmforge.mavenfact.report  # noqa: F401  (registers its report sections)
from lmforge.errors import InputError
from lmforge.evaluation.benchmark import get_benchmark, list_benchmarks, run_benchmark
from lmforge.evaluation.report import render_report
from lmforge.llm.scripted import ScriptedLLM


def test_the_benchmark_is_listed():
    assert "mavenfact" in list_benchmarks()


def test_predictions_are_scored_like_evaluate_and_the_report_leads_with_the_paper(
    docs_file, tmp_path
):
    preds = tmp_path / "preds.jsonl"
    rows = [
        json.loads(x) for x in (docs_file.parent / "predictions.jsonl").read_text().splitlines()
    ]
    preds.write_text("".join(json.dumps({"id": r["mention_id"], "label": r["label"]}) + "\n"
                             for r in rows))  # fmt: skip
    bench = get_benchmark("mavenfact", data=str(docs_file))
    scores = asyncio.run(run_benchmark(bench, None, run_dir=tmp_path / "run", predictions=preds,
                                       quiet=True))  # fmt: skip
    assert scores["macro_f1"] == pytest.approx(0.80444, abs=1e-5)
    assert scores["invalid"] == 1
    html = render_report(tmp_path / "run", strict=True).read_text()
    headline = html.index("MAVEN-Fact: macro-F1")
    assert headline < html.index("MAVEN-Fact: confusion matrix") < html.index("<img")
    assert "80.4" in html and "47.6" in html and "40.2" in html
    assert html.count("<img") >= 2  # the confusion heatmap and the per-class bars


def test_a_baseline_solves_without_a_model(docs_file, tmp_path):
    bench = get_benchmark("mavenfact", data=str(docs_file), classifier="majority")
    scores = asyncio.run(run_benchmark(bench, None, run_dir=tmp_path / "run", quiet=True))
    assert scores["accuracy"] == pytest.approx(4 / 13)
    assert scores["macro_f1"] == pytest.approx((2 * (4 / 13) / (1 + 4 / 13)) / 5)


def test_the_llm_path_counts_fallbacks(docs_file, tmp_path):
    bench = get_benchmark("mavenfact", data=str(docs_file))
    llm = ScriptedLLM(lambda m, c: '{"label": "CT+"}' if "approved" in m[-1].text else "?")
    scores = asyncio.run(run_benchmark(bench, llm, run_dir=tmp_path / "run", limit=3, quiet=True))
    assert scores["n"] == 3 and scores["fallback_uu"] == 2
    assert scores["confusion"]["matrix"][0][0] == 1


def test_unlabelled_data_cannot_be_a_benchmark(docs_file, tmp_path):
    doc = json.loads(docs_file.read_text().splitlines()[0])
    doc["events"][0]["mention"][0]["factuality"] = None
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(doc) + "\n")
    with pytest.raises(InputError, match="gold label"):
        get_benchmark("mavenfact", data=str(path))
