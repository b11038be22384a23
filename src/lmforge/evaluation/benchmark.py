"""Benchmarks: a data set, a solver, a scorer and an aggregate, run as resumable stages.

Shaped after inspect_ai's ``Task(dataset, solver, scorer)``: a paper's evaluation is written
once as four small functions, and everything else (resuming a killed run, caching, error rows,
usage, the report) comes from the pipeline runner, because ``solve`` and ``score`` *are* runner
stages. Scoring is a separate stage so a judge prompt can change, or a user's own predictions
can be scored, without asking the evaluated model again.

A run directory holds::

    config.yaml                    benchmark, models, limit, generation settings
    solve-<sig>/records.jsonl      one model output per record (predictions-<hash>/ when given)
    score-<sig>/records.jsonl      each output with its "score" dict
    final.jsonl                    the scored rows in data set order
    scores.json                    the aggregate: the paper's table
    summary.json                   counts, tokens, "scores", and "report": [name]

With ``shard=(i, n)`` only the records whose id hashes to shard i are solved and scored; the
record files and the final file carry the shard in their name (``final.shard-0-of-4.jsonl``),
and ``scores.json`` / ``summary.json`` say ``"shard": [i, n]``: the table is the shard's
(the config and summary are the shard's own files, ``summary.shard-0-of-4.json``, and the
folder's ``summary.json`` adds the shards up; ``scores.json`` is the last shard's).
The whole set's table: ``lmforge merge`` the shards' final files, then score the merged rows
as predictions (:func:`run_benchmark`).

Benchmarks register with ``@benchmark("name")`` on a factory returning a :class:`Benchmark`;
a factory (rather than an instance) lets ``get_benchmark(name, subset="zh")`` pass options and
keeps listing cheap: nothing is loaded until a benchmark is asked for.
"""

from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from lmforge.errors import ConfigError, InputError
from lmforge.evaluation.predictions import check_ids, join_predictions, read_predictions
from lmforge.evaluation.report import registered_sections
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.records import (
    META,
    finite,
    read_jsonl,
    record_id,
    write_jsonl,
)
from lmforge.pipeline.rundir import RunDir
from lmforge.pipeline.runner import Stage, StageContext, StageFn, run_stage
from lmforge.pipeline.shards import in_shard, shard_path
from lmforge.pipeline.summary import RunSummary, summaries_dict
from lmforge.registry import Registry

__all__ = [
    "BENCHMARKS",
    "Benchmark",
    "benchmark",
    "get_benchmark",
    "list_benchmarks",
    "mean_scores",
    "prompt_solver",
    "run_benchmark",
]

ScoreFn = Callable[[dict[str, Any], StageContext], "dict[str, Any] | Awaitable[dict[str, Any]]"]
AggregateFn = Callable[[list[dict[str, Any]]], dict[str, Any]]
Factory = TypeVar("Factory", bound=Callable[..., "Benchmark"])


