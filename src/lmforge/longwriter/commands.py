"""LongWriter's scoring verbs (`lmforge longwriter bench|ruler`): run the registered benchmark
into a run directory, write its report.html (as ``lmforge eval`` does) and return the lines a
reader checks first."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lmforge.pipeline.rundir import RunDir
from lmforge.systems import import_all

from .longbench_write import LongBenchWriteConfig
from .ruler import RulerConfig

__all__ = ["bench", "ruler"]


def bench(
    config: LongBenchWriteConfig, *, out: Path | None = None, quiet: bool = False
) -> list[str]:
    """LongBench-Write: length score S_l (and S_q, S with --judge) of predictions or a model."""
    from lmforge.evaluation.report import render_report
    from lmforge.llm.registry import get_llm

    from .longbench_write import longbench_rows, run_longbench_write
    from .report import score_lines

    rows = longbench_rows(config, model=config.model is not None)  # before any model or folder
    llm = get_llm(config.model) if config.model else None
    judge = get_llm(config.judge) if config.judge else None
    import_all("reports")  # before the run: its summary names the sections registered
    run = RunDir.open(out, "longwriter")
    scores = asyncio.run(
        run_longbench_write(config, run, llm=llm, judge=judge, quiet=quiet, rows=rows)
    )
    lines = list(score_lines(scores))
    failed = run.read_summary().get("failed")
    if failed:
        lines.append(f"failed: {failed} rows (reasons in {run.path}/*/records.errors.jsonl)")
    return [*lines, f"run: {run.path}", f"report: {render_report(run.path)}"]


def ruler(config: RulerConfig, *, out: Path | None = None, quiet: bool = False) -> list[str]:
    """LongWrite-Ruler: how long a model actually writes when asked for 1k ... 30k words."""
    from lmforge.config import get_settings
    from lmforge.evaluation.report import render_report
    from lmforge.llm.registry import get_llm

    from .report import ruler_lines
    from .ruler import ruler_rows, run_ruler

    rows = ruler_rows(config)  # before any model or folder
    config.model = config.model or get_settings().model
    llm = get_llm(config.model)
    import_all("reports")
    run = RunDir.open(out, "longwriter")
    scores = asyncio.run(run_ruler(config, llm, run, quiet=quiet, rows=rows))
    return [*ruler_lines(scores), f"run: {run.path}", f"report: {render_report(run.path)}"]
