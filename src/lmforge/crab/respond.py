"""Answering benchmark prompts with a model, resumably, before a rule or judge scores them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lmforge.errors import StageError
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.records import read_jsonl
from lmforge.pipeline.runner import Stage, StageContext, run_stage

__all__ = ["generate_responses"]


async def generate_responses(
    rows: list[dict[str, Any]],
    llm: LLM,
    output: Path,
    *,
    generation: GenerateConfig | None = None,
    quiet: bool = False,
) -> list[dict[str, Any]]:
    """``rows`` carry ``id`` and ``prompt``; returns them with ``response`` (input order).

    Rows already answered in ``output`` are skipped, so a killed run continues where it stopped.
    """

    async def answer(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        completion = await ctx.generate([{"role": "user", "content": record["prompt"]}])
        return {**record, "response": completion.text}

    config = generation or GenerateConfig(max_tokens=1024, temperature=0.0)
    summary = await run_stage(
        Stage("respond", answer, config=config), rows, output, llm=llm, quiet=quiet
    )
    if summary.failed:
        raise StageError(
            f"{summary.failed} prompts failed; see {output.with_suffix('')}"
            ".errors.jsonl and rerun to retry them"
        )
    return read_jsonl(output)
