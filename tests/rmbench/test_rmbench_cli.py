"""`lmforge rmbench` as a user runs it, the run folder it leaves, resuming, and `score`."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

import lmforge.rmbench as rmbench
from helpers import lmforge_cli, run_python
from lmforge.rmbench.run import RMBenchConfig, run_rmbench
from lmforge.rmbench.scorers import LengthScorer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "rmbench"
CHAT_LINES = ["chat: easy=81.1 normal=28.4 hard=2.6 avg=37.4", "overall: 37.4"]


lmforge = partial(lmforge_cli, "rmbench")


def test_length_scorer_on_chat_prints_the_official_figures(test_data, tmp_path):
    result = lmforge(
        "run", "--scorer", "length", "--domains", "chat", "--data", str(test_data / "rmbench"),
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == CHAT_LINES
    assert "not run: math, code, safety" in result.stderr
    (run,) = (tmp_path / "runs" / "rmbench").iterdir()
    names = {p.name for p in run.iterdir()}
    assert {"config.yaml", "results.jsonl", "scores.json", "summary.json", "report.html"} <= names
    first = json.loads((run / "results.jsonl").read_text().splitlines()[0])
    assert first == {
        "id": 8,
        "domain": "chat",
        "score_chosen": [157.0, 1917.0, 2100.0],
        "score_rejected": [164.0, 1966.0, 2122.0],
    }
    summary = json.loads((run / "summary.json").read_text())
    assert summary["report"] == ["rmbench"] and summary["domains_run"] == ["chat"]
    assert summary["truncated_responses"] == {"chat": "215/774"}
    assert "scorer: length" in (run / "config.yaml").read_text()
    html = (run / "report.html").read_text()
    assert "RM-Bench: length" in html and html.count("data:image/png;base64,") >= 1
    rescored = lmforge("score", "--scores", str(run / "results.jsonl"), cwd=tmp_path)
    assert rescored.returncode == 0, rescored.stderr
    assert rescored.stdout.splitlines() == CHAT_LINES


def test_score_reads_official_result_files(test_data, tmp_path):
    """Upstream writes a JSON array of samples plus score_chosen/score_rejected, named after
    the data file; the domain comes from that name."""
    samples = json.loads((test_data / "rmbench" / "chat_filtered.json").read_text())
    for s in samples:
        s["score_chosen"] = [len(r) for r in s["chosen"]]
        s["score_rejected"] = [len(r) for r in s["rejected"]]
    path = tmp_path / "chat_filtered_MyRM_REWORD_MODEL_20241018.json"
    path.write_text(json.dumps(samples))
    result = lmforge("score", "--scores", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == CHAT_LINES
    dropped = lmforge("score", "--scores", str(path), "--truncated", "drop", cwd=tmp_path)
    assert dropped.returncode == 0 and dropped.stdout.splitlines() != CHAT_LINES
    anonymous = tmp_path / "scores.json"
    anonymous.write_text(json.dumps(samples[:3]))
    failed = lmforge("score", "--scores", str(anonymous), cwd=tmp_path)
    assert failed.returncode == 2 and "--domain" in failed.stderr
    assert lmforge("score", "--scores", str(anonymous), "--domain", "chat", cwd=tmp_path).stdout


def test_data_from_environment_and_one_line_errors(tmp_path):
    env = {"LMFORGE_RMBENCH_DATA": str(EXAMPLES)}
    ok = lmforge("run", "-s", "markdown", "--no-report", "-q", cwd=tmp_path, env=env)
    assert ok.returncode == 0, ok.stderr
    assert [line.split(":")[0] for line in ok.stdout.splitlines()] == [
        "chat",
        "code",
        "safety",
        "overall",
    ]
    unset = {k: v for k, v in os.environ.items() if k != "LMFORGE_RMBENCH_DATA"}
    missing = subprocess.run(
        [sys.executable, "-m", "lmforge.cli", "rmbench", "run", "-s", "length"],
        capture_output=True, text=True, cwd=tmp_path, env=unset, timeout=300,
    )  # fmt: skip
    assert missing.returncode == 2 and "pass --data DIR" in missing.stderr
    bad = tmp_path / "code_filtered.json"
    bad.write_text('[{"id": 1, "prompt": "p", "chosen": ["a"], "rejected": ["b", "c", "d"]}]')
    result = lmforge("run", "-s", "length", "--data", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: {bad}:1: field 'chosen': expected a list of 3 responses "
        "(concise, plain, markdown), got 1 items"
    )
    wrong = lmforge("run", "-s", "bleu", "--data", str(EXAMPLES), cwd=tmp_path)
    assert wrong.returncode == 1 and "unknown scorer spec 'bleu'" in wrong.stderr


class CountingLength(LengthScorer):
    """The length scorer, counting the samples it is asked about."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    async def evaluate(self, record, ctx=None):
        self.seen.append(record["id"])
        return await super().evaluate(record, ctx)


async def test_a_killed_run_resumes_without_redoing_work(tmp_path):
    config = RMBenchConfig(scorer="length", data=[EXAMPLES])
    out = tmp_path / "run"
    first = CountingLength()
    done = await run_rmbench(config, out=out, scorer=first, quiet=True, report=False)
    assert len(first.seen) == done.samples == 10  # ids repeat across domains: all 10 kept
    complete = (out / "results.jsonl").read_text()
    (stage_file,) = out.glob("score-*/records.jsonl")
    lines = stage_file.read_text().splitlines(keepends=True)
    stage_file.write_text("".join(lines[:5]) + lines[5][:40])  # killed mid-write
    again = CountingLength()
    resumed = await run_rmbench(config, out=out, scorer=again, quiet=True, report=False)
    assert len(again.seen) == 5 and resumed.samples == 10
    assert (out / "results.jsonl").read_text() == complete


async def test_classifier_run_through_the_runner(tmp_path):
    """The model path end to end: cross-record batches through the resumable runner."""
    pytest.importorskip("transformers")
    from lmforge.rmbench.classifier import ClassifierScorer
    from lmforge.training import tiny_sequence_classifier, tiny_tokenizer

    scorer = ClassifierScorer(tiny_sequence_classifier(init_std=0.2), tiny_tokenizer())
    reference = {
        key: scorer.score_batch([(s.prompt, r) for r in (*s.chosen, *s.rejected)])
        for s in rmbench.load_samples([EXAMPLES])
        for key in [s.key]
    }
    config = RMBenchConfig(scorer="hf-classifier:tiny", data=[EXAMPLES])
    run = await run_rmbench(config, out=tmp_path / "run", scorer=scorer, quiet=True)
    assert run.samples == 10 and scorer._batcher.calls < 10
    (stage_file,) = run.path.glob("score-*/records.jsonl")
    for line in stage_file.read_text().splitlines():
        row = json.loads(line)
        expected = reference[row["id"]]
        assert row["score_chosen"] + row["score_rejected"] == pytest.approx(expected, abs=1e-5)


def test_public_names_and_a_light_cli_import():
    for name in rmbench.__all__:
        assert getattr(rmbench, name) is not None, name
    assert {"run_rmbench", "compute_scores", "get_scorer", "load_samples"} <= set(rmbench.__all__)
    importlib.import_module("lmforge.rmbench.cli")
    probe = run_python(
        "import lmforge.rmbench.cli, sys; print(sorted(m for m in "
        "('numpy', 'torch', 'transformers', 'matplotlib') if m in sys.modules))"
    )
    assert probe.stdout.strip() == "[]"
