"""LongWrite-Ruler: produced vs required length per required length, for any model."""

from __future__ import annotations

import json

import pytest

from lmforge.evaluation.report import render_report
from lmforge.llm.scripted import ScriptedLLM
from lmforge.longwriter import RulerConfig, aggregate_ruler, ruler_lines, run_ruler
from lmforge.pipeline.rundir import RunDir


def by_length(messages, config) -> str:
    """A model that always writes 1,500 words, whatever it is asked."""
    return "word " * 1500


async def test_ruler_measures_each_required_length(tmp_path):
    import lmforge.longwriter.report  # noqa: F401  (registers the section)

    model = ScriptedLLM(by_length)
    run = RunDir(tmp_path / "run")
    cfg = RulerConfig(lengths=[1000, 2000, 5000], generation={"max_tokens": 4096})
    scores = await run_ruler(cfg, model, run, quiet=True)
    assert len(model.calls) == 12 and scores["n"] == 12
    assert scores["max_output_length"] == 1500
    table = {row["length"]: row for row in scores["by_length"]}
    assert list(table) == [1000, 2000, 5000]
    assert table[1000]["mean_output"] == 1500 and table[1000]["n"] == 4
    assert table[1000]["length_score"] == pytest.approx(100 * (1 - 0.5 / 3))
    assert table[5000]["length_score"] == 0.0
    assert "Write a 5000-word" in model.calls[-1].prompt
    lines = ruler_lines(scores)
    assert lines[0] == "max_output_length: 1500"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["what"] == "ruler" and summary["report"] == ["longwriter"]
    html = render_report(run.path, strict=True).read_text()
    assert "LongWrite-Ruler: output length vs required length" in html


async def test_ruler_reads_the_official_file(test_data, tmp_path):
    model = ScriptedLLM(["短文" * 10], cycle=True)
    cfg = RulerConfig(data=test_data / "longwriter" / "longwrite_ruler.jsonl", lengths=[1000])
    scores = await run_ruler(cfg, model, RunDir(tmp_path), quiet=True)
    assert scores["n"] == 8 and scores["max_output_length"] == 20


def test_aggregate_handles_empty_outputs():
    rows = [
        {"length": 100, "score": {"response_length": 0, "length_score": 0.0}},
        {"length": 100, "score": {"response_length": 50, "length_score": 50.0}},
    ]
    table = aggregate_ruler(rows)["by_length"][0]
    assert (table["mean_output"], table["median_output"], table["max_output"]) == (25, 25, 50)
