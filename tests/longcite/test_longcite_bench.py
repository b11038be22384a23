"""LongBench-Cite end to end with a scripted judge: the exact figures of every verdict path,
the official free-text protocol, generating first with --model, the CLI lines, the report."""

from __future__ import annotations

import asyncio
import json

import pytest

from helpers import lmforge_cli, write_jsonl
from lmforge.errors import InputError
from lmforge.evaluation.report import render_report
from lmforge.llm.scripted import ScriptedLLM
from lmforge.longcite import LongBenchCiteConfig, bench_rows, run_longbench_cite
from lmforge.pipeline.rundir import RunDir

CONTEXT = "The bridge opened in 1932. It is in Sydney. It has eight lanes."
PREDICTIONS = [
    {"idx": 0, "dataset": "hotpotqa", "query": "Where is the bridge?", "answer": ["Sydney"],
     "prediction": "<statement>It is in Sydney.<cite>[0-0]</cite></statement>",
     "statements": [{"statement": "It is in Sydney.", "citation": [{"cite": "In Sydney."}]}]},
    {"idx": 1, "dataset": "gov_report", "query": "Summarise.", "answer": ["A report."],
     "context": CONTEXT,
     "prediction": "Intro words here.\n<statement>It opened in 1932.<cite>[0-0]</cite>"
                   "</statement><statement>It is in Sydney with eight lanes.<cite>[1-1][2-2]"
                   "</cite></statement>"},
]  # fmt: skip


def judge(official: bool = False):
    """Verdicts from the prompt: 1932 statements are fully supported and relevant, others
    partial and unrelated; "Intro" needs no citation; QA rates 3, summaries 4."""

    def say(word: str, key: str = "verdict") -> str:
        if official:
            return f"Rating: [[{word}]]"
        return json.dumps({key: word})

    def answer(messages, config):
        text = messages[-1].text
        sentence = text.rsplit("<sentence>", 1)[-1]
        statement = text.rsplit("<statement>", 1)[-1].split("</statement>")[0]
        if "<sentence>" in text:
            return say("No" if "Intro" in sentence else "Yes")
        if "supports the statement" in text:
            return say("Fully supported" if "1932" in statement else "Partially supported")
        if "is relevant to the statement" in text:
            return say("Relevant" if "1932" in statement else "Unrelevant")
        rating = 4 if "[Reference summary]" in text else 3
        return say(str(rating)) if official else json.dumps({"rating": rating})

    return ScriptedLLM(answer)


def run(tmp_path, **fields):
    path = write_jsonl(tmp_path / "pred.jsonl", PREDICTIONS)
    cfg = LongBenchCiteConfig(predictions=path, judge="scripted", **fields)
    run_dir = RunDir.open(tmp_path / "run", "longcite")
    llm = judge(official=fields.get("official", False))
    return asyncio.run(run_longbench_cite(cfg, run_dir, judge=llm, quiet=True)), run_dir


@pytest.mark.parametrize("official", [False, True])
def test_every_verdict_path_gives_the_exact_figures(tmp_path, official):
    scores, run_dir = run(tmp_path, official=official)
    hotpot, gov = scores["scores"]["hotpotqa"], scores["scores"]["gov_report"]
    assert (hotpot["citation_recall"], hotpot["citation_precision"], hotpot["citation_f1"]) == (
        0.5, 0.0, 0.0
    )  # fmt: skip
    # idx 1: need "No" (1 - 0 = 1), fully (1), partial (0.5); [1-1][2-2] merge into one cite
    assert gov["citation_recall"] == pytest.approx(2.5 / 3)
    assert gov["citation_precision"] == pytest.approx(0.5)
    assert gov["citation_f1"] == pytest.approx(0.625)
    assert (hotpot["correctness"], gov["correctness"]) == (1.0, 0.75)
    assert scores["citation_f1"] == pytest.approx(0.3125)  # mean of the 2 entries present
    assert scores["correctness"] == pytest.approx(0.875)
    assert scores["n_citations"] == 3 and scores["unparsed"] == 0
    html = render_report(run_dir.path, strict=True).read_text()
    assert html.index("LongBench-Cite: citation recall") < html.index("LongBench-Cite per dataset")
    assert "LongCite-8B (paper)" in html and "SelfCite BoN (reference)" in html


