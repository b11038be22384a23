"""``lmforge longreward score``: four-dimension rewards for every response of every query.

Two resumable stages in one run folder:

1. ``chunk-info`` (one record per query): the context's 4,096-token chunks, each asked for the
   question-relevant information once; every response of the query reuses it (the official
   ``1_get_chunk_info.py``). ``--no-share-info`` asks it again for every response instead,
   which is what ``benchmarks/longreward_calls.py`` compares against.
2. ``score`` (one record per response): helpfulness, logicality and faithfulness at once, then
   completeness. A dimension whose judge reply never parses after the allowed attempts leaves
   the response unscored: a counted ``Drop`` (official: skipped), never a made-up score.

``total`` is the mean of the four (the README's and paper's reward); ``total_sum`` is the sum
the official ``2_get_score.py`` stores (same order, so the same pairs).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from lmforge.inputs import JsonlPath
from lmforge.llm.base import LLM
from lmforge.pipeline.drops import Drop, dropped_path
from lmforge.pipeline.jobs import Job, JobConfig
from lmforge.pipeline.records import iter_jsonl
from lmforge.pipeline.runner import Stage, stage_paths

from .context import info_chunks, load_tokenizer
from .judge import (
    DIMENSIONS,
    DimensionFailed,
    JudgeOptions,
    Tally,
    chunk_information,
    completeness,
    faithfulness,
    gather_all,
    rate,
)
from .rows import load_queries

__all__ = ["ScoreConfig", "score", "score_response", "score_rows", "show_score"]

_PROMPTS = (
    "helpfulness",
    "logicality",
    "facts",
    "support",
    "completeness",
    "chunk_info_en",
    "chunk_info_zh",
)


class ScoreConfig(JobConfig):
    """Score responses on helpfulness, logicality, faithfulness and completeness."""

    cli_hidden: ClassVar[tuple[str, ...]] = ("shard",)

    input: JsonlPath
    """JSONL rows: id (the query id), context, query, and responses (a list) or one response
    per row with its response_id."""
    output: Path | None = None
    """Where the scored rows go (default: final.jsonl in the run directory)."""
    judging: JudgeOptions = Field(default_factory=JudgeOptions)
    share_info: bool = True
    """Extract the chunk information once per query and reuse it for all its responses
    (official); false extracts it again for every response."""


def _prompt_hashes() -> list[str]:
    from lmforge.pipeline.prompts import load_prompt

    return [load_prompt("lmforge.longreward", name).sha256 for name in _PROMPTS]


async def _tokenizer(opts: JudgeOptions) -> Any:
    return await asyncio.to_thread(load_tokenizer, opts.tokenizer)


async def query_info(judge: LLM, query: str, context: str, opts: JudgeOptions, tally: Tally):
    """The chunk information of one query (list of {label, text})."""
    chunks = info_chunks(context, await _tokenizer(opts))
    return await chunk_information(judge, query, chunks, opts, tally)


async def score_response(
    judge: LLM,
    query: str,
    context: str,
    response: str,
    info: list[dict[str, str]] | None,
    opts: JudgeOptions,
    tally: Tally,
) -> dict[str, Any]:
    """The four scores of one response and their details; ``info=None`` extracts the chunk
    information for this response alone. Raises DimensionFailed when a dimension never parses."""
    tokenizer = await _tokenizer(opts)
    help_, logic, faith = await gather_all(
        rate(judge, "helpfulness", query, response, opts, tally),
        rate(judge, "logicality", query, response, opts, tally),
        faithfulness(judge, query, response, context, tokenizer, opts, tally),
    )
    if info is None:
        info = await query_info(judge, query, context, opts, tally)
    complete = await completeness(judge, query, response, info, opts, tally)
    scores = {
        "helpfulness": help_["score"],
        "logicality": logic["score"],
        "faithfulness": faith["score"],
        "completeness": complete["score"],
    }
    return {
        "scores": scores,
        "total": sum(scores.values()) / len(scores),
        "total_sum": sum(scores.values()),
        "details": {"facts": faith["facts"], "n_info_chunks": len(info)},
    }


def _info_stage(cfg: ScoreConfig) -> Stage:
    opts = cfg.judging

    async def run(record: dict[str, Any], ctx: Any) -> dict[str, Any] | Drop:
        if not cfg.share_info:
            return {**record, "info": None}
        tally = Tally()
        try:
            info = await query_info(ctx, record["query"], record["context"], opts, tally)
        except DimensionFailed as exc:
            return Drop(exc.reason, raw=exc.raw, judge=tally.as_dict())
        return {**record, "info": info, "_meta": {"judge": tally.as_dict()}}

    params = {"judging": opts.model_dump(), "share_info": cfg.share_info}
    return Stage("chunk-info", run, version="1", prompts=_prompt_hashes(), params=params)


def _score_stage(cfg: ScoreConfig, upstream: str) -> Stage:
    opts = cfg.judging

    async def run(record: dict[str, Any], ctx: Any) -> dict[str, Any] | Drop:
        tally = Tally()
        try:
            got = await score_response(
                ctx,
                record["query"],
                record["context"],
                record["response"],
                record["info"],
                opts,
                tally,
            )
        except DimensionFailed as exc:
            return Drop(exc.reason, raw=exc.raw, judge=tally.as_dict())
        return {**record, **got, "_meta": {"judge": tally.as_dict()}}

    params = {"judging": opts.model_dump(), "upstream": upstream}
    return Stage("score", run, version="1", prompts=_prompt_hashes(), params=params)


def _response_records(queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for q in queries:
        for r in q["responses"]:
            out.append(
                {
                    "id": json.dumps([q["id"], r["response_id"]]),
                    "query_id": q["id"],
                    "response_id": r["response_id"],
                    "query": q["query"],
                    "context": q["context"],
                    "response": r["response"],
                    "info": q.get("info"),
                }
            )
    return out


def _final(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["query_id"],
        "response_id": row["response_id"],
        "query": row["query"],
        "context": row["context"],
        "response": row["response"],
        "scores": row["scores"],
        "total": row["total"],
        "total_sum": row["total_sum"],
        "details": row["details"],
        "_meta": row.get("_meta", {}),
    }


def _tallies(job: Job, rows: list[dict], infos: list[dict], stages: tuple[Stage, ...]) -> dict:
    """Judge calls and rejected replies over everything the run asked (kept and dropped)."""
    calls = rejected = 0
    metas = [r.get("_meta", {}) for r in rows + infos]
    for stage in stages:
        side = dropped_path(stage_paths([stage], job.path)[-1])
        if side.exists():
            metas += [r.get("_meta", {}) for _, r in iter_jsonl(side, allow_empty=True)]
    for meta in metas:
        judge = meta.get("judge") or {}
        calls += judge.get("calls", 0)
        rejected += judge.get("rejected", 0)
    return {"calls": calls, "rejected": rejected}


async def score_rows(cfg: ScoreConfig, job: Job) -> tuple[list[dict], list[dict], tuple]:
    """Run both stages in ``job``: the final rows (one per scored response, input order), the
    chunk-information rows (one per query) and the two stages."""
    queries = load_queries(cfg.input)
    info_stage = _info_stage(cfg)
    score_stage = _score_stage(cfg, info_stage.signature())
    await job.run([info_stage], queries)
    infos = job.rows()
    records = _response_records(infos)
    await job.run([score_stage], records, limit=None)
    rows = [_final(r) for r in job.rows()]
    return rows, infos, (info_stage, score_stage)


def score(cfg: ScoreConfig, *, out: Path | None = None, quiet: bool = False, llm=None) -> dict:
    """Score every response (``lmforge longreward score``); returns the run's figures."""
    queries = load_queries(cfg.input)  # the input gate: one line and exit 2 before any folder
    n_responses = sum(len(q["responses"]) for q in queries)
    job = Job("longreward-score", cfg, out=out, quiet=quiet, llm=llm)
    rows, infos, stages = asyncio.run(score_rows(cfg, job))
    tally = _tallies(job, rows, infos, stages)
    means = {
        d: (sum(r["scores"][d] for r in rows) / len(rows) if rows else None) for d in DIMENSIONS
    }
    counts = {
        "queries": len(queries),
        "responses": n_responses,
        "scored": len(rows),
        "unscored": n_responses - len(rows),
        "judge_calls": tally["calls"],
        "rejected_replies": tally["rejected"],
        "parse_failure_rate": tally["rejected"] / tally["calls"] if tally["calls"] else 0.0,
        "calls_per_response": tally["calls"] / n_responses if n_responses else 0.0,
        "mean_scores": means,
    }
    summary = job.finish(rows=rows, output=cfg.output, counts=counts)
    return {**counts, "output": summary.get("output"), "run": str(job.path)}


def show_score(result: dict[str, Any]) -> list[str]:
    """``key: value`` lines, the mean of each dimension on its own line."""
    lines = []
    for key, value in result.items():
        if key == "mean_scores":
            lines += [f"{d}: {'-' if v is None else f'{v:.2f}'}" for d, v in value.items()]
        elif isinstance(value, float):
            lines.append(f"{key}: {value:.3f}")
        else:
            lines.append(f"{key}: {value}")
    return lines
