"""LongBench-Write: S_l, S_q and S = (S_l + S_q) / 2, overall, per length range and per type.

Scoring runs as the shared benchmark core's stages (``lmforge.evaluation.benchmark``): given
predictions are scored directly; with a model the responses are generated first (official
protocol: the raw prompt as one user message, temperature 0.5, up to 32,768 new tokens).
Each scored row keeps every input field and adds ``score`` with ``response_length`` (official
word count), ``bucket``, ``length_score`` and, with a judge, the six ``quality`` ratings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from lmforge.errors import InputError
from lmforge.evaluation.benchmark import Benchmark, benchmark, run_benchmark
from lmforge.inputs import JsonlPath
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.jobs import JobConfig
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.records import record_id
from lmforge.pipeline.rundir import RunDir
from lmforge.pipeline.runner import StageContext
from lmforge.text.count import count_words

from .data import load_longbench_write, load_predictions
from .judge import JUDGE_CONFIG, FailurePolicy, judge_quality, quality_scores
from .lengthscore import BUCKETS, length_bucket, length_score, mean
from .report import finish_summary, score_lines

__all__ = [
    "SOLVE_CONFIG",
    "LongBenchWriteConfig",
    "aggregate_scores",
    "longbench_rows",
    "longbench_write_benchmark",
    "make_benchmark",
    "run_longbench_write",
]

SOLVE_CONFIG = GenerateConfig(max_tokens=32768, temperature=0.5)
"""The official ``pred.py`` sampling: temperature 0.5, 32,768 new tokens."""


class LongBenchWriteConfig(JobConfig):
    """One LongBench-Write run (written to the run directory as config.yaml); ``shard``
    scores the rows whose id hashes to shard i (``final.shard-i-of-n.jsonl``)."""

    local_only: ClassVar[bool] = True

    predictions: JsonlPath | None = None
    """JSONL of rows with ``prompt``, ``length`` (required) and ``response``, to score as given."""
    data: JsonlPath | None = None
    """LongBench-Write prompts (``longbench_write.jsonl``) to generate from with ``model``."""
    model: str | None = None
    """Model that answers ``data`` (instead of ``predictions``)."""
    judge: str | None = None
    """Quality judge model; without one only S_l is computed."""
    limit: int | None = Field(None, ge=1)
    """Score only the first rows."""
    official: bool = False
    """Official quirks: an empty response fails its row (the official scorer divides by zero);
    the judge parser accepts only what eval_quality.py accepts; unjudged rows are dropped."""
    failures: FailurePolicy | None = None
    """Rows the judge never rates: "zero" (lowest rating, default) or "drop" (official)."""
    judge_attempts: int = Field(5, ge=1)
    """Judge asks per row before giving up (official: 5)."""
    generation: GenerateConfig = Field(default_factory=lambda: SOLVE_CONFIG)
    judge_generation: GenerateConfig = Field(default_factory=lambda: JUDGE_CONFIG)

    def failure_policy(self) -> FailurePolicy:
        return self.failures or ("drop" if self.official else "zero")


def _group(rows: list[dict[str, Any]], failures: FailurePolicy) -> dict[str, Any]:
    """n, S_l and, where a judge ran, the six S_d, S_q and S for a set of scored rows."""
    scores = [row["score"] for row in rows]
    out: dict[str, Any] = {"n": len(rows)}
    out["length_score"] = mean(s["length_score"] for s in scores)
    if any("quality" in s for s in scores):
        quality = quality_scores([s.get("quality") for s in scores], failures=failures)
        out.update(quality)
        sl, sq = out["length_score"], quality["quality_score"]
        out["overall"] = None if sl is None or sq is None else (sl + sq) / 2
    return out


def aggregate_scores(rows: list[dict[str, Any]], *, failures: FailurePolicy = "zero") -> dict:
    """The paper's table: the whole set, each length range ([0,500) ... [4k,20k]) and each type.

    S_l is the plain mean over rows (per range: over that range), as in ``eval_length.py``.
    """
    scored = [row for row in rows if isinstance(row.get("score"), dict)]
    out = _group(scored, failures)
    out["by_bucket"] = [
        {"bucket": label, **_group([r for r in scored if r["score"]["bucket"] == label], failures)}
        for label, _, _ in BUCKETS
    ]
    types = dict.fromkeys(str(r.get("type", "")) for r in scored)
    out["by_type"] = [
        {"type": kind, **_group([r for r in scored if str(r.get("type", "")) == kind], failures)}
        for kind in types
    ]
    return out


def make_benchmark(
    rows: list[dict[str, Any]],
    *,
    official: bool = False,
    failures: FailurePolicy = "zero",
    judge_attempts: int = 5,
    generation: GenerateConfig = SOLVE_CONFIG,
    judge_generation: GenerateConfig = JUDGE_CONFIG,
    name: str = "longbench_write",
) -> Benchmark:
    """A :class:`~lmforge.evaluation.Benchmark` over ``rows`` (prompts, or predictions)."""

    async def solve(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        completion = await ctx.generate(record["prompt"])
        return {
            **record,
            "response": completion.text,
            "response_length": count_words(completion.text),
        }

    async def score(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        produced = count_words(row["response"])
        out: dict[str, Any] = {
            "response_length": produced,
            "bucket": length_bucket(row["length"]),
            "length_score": length_score(row["length"], produced, official=official),
        }
        if ctx.llm is not None:
            verdict = await judge_quality(
                ctx,
                row["prompt"],
                row["response"],
                attempts=judge_attempts,
                config=judge_generation,
                official=official,
            )
            out["quality"] = verdict.ratings
            out["quality_score"] = verdict.score
            out["judge"] = verdict.model_dump(exclude={"ratings", "score"})
        return out

    def aggregate(scored: list[dict[str, Any]]) -> dict[str, Any]:
        return aggregate_scores(scored, failures=failures)

    def read_predictions(path: Path) -> list[dict[str, Any]]:
        return _prediction_ids(load_predictions(path), rows, path)

    return Benchmark(
        name,
        lambda: rows,
        solve,
        score,
        aggregate,
        description="LongBench-Write: length score S_l, quality score S_q, S",
        config=generation,
        judge_config=judge_generation,
        score_prompts=[load_prompt("lmforge.longwriter", "judge")],
        params={"official": official, "failures": failures, "judge_attempts": judge_attempts},
        read_predictions=read_predictions,
        lines=score_lines,
    )


def _prediction_ids(
    predictions: list[dict[str, Any]], rows: list[dict[str, Any]], path: Path
) -> list[dict[str, Any]]:
    """Prediction rows (official files carry no id) with the id of the data set row whose
    prompt they answer, so the runner can join them."""
    by_prompt = {row["prompt"]: record_id(row) for row in rows}
    out = []
    for n, row in enumerate(predictions, start=1):
        rid = row.get("id") or by_prompt.get(row["prompt"])
        if rid is None:
            raise InputError(f"row {n}: prompt not in the data set", path=path, field="prompt")
        out.append({**row, "id": str(rid)})
    return out


@benchmark("longbench_write")
def longbench_write_benchmark(data: str | Path, **options: Any) -> Benchmark:
    """LongBench-Write (THUDM/LongWriter): length and quality of long outputs, 120 prompts."""
    return make_benchmark(load_longbench_write(data), **options)


def _with_ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Predictions are matched to their rows by id; rows without one get their content hash."""
    return [{**row, "id": record_id(row)} for row in rows]