def test_unparsed_verdicts_are_counted_and_official_drops_the_instance(tmp_path):
    path = write_jsonl(tmp_path / "pred.jsonl", PREDICTIONS[:1])
    for official, dropped in ((False, 0), (True, 1)):
        cfg = LongBenchCiteConfig(predictions=path, judge="scripted", official=official,
                                  judge_attempts=2)  # fmt: skip
        run_dir = RunDir.open(tmp_path / f"run{official}", "longcite")
        garbage = ScriptedLLM(["no idea"], cycle=True)
        scores = asyncio.run(run_longbench_cite(cfg, run_dir, judge=garbage, quiet=True))
        assert scores["unparsed"] == 2 and scores["dropped"] == dropped
        assert scores["correctness_unparsed"] == 1 and scores["correctness"] == 0.5
        assert len(garbage.calls) == 3 * 2  # every verdict re-asked once


def test_statement_cap_and_input_checks(tmp_path):
    many = {**PREDICTIONS[0], "statements": [PREDICTIONS[0]["statements"][0]] * 45}
    path = write_jsonl(tmp_path / "many.jsonl", [many])
    cfg = LongBenchCiteConfig(predictions=path)
    scores = asyncio.run(run_longbench_cite(cfg, RunDir.open(tmp_path / "r", "x"), quiet=True))
    assert scores["n_statements"] == 40 and scores["citation_recall"] is None
    bad = write_jsonl(tmp_path / "bad.jsonl", [{**PREDICTIONS[1], "context": None}])
    with pytest.raises(InputError, match=r"bad.jsonl:1: field 'statements'"):
        bench_rows(LongBenchCiteConfig(predictions=bad), model=False)
    odd = write_jsonl(tmp_path / "odd.jsonl", [{**PREDICTIONS[0], "dataset": "nq"}])
    with pytest.raises(InputError, match="unknown dataset 'nq'"):
        bench_rows(LongBenchCiteConfig(predictions=odd), model=False)


def test_model_answers_the_data_first_then_the_cli_prints_the_lines(tmp_path):
    data = tmp_path / "LongBench-Cite.json"
    rows = [{"idx": 7, "dataset": "multifieldqa_en", "query": "When did it open?",
             "answer": ["1932"], "few_shot_scores": [], "context": CONTEXT}]  # fmt: skip
    data.write_text(json.dumps(rows), encoding="utf-8")
    model = ScriptedLLM(["statement>It opened in 1932.<cite>[0-0]</cite></statement>"])
    cfg = LongBenchCiteConfig(data=data, judge="scripted")
    run_dir = RunDir.open(tmp_path / "run", "longcite")
    scores = asyncio.run(run_longbench_cite(cfg, run_dir, llm=model, judge=judge(), quiet=True))
    assert "[Document Start]\n<C0>The bridge opened in 1932. <C1>It is" in model.calls[0].prompt
    assert scores["scores"]["multifieldqa"]["citation_f1"] == 1.0  # repaired tag, cited, judged
    pred = write_jsonl(tmp_path / "pred.jsonl", PREDICTIONS)
    result = lmforge_cli("longcite", "bench", "--predictions", pred, "-q", "--out", tmp_path / "c")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == ["citation_recall: n/a", "citation_precision: n/a", "citation_f1: n/a",
                         "correctness: n/a"]  # fmt: skip
    assert any(line.split()[:2] == ["gov_report", "1"] for line in lines)
    assert lines[-1] == f"report: {tmp_path / 'c' / 'report.html'}"
    assert (tmp_path / "c" / "report.html").is_file()


def test_registered_benchmark_scores_official_prediction_records(tmp_path):
    """``lmforge eval longbench_cite``'s path: the data file, predictions keyed by idx only."""
    from lmforge.evaluation.benchmark import get_benchmark, run_benchmark

    data = tmp_path / "LongBench-Cite.json"
    rows = [{"idx": 5, "dataset": "hotpotqa", "query": "When did it open?", "answer": ["1932"],
             "few_shot_scores": [], "context": CONTEXT}]  # fmt: skip
    data.write_text(json.dumps(rows), encoding="utf-8")
    pred = write_jsonl(tmp_path / "p.jsonl", [
        {"idx": 5, "prediction": "<statement>It opened in 1932.<cite>[0-0]</cite></statement>"}
    ])  # fmt: skip
    bench = get_benchmark("longbench_cite", data=data)
    predictions = bench.read_predictions(pred)
    assert predictions[0]["statements"][0]["citation"][0]["cite"] == "The bridge opened in 1932. "
    scores = asyncio.run(
        run_benchmark(bench, None, run_dir=tmp_path / "run", judge=judge(),
                      predictions=predictions, quiet=True)
    )  # fmt: skip
    assert scores["scores"]["hotpotqa"]["citation_f1"] == 1.0
    assert scores["correctness"] == 1.0
