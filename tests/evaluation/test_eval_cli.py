"""``lmforge eval NAME`` as a user runs it: one generic command for every registered benchmark,
with a run directory, scores.json and an HTML report."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import lmforge_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_eval_ifeval_prints_the_crab_figures_and_writes_a_report(tmp_path):
    run = tmp_path / "run"
    result = lmforge_cli(
        "eval", "ifeval", "--predictions", EXAMPLES / "crab" / "ifeval_responses.jsonl",
        "--set", f"options.data={EXAMPLES / 'crab' / 'ifeval_inputs.jsonl'}",
        "--out", run, "-q", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:4] == [
        "prompt_level_strict: 50.00",
        "instruction_level_strict: 66.67",
        "prompt_level_loose: 75.00",
        "instruction_level_loose: 83.33",
    ]
    assert (run / "report.html").exists() and json.loads((run / "scores.json").read_text())


def test_eval_rmbench_on_the_example_data_with_a_heuristic_scorer(tmp_path):
    result = lmforge_cli(
        "eval", "rmbench", "--set", "options.scorer=length",
        "--set", f"options.data={EXAMPLES / 'rmbench'}", "--out", tmp_path / "r", "-q",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    domains = [line.split(":")[0] for line in result.stdout.splitlines() if "easy=" in line]
    assert domains == ["chat", "code", "safety"]


def test_eval_unknown_name_is_one_line_with_the_known_ones(tmp_path):
    result = lmforge_cli("eval", "nope", cwd=tmp_path)
    assert result.returncode == 2
    from lmforge.evaluation.benchmark import BENCHMARKS
    from lmforge.systems import import_all

    import_all("benchmarks")
    known = sorted(name for name, _ in BENCHMARKS.items())
    assert {"followbench", "ifeval", "leceval", "longbench_write", "rmbench"} <= set(known)
    assert result.stderr.strip().splitlines() == [
        f"error: unknown benchmark 'nope' (known: {', '.join(known)})"
    ]
