"""CRAB's evaluation verbs (`lmforge crab ifeval|followbench`): answer the prompts with a model
when no responses are given, then score them with the shared IFEval / FollowBench scorers.

``--shard i/n`` answers and scores only the prompts whose id hashes to i (answers in
``responses.shard-i-of-n.jsonl``); the whole set's figures: join the shards' answers
(``lmforge merge RUN/responses.shard-*.jsonl --output all.jsonl``) and score them with
``--responses all.jsonl``.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from pydantic import Field

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath, JsonPath
from lmforge.pipeline.jobs import JobConfig
from lmforge.pipeline.shards import in_shard, shard_path

__all__ = ["FollowBenchCommand", "IFEvalCommand", "followbench", "ifeval"]


class IFEvalCommand(JobConfig):
    """Score IFEval responses, or answer the prompts with a model first."""

    inputs: JsonlPath
    """IFEval input_data.jsonl."""
    responses: JsonlPath | None = None
    """JSONL rows: prompt, response (official format); without it --model answers."""
    model: str | None = None
    """Model that answers when no --responses are given (default LMFORGE_MODEL)."""
    max_tokens: int = Field(1024, ge=1)
    """Most new tokens per answer."""
    limit: int | None = None
    """Only the first N prompts."""


class FollowBenchCommand(JobConfig):
    """Score FollowBench responses (rule-checked subsets by code, the rest by a judge)."""

    responses: JsonlPath | None = None
    """JSONL rows: example_id, category, level, response; without it --model answers."""
    data: JsonPath | None = None
    """FollowBench folder of <category>_constraints.json files, or one such file
    [$LMFORGE_FOLLOWBENCH_DATA]."""
    judge: str | None = None
    """Judge model spec for the LLM-judged items (without it they are reported unjudged)."""
    model: str | None = None
    """Model that answers when no --responses are given (default LMFORGE_MODEL)."""
    limit: int | None = None
    """Only the first N items."""


def _respond(
    rows: list[dict[str, Any]],
    command: JobConfig,
    max_tokens: int,
    what: str,
    out: Path | None,
    quiet: bool,
) -> Path:
    """Answer ``rows`` into a run directory (resumable) with the command's model, concurrency
    and shard; the path of the answers (a shard's carry the shard in their name)."""
    from lmforge.llm.types import GenerateConfig

    from .respond import RespondConfig, respond

    generation = GenerateConfig(max_tokens=max_tokens, temperature=0.0)
    config = RespondConfig(
        model=command.model,
        concurrency=command.concurrency,
        shard=command.shard,
        generation=generation,
    )
    # respond() names the unsharded file; the runner wrote a shard's answers beside it
    return shard_path(respond(config, rows, what=what, out=out, quiet=quiet), command.shard)


def ifeval(config: IFEvalCommand, *, out: Path | None = None, quiet: bool = False) -> list[str]:
    """IFEval strict/loose accuracy at prompt and instruction level, then the per-type table."""
    from lmforge.benchmarks.ifeval import (
        format_report,
        load_ifeval_inputs,
        load_responses,
        score_ifeval,
    )
    from lmforge.pipeline.records import write_jsonl

    rows = load_ifeval_inputs(config.inputs)[: config.limit]
    rows = [r for r in rows if in_shard(str(r.key), config.shard)]
    if config.responses is not None:  # checked before anything runs or is written
        answers = load_responses(config.responses)
    else:
        prompts = [{"id": str(r.key), "prompt": r.prompt} for r in rows]
        answers = load_responses(
            _respond(prompts, config, config.max_tokens, "crab-ifeval", out, quiet)
        )
    report = score_ifeval(rows, answers)
    if out is not None:
        results = shard_path(out / "results.jsonl", config.shard)
        write_jsonl(results, (r.to_dict() for r in report.rows))
    return list(format_report(report))


def _followbench_dir(data: Path | None) -> Path:
    found = data or os.environ.get("LMFORGE_FOLLOWBENCH_DATA")
    if not found:
        raise InputError(
            "give --data FOLDER (FollowBench JSON files) or LMFORGE_FOLLOWBENCH_DATA", field="data"
        )
    return Path(found)


def followbench(
    config: FollowBenchCommand, *, out: Path | None = None, quiet: bool = False
) -> list[str]:
    """FollowBench HSR/SSR/CSL per level: rule-checked subsets by code, the rest by --judge."""
    from lmforge.benchmarks.followbench import (
        format_fb_report,
        load_fb_responses,
        load_followbench,
        score_followbench,
    )
    from lmforge.benchmarks.followbench.metrics import report_of
    from lmforge.llm.registry import get_llm

    items = load_followbench(_followbench_dir(config.data))[: config.limit]
    # given answers are checked before the judge is built or anything is written
    answers = load_fb_responses(config.responses, items) if config.responses else None
    if answers is None:
        prompts = [
            {
                "id": _fb_id(i.key),
                "prompt": i.instruction,
                "example_id": i.example_id,
                "category": i.category,
                "level": i.level,
            }
            for i in items
            if i.level > 0 and in_shard(_fb_id(i.key), config.shard)  # level 0: seeds, unscored
        ]
        answers = load_fb_responses(
            _respond(prompts, config, 1024, "crab-followbench", out, quiet), items
        )
    judge = get_llm(config.judge) if config.judge else None
    if config.shard is not None:
        answers = {k: v for k, v in answers.items() if in_shard(_fb_id(k), config.shard)}
    report = asyncio.run(score_followbench(items, answers, judge))
    if config.shard is not None:
        # Every item stays in ``items`` (a judge reads each one's evolution path); the table
        # is the shard's: the other shards' items, unanswered here, are left out of it.
        report = report_of(
            [o for o in report.outcomes if in_shard(_fb_id(_key(o)), config.shard)],
            report.failure_policy,
        )
    return list(format_fb_report(report))


def _fb_id(key: tuple[str, int, int]) -> str:
    """The record id of the FollowBench item ``(category, example_id, level)``: it shards."""
    category, example_id, level = key
    return f"{category}-{example_id}-{level}"


def _key(outcome: Any) -> tuple[str, int, int]:
    return outcome.category, outcome.example_id, outcome.level
