"""CRAB's evaluation verbs (`lmforge crab ifeval|followbench`): answer the prompts with a model
when no responses are given, then score them with the shared IFEval / FollowBench scorers."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from lmforge.errors import InputError

__all__ = ["FollowBenchCommand", "IFEvalCommand", "followbench", "ifeval"]


class IFEvalCommand(BaseModel):
    """Score IFEval responses, or answer the prompts with a model first."""

    inputs: Path
    """IFEval input_data.jsonl."""
    responses: Path | None = None
    """JSONL rows: prompt, response (official format); without it --model answers."""
    model: str | None = None
    """Model that answers when no --responses are given (default LMFORGE_MODEL)."""
    max_tokens: int = Field(1024, ge=1)
    """Most new tokens per answer."""
    limit: int | None = None
    """Only the first N prompts."""


class FollowBenchCommand(BaseModel):
    """Score FollowBench responses (rule-checked subsets by code, the rest by a judge)."""

    responses: Path | None = None
    """JSONL rows: example_id, category, level, response; without it --model answers."""
    data: Path | None = None
    """FollowBench folder of JSON files [$LMFORGE_FOLLOWBENCH_DATA]."""
    judge: str | None = None
    """Judge model spec for the LLM-judged items (without it they are reported unjudged)."""
    model: str | None = None
    """Model that answers when no --responses are given (default LMFORGE_MODEL)."""
    limit: int | None = None
    """Only the first N items."""


def _respond(
    rows: list[dict[str, Any]],
    model: str | None,
    max_tokens: int,
    what: str,
    out: Path | None,
    quiet: bool,
) -> Path:
    """Answer ``rows`` into a run directory (resumable); the path of the answers."""
    from lmforge.llm.types import GenerateConfig

    from .respond import RespondConfig, respond

    generation = GenerateConfig(max_tokens=max_tokens, temperature=0.0)
    config = RespondConfig(model=model, generation=generation)
    return respond(config, rows, what=what, out=out, quiet=quiet)


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
    responses = config.responses
    if responses is None:
        prompts = [{"id": str(r.key), "prompt": r.prompt} for r in rows]
        responses = _respond(prompts, config.model, config.max_tokens, "crab-ifeval", out, quiet)
    report = score_ifeval(rows, load_responses(responses))
    if out is not None:
        write_jsonl(out / "results.jsonl", (r.to_dict() for r in report.rows))
    return list(format_report(report))


def _followbench_dir(data: Path | None) -> Path:
    found = data or os.environ.get("LMFORGE_FOLLOWBENCH_DATA")
    if not found:
        raise InputError("give --data FOLDER (FollowBench JSON files) or LMFORGE_FOLLOWBENCH_DATA")
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
    from lmforge.llm.registry import get_llm

    items = load_followbench(_followbench_dir(config.data))[: config.limit]
    responses = config.responses
    if responses is None:
        prompts = [
            {
                "id": f"{i.category}-{i.example_id}-{i.level}",
                "prompt": i.instruction,
                "example_id": i.example_id,
                "category": i.category,
                "level": i.level,
            }
            for i in items
        ]
        responses = _respond(prompts, config.model, 1024, "crab-followbench", out, quiet)
    judge = get_llm(config.judge) if config.judge else None
    report = asyncio.run(score_followbench(items, load_fb_responses(responses, items), judge))
    return list(format_fb_report(report))
