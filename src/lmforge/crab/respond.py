"""Answering benchmark prompts with a model, resumably, before a rule or judge scores them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import Field

from lmforge.errors import RecordsFailed
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.jobs import Job, JobConfig
from lmforge.pipeline.records import read_jsonl
from lmforge.pipeline.runner import Stage, StageContext, run_stage

__all__ = ["RESPONSES", "RespondConfig", "generate_responses", "respond"]

RESPONSES = "responses.jsonl"
"""The answers' file in a respond run's directory (what the scorers read)."""


class RespondConfig(JobConfig):
    """Answering prompts before scoring them (written to the run directory as config.yaml)."""

    generation: GenerateConfig = Field(
        default_factory=lambda: GenerateConfig(max_tokens=1024, temperature=0.0)
    )
    """Sampling of every answer; greedy by default, as the official scoring runs."""


def _stage(generation: GenerateConfig) -> Stage:
    async def answer(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        completion = await ctx.generate([{"role": "user", "content": record["prompt"]}])
        return {**record, "response": completion.text}

    return Stage("respond", answer, config=generation)


def _check(failed: int, total: int, errors: Path, run: Path) -> None:
    """Scoring a partial set of answers would report a wrong number: stop with the way out
    (exit 3, as every run that finished with failed records)."""
    if failed:
        raise RecordsFailed(failed, total, errors=[str(errors)], runs=[str(run)])


async def answer_prompts(job: Job, rows: list[dict[str, Any]]) -> Path:
    """Answer ``rows`` (``id``, ``prompt``) inside ``job`` into its ``responses.jsonl``."""
    await job.run([_stage(job.config.generation)], rows, file=RESPONSES)
    last = job.summaries[-1]
    _check(last.failed, len(rows), job / "responses.errors.jsonl", job.path)
    return job / RESPONSES


def respond(
    config: RespondConfig,
    rows: list[dict[str, Any]],
    *,
    what: str = "crab-respond",
    out: Path | None = None,
    quiet: bool = False,
    llm: LLM | None = None,
) -> Path:
    """Answer ``rows`` in a run directory of their own (``runs/<what>/...``, or ``out`` to
    resume one); returns the path of the answers, ``responses.jsonl``, in input order."""

    async def go() -> Path:
        job = Job(what, config, out=out, quiet=quiet, llm=llm)
        path = await answer_prompts(job, rows)
        job.finish(counts={"prompts": len(rows)})
        return path

    return asyncio.run(go())


async def generate_responses(
    rows: list[dict[str, Any]],
    llm: LLM,
    output: Path,
    *,
    generation: GenerateConfig | None = None,
    quiet: bool = False,
) -> list[dict[str, Any]]:
    """``rows`` carry ``id`` and ``prompt``; returns them with ``response`` (input order).

    The bare stage into any ``output`` file, for callers with a run directory of their own
    (:func:`respond` makes one). Rows already answered in ``output`` are skipped, so a killed
    run continues where it stopped.
    """
    config = generation or RespondConfig().generation
    summary = await run_stage(_stage(config), rows, output, llm=llm, quiet=quiet)
    _check(summary.failed, output.with_suffix(".errors.jsonl"))
    return read_jsonl(output)
