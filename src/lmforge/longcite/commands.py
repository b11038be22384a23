"""LongCite's verbs (``lmforge longcite split|answer|bench|cof``): the library functions the
CLI calls, each with its typed config; the work lives in the modules they import."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from lmforge.inputs import TextPath

if TYPE_CHECKING:
    from .longbench_cite import LongBenchCiteConfig

__all__ = ["SplitCommand", "bench", "split"]


class SplitCommand(BaseModel):
    """A text file to cut into LongCite's numbered sentences."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    text_file: TextPath
    """Plain UTF-8 text to split (the official rule: untrained Punkt + 。；！？, blank-line
    fallback)."""
    numbered: bool = True
    """Print the numbered context (``<C0>...<C1>...``); off: only the count."""


def split(config: SplitCommand) -> list[str]:
    """Print the ``<C{i}>`` numbered context, then ``sentences: N``."""
    from lmforge.inputs import read_document

    from .numbering import number_context

    numbered = number_context(read_document(config.text_file, what="text file"))
    lines = [numbered.render()] if config.numbered else []
    return [*lines, f"sentences: {len(numbered)}"]


def bench(
    config: LongBenchCiteConfig, *, out: Path | None = None, quiet: bool = False
) -> list[str]:
    """LongBench-Cite: citation recall, precision, F1 and correctness of predictions (or of
    ``--model``'s answers to ``--data``), judged by ``--judge``."""
    import asyncio

    from lmforge.evaluation.report import render_report
    from lmforge.llm.registry import get_llm
    from lmforge.pipeline.rundir import RunDir
    from lmforge.systems import import_all

    from .longbench_cite import bench_rows, run_longbench_cite
    from .report import bench_lines

    rows = bench_rows(config, model=config.model is not None)  # before any model or folder
    llm = get_llm(config.model) if config.model else None
    judge = get_llm(config.judge) if config.judge else None
    import_all("reports")  # before the run: its summary names the sections registered
    run = RunDir.open(out, "longcite")
    scores = asyncio.run(
        run_longbench_cite(config, run, llm=llm, judge=judge, quiet=quiet, rows=rows)
    )
    lines = bench_lines(scores)
    failed = run.read_summary().get("failed")
    if failed:
        lines.append(f"failed: {failed} rows (reasons in {run.path}/*/records.errors.jsonl)")
    return [*lines, f"run: {run.path}", f"report: {render_report(run.path)}"]