def longbench_rows(cfg: LongBenchWriteConfig, *, model: bool) -> list[dict[str, Any]]:
    """The rows a run scores (``cfg.predictions``, or ``cfg.data`` to answer when ``model``),
    each checked, with its id, first ``cfg.limit``: called before any model or run folder."""
    if (cfg.predictions is None) == (cfg.data is None):
        raise InputError(
            "give either --predictions FILE, or --model SPEC with --data FILE (LongBench-Write's "
            "prompts are not shipped: longbench_write.jsonl from THUDM/LongWriter evaluation/)"
        )
    if cfg.data is not None and not model:
        raise InputError("--data needs --model: the model that writes the responses")
    if cfg.predictions is not None:
        loaded = load_predictions(cfg.predictions)
    else:
        loaded = load_longbench_write(cfg.data)  # type: ignore[arg-type]
    return _with_ids(loaded)[: cfg.limit]


async def run_longbench_write(
    cfg: LongBenchWriteConfig,
    run: RunDir,
    *,
    llm: LLM | None = None,
    judge: LLM | None = None,
    quiet: bool = False,
    rows: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Score ``cfg.predictions`` (or answer ``cfg.data`` with ``llm`` first); returns the
    aggregate, also written to scores.json. ``rows``: those :func:`longbench_rows` already
    checked (the CLI checks them before it makes the run folder)."""
    if rows is None:
        rows = longbench_rows(cfg, model=llm is not None)
    bench = make_benchmark(
        rows,
        official=cfg.official,
        failures=cfg.failure_policy(),
        judge_attempts=cfg.judge_attempts,
        generation=cfg.generation,
        judge_generation=cfg.judge_generation,
    )
    scores = await run_benchmark(
        bench,
        None if cfg.predictions else llm,
        run_dir=run,
        judge=judge,
        predictions=rows if cfg.predictions else None,
        concurrency=cfg.concurrency,
        shard=cfg.shard,
        quiet=quiet,
    )
    source = cfg.predictions or cfg.data
    finish_summary(
        run,
        "longbench_write",
        cfg,
        predictions=str(cfg.predictions) if cfg.predictions else None,
        data=str(source),
    )
    return scores
