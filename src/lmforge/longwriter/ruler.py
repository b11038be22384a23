"""LongWrite-Ruler: ask for 1,000 ... 30,000 words and measure what a model actually writes.

The paper's probe of the output-length ceiling: models trained without long outputs level off
near 2,000 words whatever they are asked for. Rows come from the official file
(``longwrite_ruler.jsonl``, 8 instructions x 6 lengths) or from the built-in English prompts
(``data.ruler_prompts``); the table is per required length: mean, median and max produced
length, and the mean length score.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from lmforge.evaluation.benchmark import Benchmark, benchmark, run_benchmark
from lmforge.inputs import JsonlPath
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.jobs import JobConfig
from lmforge.pipeline.rundir import RunDir
from lmforge.pipeline.runner import StageContext
from lmforge.text.count import count_words

from .data import RULER_LENGTHS, load_ruler, ruler_prompts
from .lengthscore import length_score, mean
from .longbench_write import SOLVE_CONFIG
from .report import finish_summary, ruler_lines

__all__ = [
    "RulerConfig",
    "aggregate_ruler",
    "longwrite_ruler_benchmark",
    "make_ruler",
    "ruler_rows",
    "run_ruler",
]


class RulerConfig(JobConfig):
    """One ruler run (written to the run directory as config.yaml); ``shard`` answers the
    prompts whose id hashes to shard i (``final.shard-i-of-n.jsonl``)."""

    local_only: ClassVar[bool] = True

    model: str | None = None
    """The model to measure."""
    data: JsonlPath | None = None
    """Official ``longwrite_ruler.jsonl``; None: the built-in English prompts."""
    lengths: list[int] | None = None
    """Keep only these required lengths (default: all of the file, or 1000 ... 30000)."""
    generation: GenerateConfig = Field(default_factory=lambda: SOLVE_CONFIG)


def aggregate_ruler(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per required length: n, mean/median/max output length, mean S_l; and the overall max."""
    scored = [r for r in rows if isinstance(r.get("score"), dict)]
    lengths = sorted({r["length"] for r in scored})
    table = []
    for required in lengths:
        produced = [r["score"]["response_length"] for r in scored if r["length"] == required]
        table.append(
            {
                "length": required,
                "n": len(produced),
                "mean_output": mean(produced),
                "median_output": float(statistics.median(produced)),
                "max_output": max(produced),
                "length_score": mean(
                    r["score"]["length_score"] for r in scored if r["length"] == required
                ),
            }
        )
    outputs = [r["score"]["response_length"] for r in scored]
    return {
        "n": len(scored),
        "max_output_length": max(outputs, default=0),
        "length_score": mean(r["score"]["length_score"] for r in scored),
        "by_length": table,
    }


def make_ruler(
    rows: list[dict[str, Any]],
    *,
    generation: GenerateConfig = SOLVE_CONFIG,
    name: str = "longwrite_ruler",
) -> Benchmark:
    """A :class:`~lmforge.evaluation.Benchmark` that answers each ruler prompt and measures it."""

    async def solve(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        completion = await ctx.generate(record["prompt"])
        return {**record, "response": completion.text, "finish_reason": completion.finish_reason}

    def score(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        produced = count_words(row["response"])
        return {"response_length": produced, "length_score": length_score(row["length"], produced)}

    return Benchmark(
        name,
        lambda: rows,
        solve,
        score,
        aggregate_ruler,
        description="LongWrite-Ruler: produced vs required output length",
        config=generation,
        lines=ruler_lines,
        prediction_row=RulerPrediction,
    )


class RulerPrediction(BaseModel):
    """A ``--predictions`` row: the prompt's id and the text whose words are counted."""

    model_config = ConfigDict(extra="allow")

    id: str | int
    response: str


@benchmark("longwrite_ruler")
def longwrite_ruler_benchmark(
    data: str | Path | None = None, lengths: Sequence[int] | None = None, **options: Any
) -> Benchmark:
    """LongWrite-Ruler (THUDM/LongWriter): output length at required 1k-30k words."""
    return make_ruler(_rows(data, lengths), **options)


def _rows(data: str | Path | None, lengths: Sequence[int] | None) -> list[dict[str, Any]]:
    if data is None:
        return ruler_prompts(lengths or RULER_LENGTHS)
    rows = [{**row, "id": row.get("id") or f"ruler-{i}"} for i, row in enumerate(load_ruler(data))]
    return [r for r in rows if lengths is None or r["length"] in set(lengths)]


def ruler_rows(cfg: RulerConfig) -> list[dict[str, Any]]:
    """The prompts a run answers (``cfg.data`` checked, or the built-in ones), first
    ``cfg.limit``: called before any model or run folder."""
    return _rows(cfg.data, cfg.lengths)[: cfg.limit]


async def run_ruler(
    cfg: RulerConfig,
    llm: LLM,
    run: RunDir,
    *,
    quiet: bool = False,
    rows: list[dict[str, Any]] | None = None,
) -> dict:
    """Answer every ruler prompt with ``llm`` and write the per-length table to scores.json;
    ``rows``: those :func:`ruler_rows` already checked."""
    rows = ruler_rows(cfg) if rows is None else rows
    bench = make_ruler(rows, generation=cfg.generation)
    scores = await run_benchmark(
        bench, llm, run_dir=run, concurrency=cfg.concurrency, shard=cfg.shard, quiet=quiet
    )
    finish_summary(run, "ruler", cfg, data=str(cfg.data) if cfg.data else "built-in")
    return scores
