"""``lmforge openep evaluate``: score a predictions file against gold questions with a judge.

Both files are checked before any run folder or model exists (a prediction for an id the
gold does not hold is an error); scoring runs the registered ``openep`` benchmark's score
stage, so it resumes, caches the judge's calls and writes ``scores.json`` and a report.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath
from lmforge.pipeline.records import check_row, iter_jsonl
from lmforge.pipeline.rundir import RunDir

from .scoring import ScoringOptions

__all__ = ["EvaluateConfig", "evaluate", "load_predictions"]


class EvaluateConfig(BaseModel):
    """Judge predictions of OpenEPBench questions."""

    model_config = ConfigDict(use_attribute_docstrings=True)
    predictions: JsonlPath
    """Prediction rows: ``id`` and ``predictions`` (the official JSON text, or an object)."""
    gold: JsonlPath
    """The questions with their outcomes (``answer``; ``tar_time`` for sample time questions)."""
    judge: str | None = None
    """Judge model spec (default: LMFORGE_MODEL, else ``embedded``)."""
    scoring: ScoringOptions = ScoringOptions()
    """Confidence weighting and the official-behaviour switches (``--set scoring.X=true``)."""


def load_predictions(path: str | Path, known: set[str]) -> list[dict]:
    """Prediction rows, each checked, ids unique and present in the gold."""
    from .benchmark import PredictionRow

    rows, seen = [], set()
    for line, row in iter_jsonl(path):
        check_row(PredictionRow, row, path=path, line=line)
        rid = str(row["id"])
        if rid in seen:
            raise InputError(f"duplicate prediction id {rid!r}", path=path, line=line)
        if rid not in known:
            raise InputError(
                f"id {rid!r} is not in the gold file", path=path, line=line, field="id"
            )
        seen.add(rid)
        rows.append({"id": row["id"], "predictions": row["predictions"]})
    return rows


def evaluate(cfg: EvaluateConfig, *, out: Path | None = None, quiet: bool = False) -> list[str]:
    """The dimension lines, ``time_accuracy``, ``overall``, then the per-type table."""
    from lmforge.config import get_settings
    from lmforge.evaluation.benchmark import run_benchmark
    from lmforge.llm.registry import get_llm

    from .benchmark import make_benchmark, openep_lines
    from .data import load_questions

    gold = load_questions(cfg.gold, require_answer=True)
    rows = load_predictions(cfg.predictions, {str(q.id) for q in gold})
    bench = make_benchmark(gold, options=cfg.scoring)
    judge = get_llm(cfg.judge or get_settings().model)
    run = RunDir.open(out, "openep")
    scores = asyncio.run(
        run_benchmark(bench, None, run_dir=run, judge=judge, predictions=rows, quiet=quiet)
    )
    lines = openep_lines(scores)
    missing = len(gold) - len(rows)
    if missing:
        lines.append(f"note: {missing} gold question(s) have no prediction and are not scored")
    return [*lines, f"run: {run.path}"]
