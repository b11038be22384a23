"""LongBench-Cite as a registered benchmark: citation recall / precision / F1, correctness and
citation length of cited answers (spec B8), through the shared benchmark core's stages.

Given predictions are scored as they are; with ``--model`` the answers are generated first
from ``--data`` (the LQAC prompt of :mod:`~lmforge.longcite.answer`). Scoring needs a judge for
recall, precision and correctness; without one only the citation counts and length are
computed. Each scored row keeps its fields and adds ``score`` with the instance's figures, its
verdict log and the counts of unparsed verdicts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from lmforge.errors import InputError
from lmforge.evaluation.benchmark import Benchmark, benchmark, run_benchmark
from lmforge.inputs import JsonlPath, JsonPath
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.jobs import JobConfig
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.rundir import RunDir
from lmforge.pipeline.runner import StageContext

from .answer import (
    SOLVE_CONFIG,
    PromptStyle,
    input_budget,
    lqac_prompt,
    read_cited_reply,
    truncate_middle,
)
from .data import load_longbench_cite, load_prediction_rows
from .judges import (
    CORRECT_CONFIG,
    JUDGE_CONFIG,
    JUDGE_PROMPTS,
    JudgeOptions,
    judge_citations,
    judge_correctness,
)
from .numbering import number_context
from .parse import parse_answer, strip_citations
from .scoring import FailurePolicy, aggregate, citation_tokens, instance_scores

__all__ = [
    "MAX_STATEMENTS",
    "LongBenchCiteConfig",
    "bench_rows",
    "longbench_cite_benchmark",
    "make_benchmark",
    "run_longbench_cite",
]

MAX_STATEMENTS = 40
"""Statements judged per instance (official ``max_statement_num``)."""


class LongBenchCiteConfig(JobConfig):
    """One LongBench-Cite run (written to the run directory as config.yaml)."""

    local_only: ClassVar[bool] = True

    predictions: JsonlPath | None = None
    """Prediction rows to score (official record: idx, dataset, query, answer, prediction,
    statements; statements may be left out when a context is known)."""
    data: JsonPath | None = None
    """``LongBench-Cite.json`` (or a file of its shape): what ``--model`` answers, or where
    prediction rows take missing fields from (joined by idx)."""
    model: str | None = None
    """Model that answers ``data`` (instead of ``predictions``)."""
    judge: str | None = None
    """Judge model; without one only citation counts and length are computed."""
    style: PromptStyle = "sft"
    """Prompt of the answering model: sft (citation-trained models) or one_shot."""
    max_input_tokens: int | None = Field(None, ge=64)
    """Prompt budget before middle truncation (default: the model's window, or 128,000)."""
    max_statements: int = Field(MAX_STATEMENTS, ge=1)
    """Statements judged per instance (official: 40)."""
    official: bool = False
    """Official judge protocol: free-text ``[[...]]`` verdicts (10 tokens, stop "Analysis:")
    and instances with an unparsed verdict dropped from the means (still counted)."""
    failures: FailurePolicy | None = None
    """An unparsed verdict: "zero" (worst verdict, counted; default) or "drop" (official)."""
    structured: bool | None = None
    """JSON-schema verdicts (default; off with --official)."""
    correctness: bool = True
    """Also grade correctness against the reference answers (needs a judge)."""
    plain_correctness: float | None = Field(None, gt=0)
    """Correctness of the same model in plain long-context QA (no citations, 0-1), for the
    correctness ratio CR = correctness / this."""
    judge_attempts: int = Field(5, ge=1)
    """Judge asks per verdict (official: 5)."""
    generation: GenerateConfig = Field(default_factory=lambda: SOLVE_CONFIG)
    judge_generation: GenerateConfig = Field(default_factory=lambda: JUDGE_CONFIG)

    def judge_options(self) -> JudgeOptions:
        structured = (not self.official) if self.structured is None else self.structured
        return JudgeOptions(
            structured=structured,
            attempts=self.judge_attempts,
            config=self.judge_generation,
            correct_config=CORRECT_CONFIG,
        )

    def failure_policy(self) -> FailurePolicy:
        return self.failures or ("drop" if self.official else "zero")


async def _score_row(
    row: dict[str, Any],
    ctx: StageContext,
    *,
    options: JudgeOptions,
    failures: FailurePolicy,
    max_statements: int,
    correctness: bool,
) -> dict[str, Any]:
    statements = list(row.get("statements") or [])[:max_statements]
    cites = [c["cite"] for s in statements for c in s.get("citation") or []]
    out: dict[str, Any] = {
        "n_statements": len(statements),
        "n_citations": len(cites),
        "cite_tokens": sum(citation_tokens(c) for c in cites),
    }
    if ctx.llm is None:
        return out
    plain = strip_citations(row["prediction"])
    recall, precision, log = await judge_citations(ctx, row["query"], statements, plain, options)
    out.update(instance_scores(recall, precision, failures=failures))
    out["verdicts"] = log
    if correctness and row.get("answer") not in (None, [], ""):
        score, unparsed, ratings = await judge_correctness(ctx, row, plain, options)
        out.update(correctness=score, correctness_unparsed=unparsed, ratings=ratings)
    return out


def make_benchmark(
    rows: list[dict[str, Any]],
    *,
    style: PromptStyle = "sft",
    max_input_tokens: int | None = None,
    options: JudgeOptions | None = None,
    failures: FailurePolicy = "zero",
    max_statements: int = MAX_STATEMENTS,
    correctness: bool = True,
    plain_correctness: float | None = None,
    generation: GenerateConfig = SOLVE_CONFIG,
    name: str = "longbench_cite",
) -> Benchmark:
    """A :class:`~lmforge.evaluation.Benchmark` over ``rows`` (instances, or predictions)."""
    options = options or JudgeOptions()

    async def solve(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        numbered = number_context(record["context"])
        budget = input_budget(ctx.spec, generation.max_tokens, max_input_tokens)
        prompt, cut = truncate_middle(lqac_prompt(numbered, record["query"], style), budget)
        reply = await ctx.generate([{"role": "user", "content": prompt}])
        parsed = parse_answer(read_cited_reply(reply.text), numbered)
        statements = [s.as_dict() for s in parsed.statements]
        return {**record, "prediction": parsed.answer, "statements": statements, "truncated": cut}

    async def score(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        return await _score_row(
            row,
            ctx,
            options=options,
            failures=failures,
            max_statements=max_statements,
            correctness=correctness,
        )

    def agg(scored: list[dict[str, Any]]) -> dict[str, Any]:
        return aggregate(scored, plain_correctness=plain_correctness)

    from .report import bench_lines

    params = {"style": style, "failures": failures, "max_statements": max_statements,
              "correctness": correctness, "structured": options.structured,
              "attempts": options.attempts}  # fmt: skip
    return Benchmark(
        name,
        lambda: rows,
        solve,
        score,
        agg,
        description="LongBench-Cite: citation recall, precision, F1 and correctness",
        config=generation,
        judge_config=options.config,
        solve_prompts=[load_prompt("lmforge.longcite", f"lqac_{style}")],
        score_prompts=[load_prompt("lmforge.longcite", n) for n in JUDGE_PROMPTS],
        params=params,
        lines=bench_lines,
        read_predictions=lambda path: load_prediction_rows(path, rows),
    )


@benchmark("longbench_cite")
def longbench_cite_benchmark(data: str | Path, **options: Any) -> Benchmark:
    """LongBench-Cite (THUDM/LongCite): sentence-level citation quality of cited answers."""
    return make_benchmark(load_longbench_cite(data), **options)


def bench_rows(cfg: LongBenchCiteConfig, *, model: bool) -> list[dict[str, Any]]:
    """The rows a run scores (predictions, or the data to answer when ``model``), checked,
    first ``cfg.limit``: called before any model or run folder."""
    if cfg.predictions is None and cfg.data is None:
        raise InputError(
            "give --predictions FILE, or --model SPEC with --data FILE (LongBench-Cite.json is "
            "not shipped: THUDM/LongCite, LongBench-Cite/)"
        )
    if cfg.predictions is not None and model:
        raise InputError("--model answers --data; --predictions are scored as they are")
    if cfg.predictions is None and not model:
        raise InputError("--data without --predictions needs --model: the model that answers")
    data = load_longbench_cite(cfg.data) if cfg.data is not None else None
    if cfg.predictions is not None:
        return load_prediction_rows(cfg.predictions, data)[: cfg.limit]
    return (data or [])[: cfg.limit]


async def run_longbench_cite(
    cfg: LongBenchCiteConfig,
    run: RunDir,
    *,
    llm: LLM | None = None,
    judge: LLM | None = None,
    quiet: bool = False,
    rows: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Score ``cfg.predictions`` (or answer ``cfg.data`` with ``llm`` first); returns the
    aggregate, also written to scores.json."""
    rows = bench_rows(cfg, model=llm is not None) if rows is None else rows
    bench = make_benchmark(
        rows,
        style=cfg.style,
        max_input_tokens=cfg.max_input_tokens,
        options=cfg.judge_options(),
        failures=cfg.failure_policy(),
        max_statements=cfg.max_statements,
        correctness=cfg.correctness,
        plain_correctness=cfg.plain_correctness,
        generation=cfg.generation,
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
    summary = run.read_summary()
    summary.update(report=["longbench_cite"], data=str(cfg.data) if cfg.data else None)
    run.write_summary(summary)
    return scores
