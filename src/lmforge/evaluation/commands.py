"""The generic evaluation verbs (``lmforge eval NAME``, ``lmforge benchmarks``, ``lmforge report``)
as library functions with their configs; the CLI only lists them.

Why one runner for every benchmark: a registered benchmark is data + solve + score + aggregate,
so running one is the same everywhere (a run folder, resumable stages, ``scores.json``, an
HTML report); a system's own command may add its habits, but the figures come from the same
functions.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import yaml
from pydantic import BaseModel, Field

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath, RunDirPath
from lmforge.pipeline.jobs import JobConfig

if TYPE_CHECKING:
    from lmforge.pipeline.rundir import RunDir

__all__ = ["EvalConfig", "ReportConfig", "benchmarks", "report", "run_eval", "score_lines"]


class EvalConfig(JobConfig):
    """One run of a registered benchmark (``lmforge benchmarks`` lists them); ``--shard i/n``
    runs the records whose id hashes to i (see :func:`run_eval` for the whole set's table)."""

    local_only: ClassVar[bool] = True

    name: str
    """The benchmark to run, as ``lmforge benchmarks`` lists it."""
    model: str | None = None
    """Model that answers the prompts; not needed with --predictions or for benchmarks that
    solve with their own scorer (rmbench)."""
    judge: str | None = None
    """Judge model for benchmarks whose scoring asks one (LongBench-Write quality, FollowBench)."""
    predictions: JsonlPath | None = None
    """JSONL of outputs to score instead of asking --model (joined to the data set by id, or by
    the benchmark's own key: IFEval's prompt)."""
    limit: int | None = Field(None, ge=0)
    """Only the first N records of the data set (taken before sharding)."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Options of the benchmark's factory, e.g. ``--set options.data=PATH``."""


class ReportConfig(BaseModel):
    """A run folder to render."""

    run_dir: RunDirPath
    """A runs/<what>/<timestamp> folder."""


def _load_registrations() -> None:
    from lmforge.systems import import_all

    import_all("benchmarks")


def benchmarks() -> list[str]:
    """List every registered benchmark, ``name: what it is`` (run one with ``lmforge eval``)."""
    from lmforge.evaluation.benchmark import list_benchmarks

    _load_registrations()
    return [f"{name}: {text}" for name, text in list_benchmarks().items()]


def _number(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def score_lines(scores: dict[str, Any]) -> list[str]:
    """The default printout of an aggregate: its top-level numbers as ``name: value``."""
    return [
        f"{key}: {_number(value)}"
        for key, value in scores.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]


def _add_to_config(run: RunDir, config: EvalConfig) -> None:
    """Keep the command's own settings (options, predictions path) next to the core's."""
    path = run.config_path  # a shard's own config.shard-i-of-n.yaml with --shard
    core = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    merged = {**(core or {}), "eval": config.model_dump(mode="json")}
    path.write_text(yaml.safe_dump(merged, sort_keys=False, allow_unicode=True), encoding="utf-8")


async def _run(bench: Any, config: EvalConfig, run_dir: RunDir, quiet: bool) -> dict[str, Any]:
    from lmforge.evaluation.benchmark import run_benchmark
    from lmforge.llm.registry import get_llm

    llm = get_llm(config.model) if config.model else None
    judge = get_llm(config.judge) if config.judge else None
    predictions: Any = config.predictions
    if predictions is not None and bench.read_predictions is not None:
        predictions = bench.read_predictions(Path(predictions))  # checked before the folder
    try:
        return await run_benchmark(
            bench,
            llm,
            run_dir=run_dir,
            judge=judge,
            limit=config.limit,
            predictions=predictions,
            concurrency=config.concurrency,
            shard=config.shard,
            quiet=quiet,
        )
    finally:
        for model in (llm, judge):
            if model is not None:
                await model.aclose()
        if bench.close is not None:
            await bench.close()


def _notes(run: RunDir) -> list[str]:
    """What a reader of the figures must know: records scored on fewer rows than the data."""
    summary = run.read_summary()
    notes = []
    if summary.get("shard"):
        i, n = summary["shard"]
        notes.append(f"note: shard {i}/{n} of the data set ({summary.get('total')} records)")
    if summary.get("missing_predictions"):
        notes.append(f"note: {summary['missing_predictions']} records had no prediction")
    failed = summary.get("failed")
    if failed:
        notes.append(f"note: {failed} records failed and are left out (see *.errors.jsonl)")
    return notes


def _build(name: str, options: dict[str, Any]) -> Any:
    """The benchmark; options the factory does not take are the user's error, not a crash."""
    import inspect

    from lmforge.evaluation.benchmark import BENCHMARKS, get_benchmark

    try:
        inspect.signature(BENCHMARKS.get(name)).bind(**options)
    except TypeError as exc:
        raise InputError(f"options of benchmark {name!r}: {exc}") from None
    return get_benchmark(name, **options)


def run_eval(config: EvalConfig, *, out: Path | None = None, quiet: bool = False) -> list[str]:
    """Run a registered benchmark (``lmforge benchmarks`` lists them): answer with --model,
    or score --predictions, then aggregate into the paper's table and write report.html.

    The run goes to --out (default runs/NAME/TIMESTAMP); rerunning into the same folder
    resumes. The benchmark's own options are set with --set options.KEY=VALUE (for example
    ``--set options.data=PATH``; each benchmark's factory docstring lists its options).
    Returns the table's lines, then ``run: PATH`` and ``report: PATH``.

    With --shard i/n only shard i of the records is answered and scored, into
    ``final.shard-i-of-n.jsonl`` and a table of that shard. The whole set's table: join the
    shards' final files with ``lmforge merge`` and score the merged rows,
    ``lmforge eval NAME --predictions merged.jsonl`` (with the same --set options and --judge):
    the rows hold every answer, so no model is asked, and a judge's calls come from the call
    cache where it holds them.
    """
    from lmforge.evaluation.benchmark import check_predictions
    from lmforge.evaluation.report import render_report
    from lmforge.pipeline.rundir import RunDir
    from lmforge.systems import import_all

    _load_registrations()
    import_all("reports")  # before the run: its summary names the sections registered
    bench = _build(config.name, config.options)
    if config.predictions is not None:  # bad predictions: one line, and no run folder
        if bench.read_predictions is not None:
            bench.read_predictions(Path(config.predictions))
        else:
            check_predictions(bench, config.predictions, config.limit)
    run = RunDir.open(out, config.name)
    run.shard = config.shard
    scores = asyncio.run(_run(bench, config, run, quiet))
    _add_to_config(run, config)
    page = render_report(run.path)
    lines = bench.lines(scores) if bench.lines is not None else score_lines(scores)
    return [*lines, *_notes(run), f"run: {run.path}", f"report: {page}"]


def report(config: ReportConfig) -> list[str]:
    """Render RUN_DIR/report.html: the paper's table, summary, samples, errors and plots."""
    from lmforge.evaluation.report import render_report
    from lmforge.pipeline.rundir import RunDir
    from lmforge.systems import import_all

    if not config.run_dir.is_dir():
        raise InputError("not a run directory", path=config.run_dir)
    import_all("reports")  # systems register their report sections on import
    RunDir(config.run_dir).combine_shards()  # a shard folder: its summaries added up
    return [str(render_report(config.run_dir))]
