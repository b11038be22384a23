"""The benchmark core: registry, end-to-end runs, resuming, predictions, judges, the report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import lmforge_cli, write_jsonl
from lmforge.errors import InputError
from lmforge.evaluation import (
    Benchmark,
    benchmark,
    get_benchmark,
    list_benchmarks,
    mean_scores,
    register_section,
    render_report,
    run_benchmark,
)
from lmforge.evaluation import report as report_module
from lmforge.evaluation.judge import JudgeStats, rate
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.records import read_jsonl
from lmforge.pipeline.rundir import RunDir
from lmforge.pipeline.shards import merge_jsonl, shard_files
from lmforge.registry import Registry

# The decorator shares its name with its module, so the module is reached through sys.modules.
benchmark_module = sys.modules["lmforge.evaluation.benchmark"]

PROMPTS = Path(__file__).parent / "prompts"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ASK = load_prompt(PROMPTS, "arith")
GRADE = load_prompt(PROMPTS, "grade")
N = 8


class Interrupted(BaseException):
    """Stands for Ctrl-C: the runner must not turn it into an error row."""


def arith_dataset() -> list[dict[str, Any]]:
    return [{"id": f"q{i}", "question": f"{i} + {i}", "answer": str(2 * i)} for i in range(N)]


async def solve(record: dict, ctx) -> dict:
    completion = await ctx.generate(ASK.messages(question=record["question"]))
    return {**record, "output": completion.text.strip()}


def exact_match(row: dict, ctx) -> dict:
    return {"correct": row["output"] == row["answer"]}


def accuracy_table(rows: list[dict]) -> dict:
    correct = [r["score"]["correct"] for r in rows]
    return {"accuracy": sum(correct) / len(correct) if correct else 0.0, "n": len(correct)}


def toy(name: str = "toy_arith") -> Benchmark:
    return Benchmark(
        name,
        arith_dataset,
        solve,
        exact_match,
        accuracy_table,
        config=GenerateConfig(max_tokens=8),
        solve_prompts=[ASK],
    )


def question_of(messages) -> str:
    return messages[-1].content.removeprefix("Compute ").split(".")[0]


def add_up(question: str, wrong: set[str] = frozenset()) -> str:
    left, right = (int(x) for x in question.split(" + "))
    return str(left + right + (1 if question in wrong else 0))


def calculator(wrong: set[str] = frozenset({"3 + 3"}), log: list[str] | None = None):
    """Answers the sums in the prompt, wrongly for the questions in ``wrong``."""

    def answer(messages, config):
        question = question_of(messages)
        if log is not None:
            log.append(question)
        return add_up(question, wrong)

    return ScriptedLLM(answer)


def stage_dirs(run: Path, prefix: str) -> list[Path]:
    return sorted(p for p in run.iterdir() if p.is_dir() and p.name.startswith(prefix))


@pytest.fixture
def registry(monkeypatch):
    """An empty benchmark registry for the test, so test benchmarks do not leak."""
    monkeypatch.setattr(benchmark_module, "BENCHMARKS", Registry("benchmark", error=InputError))
    return benchmark_module.BENCHMARKS


# --------------------------------------------------------------------------- registry


def test_decorated_factories_are_listed_and_built_with_options(registry):
    @benchmark("toy_arith")
    def toy_arith(size: int = N) -> Benchmark:
        """Sums of small integers, exact match.

        More detail that the listing leaves out.
        """
        return Benchmark("toy_arith", arith_dataset, solve, exact_match, params={"size": size})

    assert list_benchmarks() == {"toy_arith": "Sums of small integers, exact match."}
    bench = get_benchmark("toy_arith", size=3)
    assert bench.params == {"size": 3} and bench.description.startswith("Sums")
    benchmark("toy_arith")(toy_arith)  # a re-imported module registers the same function again

    with pytest.raises(ValueError, match="already registered"):
        benchmark("toy_arith")(lambda: toy())
    with pytest.raises(InputError, match=r"unknown benchmark 'nope' \(known: toy_arith\)"):
        get_benchmark("nope")


def test_a_factory_must_build_the_benchmark_it_is_registered_as(registry):
    benchmark("renamed")(lambda: toy("other"))
    with pytest.raises(ValueError, match="named 'other'"):
        get_benchmark("renamed")
    benchmark("not_one")(lambda: {"name": "not_one"})
    with pytest.raises(TypeError, match="not Benchmark"):
        get_benchmark("not_one")


def test_the_decorator_is_not_shadowed_by_its_module():
    import lmforge.evaluation as evaluation

    assert callable(evaluation.benchmark) and evaluation.benchmark is benchmark_module.benchmark


def test_mean_scores_averages_numbers_and_counts_missing_judgements():
    rows = [
        {"score": {"correct": True, "rating": 4, "label": "x"}},
        {"score": {"correct": False, "rating": None, "label": "y"}},
    ]
    assert mean_scores(rows) == {"n": 2, "correct": 0.5, "rating": 4.0, "rating_missing": 1}
    assert mean_scores([]) == {"n": 0}


# --------------------------------------------------------------------------- running


async def test_end_to_end_with_a_scripted_model(tmp_path):
    llm = calculator()
    scores = await run_benchmark(toy(), llm, run_dir=tmp_path, quiet=True)
    assert scores == {"accuracy": 7 / 8, "n": 8}
    assert llm.calls[0].prompt == "Compute 0 + 0. Reply with the number only."
    assert llm.calls[0].config.max_tokens == 8 and len(llm.calls) == N

    assert json.loads((tmp_path / "scores.json").read_text()) == scores
    summary = RunDir(tmp_path).read_summary()
    assert (summary["what"], summary["model"], summary["judge"]) == ("toy_arith", "scripted", None)
    assert (summary["total"], summary["done"], summary["failed"], summary["scored"]) == (8, 8, 0, 8)
    assert summary["scores"] == scores and "report" not in summary
    assert [s["stage"] for s in summary["stages"]] == ["solve", "score"]
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert config["benchmark"] == "toy_arith" and config["solve_config"]["max_tokens"] == 8

    final = read_jsonl(tmp_path / "final.jsonl")
    assert [r["id"] for r in final] == [f"q{i}" for i in range(N)]
    assert final[3]["output"] == "7" and final[3]["score"] == {"correct": False}
    assert final[3]["_meta"]["stage"] == "score"
    (solve_dir,) = stage_dirs(tmp_path, "solve-")
    assert read_jsonl(solve_dir / "records.jsonl")[2]["output"] == "4"


async def test_an_interrupted_run_resumes_without_repeating_solve_calls(tmp_path):
    reference = await run_benchmark(toy(), calculator(), run_dir=tmp_path / "ref", quiet=True)

    asked: list[str] = []

    def flaky(messages, config):
        asked.append(messages[-1].content)
        if len(asked) == 4:
            raise Interrupted
        return add_up(question_of(messages), {"3 + 3"})

    with pytest.raises(Interrupted):
        await run_benchmark(
            toy(), ScriptedLLM(flaky), run_dir=tmp_path / "run", concurrency=1, quiet=True
        )
    (solve_dir,) = stage_dirs(tmp_path / "run", "solve-")
    done_first = len(read_jsonl(solve_dir / "records.jsonl", allow_empty=True))
    assert done_first == 3

    resumed: list[str] = []
    llm = calculator(log=resumed)
    scores = await run_benchmark(toy(), llm, run_dir=tmp_path / "run", quiet=True)
    assert scores == reference
    assert resumed == [f"{i} + {i}" for i in range(done_first, N)]
    assert RunDir(tmp_path / "run").read_summary()["stages"][0]["skipped"] == done_first

    again: list[str] = []
    rerun = await run_benchmark(toy(), calculator(log=again), run_dir=tmp_path / "run", quiet=True)
    assert rerun == scores
    assert again == []


async def test_a_new_model_solves_into_its_own_folder(tmp_path):
    await run_benchmark(toy(), calculator(), run_dir=tmp_path, quiet=True)
    other = calculator(wrong=set())
    other.spec = "other-model"
    assert (await run_benchmark(toy(), other, run_dir=tmp_path, quiet=True))["accuracy"] == 1.0
    assert len(other.calls) == N and len(stage_dirs(tmp_path, "solve-")) == 2


async def test_limit_takes_the_first_records(tmp_path):
    scores = await run_benchmark(toy(), calculator(), run_dir=tmp_path, limit=3, quiet=True)
    assert scores == {"accuracy": 1.0, "n": 3}
    with pytest.raises(ValueError, match="limit"):
        await run_benchmark(toy(), calculator(), run_dir=tmp_path, limit=-1)


async def test_solve_failures_become_error_rows_and_are_retried(tmp_path):
    def broken(messages, config):
        question = question_of(messages)
        return ValueError("model fell over") if question == "5 + 5" else add_up(question)

    scores = await run_benchmark(toy(), ScriptedLLM(broken), run_dir=tmp_path, quiet=True)
    assert scores == {"accuracy": 1.0, "n": 7}
    summary = RunDir(tmp_path).read_summary()
    assert (summary["total"], summary["failed"], summary["scored"]) == (8, 1, 7)
    retried = await run_benchmark(toy(), calculator(wrong=set()), run_dir=tmp_path, quiet=True)
    assert retried == {"accuracy": 1.0, "n": 8}


async def test_predictions_are_scored_without_asking_a_model(tmp_path):
    predictions = [{"id": f"q{i}", "output": str(2 * i if i % 2 else 0)} for i in range(N)]
    scores = await run_benchmark(toy(), None, run_dir=tmp_path, predictions=predictions, quiet=True)
    assert scores == {"accuracy": 5 / 8, "n": 8}
    assert stage_dirs(tmp_path, "solve-") == [] and len(stage_dirs(tmp_path, "predictions-")) == 1
    summary = RunDir(tmp_path).read_summary()
    assert (summary["model"], summary["predictions"], summary["missing_predictions"]) == (
        None,
        "rows",
        0,
    )
    assert [s["stage"] for s in summary["stages"]] == ["score"]

    path = write_jsonl(tmp_path / "preds.jsonl", predictions[:5])
    partial = await run_benchmark(
        toy(), None, run_dir=tmp_path / "partial", predictions=path, quiet=True
    )
    assert partial == {"accuracy": 3 / 5, "n": 5}
    assert RunDir(tmp_path / "partial").read_summary()["missing_predictions"] == 3


async def test_bad_predictions_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="not in the data set"):
        await run_benchmark(toy(), None, run_dir=tmp_path, predictions=[{"id": "zz", "output": 1}])
    with pytest.raises(InputError, match="without an id"):
        await run_benchmark(toy(), None, run_dir=tmp_path, predictions=[{"output": "0"}])
    with pytest.raises(ValueError, match="predictions="):
        await run_benchmark(toy(), None, run_dir=tmp_path)


async def test_a_judge_scorer_runs_through_the_score_stage(tmp_path):
    async def judged(row: dict, ctx) -> dict:
        result = await rate(ctx, GRADE.messages(**row), 1, 5)
        return {"rating": result.score, "judge": result.model_dump()}

    def table(rows: list[dict]) -> dict:
        stats = JudgeStats.of(r["score"]["judge"] for r in rows)
        return {**mean_scores(rows), "judge_stats": stats.model_dump()}

    bench = toy()
    bench.score, bench.aggregate, bench.score_prompts = judged, table, [GRADE]
    bench.judge_config = GenerateConfig(max_tokens=16)
    judge = ScriptedLLM(["Rating: [[4]]", "hmm", "Rating: [[2]]"], cycle=True, name="judge")
    scores = await run_benchmark(
        bench, calculator(), run_dir=tmp_path, judge=judge, concurrency=1, quiet=True
    )
    assert scores["n"] == N and scores["judge_stats"]["reasked"] == 4
    assert judge.calls[0].prompt.startswith("Question: 0 + 0\nProposed answer: 0\n")
    assert {c.config.max_tokens for c in judge.calls} == {16}
    summary = RunDir(tmp_path).read_summary()
    assert summary["judge"] == "judge" and summary["stages"][1]["llm_calls"] == len(judge.calls)

    no_judge = await run_benchmark(bench, calculator(), run_dir=tmp_path / "nj", quiet=True)
    assert no_judge["n"] == 0
    assert RunDir(tmp_path / "nj").read_summary()["failed"] == N  # "run without a model"


async def test_summary_names_a_registered_report_section_and_the_report_renders(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(report_module, "SECTIONS", Registry("report section"))

    def toy_section(run_dir: Path, summary: dict) -> report_module.Section:
        return report_module.Section("Toy table", text=f"accuracy {summary['scores']['accuracy']}")

    register_section(toy_section, name="toy_arith")
    await run_benchmark(toy(), calculator(), run_dir=tmp_path, quiet=True)
    assert RunDir(tmp_path).read_summary()["report"] == ["toy_arith"]
    html = render_report(tmp_path, strict=True).read_text()
    assert "Toy table" in html and "accuracy 0.875" in html


# --------------------------------------------------------------------------- shards


def ids_and_scores(rows: list[dict]) -> list[tuple[str, dict]]:
    return sorted((row["id"], row["score"]) for row in rows)


SHARDS = ["0/3", "1/3", "2/3"]


async def test_three_shards_merged_are_the_single_run_and_rescore_to_its_table(tmp_path):
    single = await run_benchmark(toy(), calculator(), run_dir=tmp_path / "one", quiet=True)
    whole = read_jsonl(tmp_path / "one" / "final.jsonl")

    asked: list[str] = []
    for i in range(3):  # three machines sharing one folder
        scores = await run_benchmark(
            toy(), calculator(log=asked), run_dir=tmp_path / "shards", shard=(i, 3), quiet=True
        )
        shard_rows = read_jsonl(tmp_path / "shards" / f"final.shard-{i}-of-3.jsonl")
        assert 0 < len(shard_rows) < N and scores == {
            **accuracy_table(shard_rows),
            "shard": [i, 3],
        }
        assert json.loads((tmp_path / "shards" / "scores.json").read_text())["shard"] == [i, 3]
        summary = RunDir(tmp_path / "shards", shard=(i, 3)).read_summary()  # the shard's own
        assert (summary["shard"], summary["total"]) == ([i, 3], len(shard_rows))
    combined = RunDir(tmp_path / "shards").read_summary()  # summary.json: the shards added up
    assert (combined["total"], combined["shards"], combined["complete"]) == (N, SHARDS, True)
    assert sorted(asked) == sorted(f"{i} + {i}" for i in range(N))  # each record once
    assert not (tmp_path / "shards" / "final.jsonl").exists()
    (solve_dir,) = stage_dirs(tmp_path / "shards", "solve-")
    assert len(shard_files(solve_dir, "records.jsonl")) == 3

    files = shard_files(tmp_path / "shards", "final.jsonl")
    merge_jsonl(files, tmp_path / "merged.jsonl")
    merged = read_jsonl(tmp_path / "merged.jsonl")
    assert ids_and_scores(merged) == ids_and_scores(whole)

    # the whole set's table: the merged rows scored as predictions, no model asked
    rescored = await run_benchmark(
        toy(), None, run_dir=tmp_path / "all", predictions=tmp_path / "merged.jsonl", quiet=True
    )
    assert rescored == single
    assert ids_and_scores(read_jsonl(tmp_path / "all" / "final.jsonl")) == ids_and_scores(whole)


async def test_a_shard_of_predictions_scores_only_its_records(tmp_path):
    predictions = [{"id": f"q{i}", "output": str(2 * i)} for i in range(N)]
    scores = await run_benchmark(
        toy(), None, run_dir=tmp_path, predictions=predictions, shard=(0, 3), quiet=True
    )
    assert scores == {"accuracy": 1.0, "n": 2, "shard": [0, 3]}  # q0 and q5 hash to shard 0
    assert [r["id"] for r in read_jsonl(tmp_path / "final.shard-0-of-3.jsonl")] == ["q0", "q5"]
    assert RunDir(tmp_path).read_summary()["missing_predictions"] == 0


def test_eval_takes_shard_and_writes_shard_named_files(tmp_path):
    run = tmp_path / "run"
    result = lmforge_cli(
        "eval", "ifeval", "--predictions", EXAMPLES / "crab" / "ifeval_responses.jsonl",
        "--set", f"options.data={EXAMPLES / 'crab' / 'ifeval_inputs.jsonl'}",
        "--shard", "0/2", "--out", run, "-q", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "note: shard 0/2 of the data set (2 records)" in result.stdout
    final = read_jsonl(run / "final.shard-0-of-2.jsonl")
    assert [r["id"] for r in final] == ["2", "4"] and not (run / "final.jsonl").exists()
    assert json.loads((run / "scores.json").read_text())["shard"] == [0, 2]
    stages = sorted(p.parent.name.split("-")[0] for p in run.glob("*/records.shard-0-of-2.jsonl"))
    assert stages == ["predictions", "score"]
    config = yaml.safe_load((run / "config.shard-0-of-2.yaml").read_text())  # the shard's own
    assert config["eval"]["shard"] == [0, 2] and not (run / "config.yaml").exists()
