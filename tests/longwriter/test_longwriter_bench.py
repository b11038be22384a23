"""LongBench-Write scoring end to end: the official S_l of real predictions, a scripted judge,
the breakdowns, the official flag, generating first, resuming, and the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from helpers import write_jsonl
from lmforge.errors import InputError
from lmforge.evaluation.report import render_report
from lmforge.llm.scripted import ScriptedLLM
from lmforge.longwriter import (
    DIMENSIONS,
    LongBenchWriteConfig,
    aggregate_scores,
    run_longbench_write,
    score_lines,
)
from lmforge.pipeline.records import read_jsonl
from lmforge.pipeline.rundir import RunDir

MISTRAL = "longwriter/third_party_preds/mistral_longbench_write_en_pred.jsonl"
OFFICIAL_MISTRAL_SL = 54.582573775771486  # mistral_length_result.json, official eval_length.py


def judge_reply(ratings: dict[str, int]) -> str:
    return "ok\n```json\n" + json.dumps({"Analysis": "a", **ratings}) + "\n```"


def predictions(tmp_path, rows=None):
    rows = rows or [
        {
            "prompt": "Write 100 words on owls.",
            "type": "Popular Science",
            "length": 100,
            "response": "owl " * 100,
            "model": "m1",
        },
        {
            "prompt": "Write 1000 words on rain.",
            "type": "Popular Science",
            "length": 1000,
            "response": "rain " * 500,
            "model": "m1",
        },
        {
            "prompt": "Write 3000 words on a duel.",
            "type": "Literature",
            "length": 3000,
            "response": "",
            "model": "m1",
        },
    ]
    return write_jsonl(tmp_path / "preds.jsonl", rows)


async def test_mistral_predictions_give_the_official_length_score(test_data, tmp_path):
    cfg = LongBenchWriteConfig(predictions=test_data / MISTRAL)
    scores = await run_longbench_write(cfg, RunDir(tmp_path), quiet=True)
    assert scores["length_score"] == pytest.approx(OFFICIAL_MISTRAL_SL, abs=1e-9)
    assert score_lines(scores)[0] == "length_score: 54.5826"
    assert [b["n"] for b in scores["by_bucket"]] == [17, 20, 11, 12]
    assert "quality_score" not in scores
    rows = read_jsonl(tmp_path / "final.jsonl")
    assert all(r["score"]["response_length"] == r["response_length"] for r in rows)


def test_cli_prints_the_official_length_score(test_data, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lmforge.cli",
            "longwriter",
            "bench",
            "--predictions",
            str(test_data / MISTRAL),
            "--out",
            str(tmp_path / "run"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "length_score: 54.5826"
    assert "by length range:" in lines and "by type:" in lines
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["report"] == ["longwriter"] and summary["what"] == "longbench_write"
    assert (tmp_path / "run" / "scores.json").exists()
    page = tmp_path / "run" / "report.html"
    assert lines[-1] == f"report: {page}" and "length_score" not in lines[-1]
    assert "S_l" in page.read_text()  # the paper's headline table leads the page


async def test_scripted_judge_gives_s_q_and_s_per_bucket_and_type(tmp_path):
    ratings = [
        dict.fromkeys(DIMENSIONS, 5),
        dict.fromkeys(DIMENSIONS, 3),
        dict.fromkeys(DIMENSIONS, 1),
    ]
    judge = ScriptedLLM([judge_reply(r) for r in ratings])
    cfg = LongBenchWriteConfig(predictions=predictions(tmp_path), concurrency=1)
    run = RunDir(tmp_path / "run")
    scores = await run_longbench_write(cfg, run, judge=judge, quiet=True)
    s_l = (100 + 50 + 0) / 3
    assert scores["length_score"] == pytest.approx(s_l)
    assert scores["quality_score"] == pytest.approx(50.0)
    assert scores["overall"] == pytest.approx((s_l + 50) / 2)
    assert scores["judge_failures"] == 0 and scores["Coherence"] == pytest.approx(50.0)
    by_bucket = {b["bucket"]: b for b in scores["by_bucket"]}
    assert by_bucket["[0,500)"]["overall"] == pytest.approx(100.0)
    assert by_bucket["[2k,4k)"]["length_score"] == 0.0
    assert by_bucket["[4k,20k]"]["n"] == 0 and by_bucket["[4k,20k]"]["length_score"] is None
    by_type = {t["type"]: t for t in scores["by_type"]}
    assert by_type["Popular Science"]["quality_score"] == pytest.approx(75.0)
    rows = read_jsonl(run / "final.jsonl")
    assert rows[0]["model"] == "m1" and rows[0]["score"]["quality"]["Relevance"] == 5.0
    assert json.loads((run / "scores.json").read_text()) == scores
    lines = score_lines(scores)
    assert lines[:3] == [
        f"length_score: {s_l:.4f}",
        "quality_score: 50.0000",
        f"overall: {(s_l + 50) / 2:.4f}",
    ]

    rerun = ScriptedLLM([])  # resuming a finished run asks the judge nothing
    again = await run_longbench_write(cfg, run, judge=rerun, quiet=True)
    assert again == scores and rerun.calls == []


async def test_official_flag_fails_empty_rows_and_drops_unjudged_ones(tmp_path):
    path = predictions(tmp_path)
    good = judge_reply(dict.fromkeys(DIMENSIONS, 5))
    default = await run_longbench_write(
        LongBenchWriteConfig(predictions=path, judge_attempts=1, concurrency=1),
        RunDir(tmp_path / "default"),
        judge=ScriptedLLM([good, good, "no"]),
        quiet=True,
    )
    assert default["n"] == 3 and default["judge_failures"] == 1
    assert default["quality_score"] == pytest.approx(200 / 3)

    official = await run_longbench_write(
        LongBenchWriteConfig(predictions=path, judge_attempts=1, official=True, concurrency=1),
        RunDir(tmp_path / "official"),
        judge=ScriptedLLM([good, good]),
        quiet=True,
    )
    assert official["n"] == 2  # the empty response crashes the official scorer: an error row
    assert official["length_score"] == pytest.approx(75.0)
    errors = read_jsonl(next((tmp_path / "official").glob("score-*/records.errors.jsonl")))
    assert "ZeroDivisionError" in errors[0]["_meta"]["error"]


def test_aggregate_drops_unjudged_rows_only_from_s_q():
    top = dict.fromkeys(DIMENSIONS, 5)
    rows = [
        {"type": "t", "score": {"bucket": "[0,500)", "length_score": 80.0, "quality": top}},
        {"type": "t", "score": {"bucket": "[0,500)", "length_score": 40.0, "quality": None}},
    ]
    dropped = aggregate_scores(rows, failures="drop")
    assert dropped["length_score"] == 60.0 and dropped["quality_score"] == 100.0
    assert dropped["overall"] == 80.0
    assert aggregate_scores(rows)["quality_score"] == 50.0


async def test_model_mode_generates_with_the_official_protocol(tmp_path):
    data = tmp_path / "lbw.jsonl"
    data.write_text(json.dumps({"prompt": "Write 4 words.", "type": "x", "length": 4}) + "\n")
    model = ScriptedLLM(["one two three four"])
    run = RunDir(tmp_path / "run")
    scores = await run_longbench_write(LongBenchWriteConfig(data=data), run, llm=model, quiet=True)
    assert scores["length_score"] == 100.0
    call = model.calls[0]
    assert [m.content for m in call.messages] == ["Write 4 words."]
    assert (call.config.temperature, call.config.max_tokens) == (0.5, 32768)
    config = (run / "config.yaml").read_text()
    assert "longwriter:" in config and "model: scripted" in config


async def test_bad_invocations_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="either --predictions"):
        await run_longbench_write(LongBenchWriteConfig(), RunDir(tmp_path))
    with pytest.raises(InputError, match="needs --model"):
        await run_longbench_write(LongBenchWriteConfig(data=tmp_path / "x.jsonl"), RunDir(tmp_path))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "p", "length": 5}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:1: field 'response'"):
        await run_longbench_write(LongBenchWriteConfig(predictions=bad), RunDir(tmp_path))


async def test_report_has_the_log_log_length_plot_and_breakdown(tmp_path):
    import lmforge.longwriter.report  # noqa: F401  (registers the section, as `lmforge report`)

    run = RunDir(tmp_path / "run")
    await run_longbench_write(
        LongBenchWriteConfig(predictions=predictions(tmp_path)), run, quiet=True
    )
    html = render_report(run.path, strict=True).read_text()
    assert "LongBench-Write: output length vs required length" in html
    assert "length [0,500)" in html and "type Literature" in html
    assert html.count("data:image/png;base64") == 1  # the length plot
    assert "Completion tokens" not in html  # predictions scored by rule: no model was called