def mean_scores(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The default aggregate: ``n`` and the mean of every numeric or boolean score field.

    A field missing or ``None`` in a row (a failed judgement) is left out of that field's mean
    and counted in ``<field>_missing``, so a judge's failures cannot pass for zeros.
    """
    out: dict[str, Any] = {"n": len(rows)}
    keys = dict.fromkeys(k for row in rows for k in (row.get("score") or {}))
    for key in keys:
        values = [row.get("score", {}).get(key) for row in rows]
        numbers = [float(v) for v in values if isinstance(v, int | float)]
        if len(numbers) != sum(v is not None for v in values):
            continue  # text or nested values: not something to average
        if numbers:
            out[key] = sum(numbers) / len(numbers)
        if len(numbers) < len(rows):
            out[f"{key}_missing"] = len(rows) - len(numbers)
    return out


def prompt_solver(field: str) -> StageFn:
    """The usual ``solve``: ask ``record[field]`` as one user turn (the stage config's
    sampling), keep the record and add the answer as ``response``."""

    async def solve(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        completion = await ctx.generate([{"role": "user", "content": record[field]}])
        return {**record, "response": completion.text}

    return solve


@dataclass
class Benchmark:
    """What a paper's evaluation is: data, how the model answers, how an answer is scored,
    and how scores become the table."""

    name: str
    dataset: Callable[[], Iterable[dict[str, Any]]]
    """Records with stable ``id`` fields (else a content hash is used)."""
    solve: StageFn
    """``async (record, ctx) -> record with the model output``; ``ctx.generate`` asks the model."""
    score: ScoreFn
    """``(row, ctx) -> dict of scores``, sync or async; ``ctx`` talks to the judge, if any."""
    aggregate: AggregateFn = mean_scores
    """Scored rows (each with its ``score`` dict) -> the summary table."""
    description: str = ""
    version: str = "1"
    """Bump to rerun both stages after changing ``solve`` or ``score`` code."""
    config: GenerateConfig = field(default_factory=GenerateConfig)
    """Generation settings of ``solve``."""
    judge_config: GenerateConfig = field(default_factory=GenerateConfig)
    """Generation settings of ``score``'s judge calls."""
    solve_prompts: Sequence[Any] = ()
    """Prompts of ``solve``: editing one reruns solve and score."""
    score_prompts: Sequence[Any] = ()
    """Prompts of ``score``: editing one reruns score only."""
    params: dict[str, Any] = field(default_factory=dict)
    """Options the factory was given; they enter both stage signatures and ``config.yaml``."""
    solver: str | None = None
    """Spec of what solves when it is not an evaluated LLM (RM-Bench: the reward model its
    ``scorer=`` option names): recorded as the run's model, and no ``llm`` is needed."""
    solver_llm: LLM | None = None
    """The model behind ``solver``, if it has one (a judge): its calls count in the run."""
    prediction_row: type[BaseModel] | None = None
    """What each ``--predictions`` row must hold (a pydantic model, ``extra="allow"``), checked
    before any run folder exists; None: an ``id``, and a ``response`` that is text or null."""
    read_predictions: Callable[[Path], list[dict[str, Any]]] | None = None
    """Reads a user's prediction file into rows with ``id``, for official formats keyed by
    something else (IFEval's ``prompt``); the generic runner applies it before scoring."""
    lines: Callable[[dict[str, Any]], list[str]] | None = None
    """The aggregate as the paper's printout (``name: value`` lines, then tables); default:
    the top-level numbers."""
    close: Callable[[], Awaitable[None]] | None = None
    """Releases what the factory opened (reward-model weights, a judge's client)."""

    def solve_stage(self, model: str) -> Stage:
        params = {"benchmark": self.name, "model": model, **self.params}
        return Stage(
            "solve", self.solve, self.version, self.solve_prompts, params, config=self.config
        )

    def score_stage(self, judge: str | None) -> Stage:
        params = {"benchmark": self.name, "judge": judge, **self.params}
        return Stage(
            "score", _scorer(self), self.version, self.score_prompts, params, self.judge_config
        )


def _scorer(bench: Benchmark) -> StageFn:
    """Wrap ``bench.score`` as a stage: accept sync scorers, keep the row, add ``score``."""

    async def score(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        row = {k: v for k, v in row.items() if k != META}  # solve's usage stays in its file
        result = bench.score(row, ctx)
        if inspect.isawaitable(result):
            result = await result
        if not isinstance(result, dict):
            kind = type(result).__name__
            raise TypeError(f"benchmark {bench.name!r}: score must return a dict, got {kind}")
        return {**row, "score": result}

    return score


# --------------------------------------------------------------------------- registry

BENCHMARKS: Registry[Callable[..., Benchmark]] = Registry("benchmark", error=InputError)
"""Benchmark factories by name; filled when the modules a system declares are imported."""


def benchmark(name: str) -> Callable[[Factory], Factory]:
    """Register a factory ``(**options) -> Benchmark`` under ``name``.

    Re-registering the same function (a re-imported module) replaces it; a different function
    under a taken name is an error, since one of two systems would silently lose.
    """
    return BENCHMARKS.register(name)  # type: ignore[return-value]


def list_benchmarks() -> dict[str, str]:
    """Registered names (sorted) with the first line of each factory's docstring.

    Only benchmarks whose modules were imported are registered: ``lmforge benchmarks`` imports
    every module the declared systems name (:func:`lmforge.systems.import_all`).
    """
    return BENCHMARKS.listing()


def get_benchmark(name: str, **options: Any) -> Benchmark:
    """The benchmark ``name`` built with ``options``; an unknown name lists the known ones."""
    factory = BENCHMARKS.get(name)
    bench = factory(**options)
    if not isinstance(bench, Benchmark):
        raise TypeError(f"factory of {name!r} returned {type(bench).__name__}, not Benchmark")
    if bench.name != name:
        raise ValueError(f"factory registered as {name!r} built a benchmark named {bench.name!r}")
    if not bench.description:
        bench.description = list_benchmarks()[name]
    return bench


# --------------------------------------------------------------------------- running


def _load_dataset(bench: Benchmark, limit: int | None) -> list[dict[str, Any]]:
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    records = list(itertools.islice(bench.dataset(), limit))
    if not records:
        raise InputError(f"benchmark {bench.name!r} has no records to run")
    return records


def check_predictions(bench: Benchmark, predictions: Any, limit: int | None = None) -> None:
    """Every check :func:`run_benchmark` makes of ``predictions``, made before a run folder
    exists: bad predictions cost one error line and leave nothing behind."""
    by_id = read_predictions(predictions, bench.prediction_row)
    check_ids(by_id, _load_dataset(bench, limit), predictions)


async def _solve(
    bench: Benchmark, llm: LLM | None, run: RunDir, records: list[dict[str, Any]], **kw: Any
) -> tuple[str, list[dict[str, Any]], RunSummary]:
    """Run the solve stage; returns (signature, solved rows so far, its summary)."""
    stage = bench.solve_stage(llm.spec if llm is not None else str(bench.solver))
    signature = stage.signature()
    target = run / signature / "records.jsonl"
    summary = await run_stage(stage, records, target, llm=llm or bench.solver_llm, **kw)
    target = shard_path(target, kw.get("shard"))  # where run_stage wrote a shard's rows
    rows = read_jsonl(target, allow_empty=True, tolerate_torn_tail=True) if target.exists() else []
    wanted = {record_id(r) for r in records}  # a larger earlier run in the same folder stays out
    return signature, [r for r in rows if record_id(r) in wanted], summary


def _write_config(run: RunDir, bench: Benchmark, **settings: Any) -> None:
    settings.pop("total", None)
    run.write_config(
        {
            "benchmark": bench.name,
            "version": bench.version,
            "params": bench.params,
            **settings,
            "solve_config": bench.config.model_dump(mode="json"),
            "judge_config": bench.judge_config.model_dump(mode="json"),
        }
    )


def _scored_rows(path: Path, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Scored rows in data set order (the runner keeps arrival order while errors remain)."""
    if not path.exists():
        return []
    rows = read_jsonl(path, allow_empty=True, tolerate_torn_tail=True)
    order = {record_id(r): i for i, r in enumerate(records)}
    return sorted((r for r in rows if record_id(r) in order), key=lambda r: order[record_id(r)])


def _summary(
    bench: Benchmark, summaries: list[RunSummary], scores: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    summary = {"what": bench.name, "benchmark": bench.name, **summaries_dict(summaries), **extra}
    summary["scores"] = scores
    if bench.name in registered_sections():
        summary["report"] = [bench.name]
    return summary


async def run_benchmark(
    bench: Benchmark,
    llm: LLM | None,
    *,
    run_dir: str | Path | RunDir,
    judge: LLM | None = None,
    limit: int | None = None,
    predictions: str | Path | Iterable[dict[str, Any]] | None = None,
    concurrency: int | None = None,
    shard: tuple[int, int] | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    """Solve (unless ``predictions`` are given), score, aggregate; returns the aggregate.

    Rerunning with the same ``run_dir`` resumes: records already solved or scored are skipped
    (the runner's contract), so a killed run costs only the calls in flight. ``limit`` takes the
    first records of the data set. ``predictions`` (a JSONL path or rows with ``id``) are
    joined onto the data set records by id and scored as if ``solve`` had produced them; data
    set records without a prediction are counted in ``missing_predictions``, not scored.
    A benchmark with its own ``solver`` (RM-Bench's reward models) solves without ``llm``.

    ``shard=(i, n)`` runs only the records (of the first ``limit``) whose id hashes to shard i:
    files named ``*.shard-i-of-n.jsonl`` (``final.shard-i-of-n.jsonl``), so shards may share a
    folder, and an aggregate over the shard's rows with ``"shard": [i, n]`` in it. The whole
    set's aggregate: join the shards' final files (``lmforge merge``) and pass the merged rows
    as ``predictions``: they carry every record's output, so scoring them again gives the rows
    and the table a single run gives (rule scorers cost nothing; a judge is asked again, which
    the call cache answers when it holds the shards' calls).
    """
    run = run_dir if isinstance(run_dir, RunDir) else RunDir(run_dir)
    run.shard = shard  # the shard's own config and summary files
    everything = _load_dataset(bench, limit)
    records = [r for r in everything if in_shard(record_id(r), shard)]
    kw: dict[str, Any] = {"concurrency": concurrency, "quiet": quiet, "shard": shard}
    extra: dict[str, Any] = {"total": len(records), "judge": judge.spec if judge else None}
    if shard is not None:
        extra["shard"] = list(shard)
    summaries: list[RunSummary] = []
    if predictions is not None:
        extra["model"] = None
        extra["predictions"] = str(predictions) if isinstance(predictions, str | Path) else "rows"
        _write_config(run, bench, limit=limit, **extra)
        upstream, solved = join_predictions(
            run, everything, predictions, shard, bench.prediction_row
        )
        extra["missing_predictions"] = len(records) - len(solved)
    elif llm is None and bench.solver is None:
        raise ValueError("run_benchmark needs a model to solve with, or predictions=")
    else:
        if llm is not None and bench.solver is not None:
            raise ConfigError(f"benchmark {bench.name!r} solves with {bench.solver!r}: no model")
        extra["model"] = llm.spec if llm is not None else bench.solver
        _write_config(run, bench, limit=limit, **extra)
        upstream, solved, solve_summary = await _solve(bench, llm, run, records, **kw)
        summaries.append(solve_summary)
    score_stage = bench.score_stage(extra["judge"])
    scored = run / score_stage.signature(upstream) / "records.jsonl"
    summaries.append(await run_stage(score_stage, solved, scored, llm=judge, **kw))
    rows = _scored_rows(shard_path(scored, shard), records)
    write_jsonl(shard_path(run / "final.jsonl", shard), rows)
    scores = bench.aggregate(rows)
    if shard is not None:
        scores = {**scores, "shard": list(shard)}
    (run / "scores.json").write_text(  # strict JSON: a NaN figure (no rows) is null
        json.dumps(finite(scores), indent=2, ensure_ascii=False, default=str, allow_nan=False),
        encoding="utf-8",
    )
    run.write_summary(_summary(bench, summaries, scores, scored=len(rows), **extra))
    return scores
