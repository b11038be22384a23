"""``lmforge batch``: one completion per JSONL row, the smallest useful pipeline.

Rows carry a prompt field (default ``prompt``) or TRL ``messages``; the output row is the input
plus ``response``. It runs through the same resumable runner and run directory as every system.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from lmforge.errors import InputError

from ..llm.base import LLM
from ..llm.types import GenerateConfig
from .records import iter_jsonl, require_any, write_jsonl
from .rundir import RunDir
from .runner import Stage, StageContext, run_stage
from .shards import shard_path
from .summary import RunSummary, print_summaries


class BatchConfig(BaseModel):
    """Settings of one batch run (written to the run directory as config.yaml)."""

    input: Path
    """JSONL input: rows with the prompt field, or TRL ``messages``."""
    model: str | None = None
    """Model spec (default: LMFORGE_MODEL, else ``embedded``)."""
    output: Path | None = None
    """Where to copy the finished rows (the run directory keeps them too)."""
    field: str = "prompt"
    """Row field holding the user prompt."""
    system: str | None = None
    """Optional system message for every row."""
    generation: GenerateConfig = Field(default_factory=GenerateConfig)
    concurrency: int | None = None
    """Requests in flight; defaults to the backend's own limit."""
    shard: tuple[int, int] | None = None


def _messages(row: dict[str, Any], cfg: BatchConfig) -> list[dict[str, str]]:
    if "messages" in row:
        messages = [m for m in row["messages"] if m.get("role") != "assistant"]
    else:
        messages = [{"role": "user", "content": str(row[cfg.field])}]
    if cfg.system:
        messages = [{"role": "system", "content": cfg.system}, *messages]
    return messages


def validate_input(cfg: BatchConfig) -> None:
    """Fail before any model call, with the file and line of the first bad row."""
    for line, row in iter_jsonl(cfg.input):
        require_any(row, [(cfg.field,), ("messages",)], path=cfg.input, line=line)


async def run_batch(cfg: BatchConfig, llm: LLM, run: RunDir, *, quiet: bool = False) -> RunSummary:
    validate_input(cfg)
    run.write_config(cfg)

    async def respond(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        completion = await ctx.generate(_messages(row, cfg))
        return {**row, "response": completion.text}

    stage = Stage("batch", respond, config=cfg.generation)
    summary = await run_stage(
        stage,
        cfg.input,
        run / "records.jsonl",
        llm=llm,
        concurrency=cfg.concurrency,
        shard=cfg.shard,
        quiet=quiet,
    )
    run.write_summary({"what": "batch", **summary.model_dump()})
    if cfg.output is not None:
        done = shard_path(run / "records.jsonl", cfg.shard)
        if not done.exists():
            raise InputError("no records were produced", path=cfg.input)
        rows = [row for _, row in iter_jsonl(done, allow_empty=True)]
        write_jsonl(cfg.output, rows)
    if not quiet:
        print_summaries([summary], title=f"batch -> {run.path}")
    return summary
