"""``lmforge batch``: one completion per JSONL row, the smallest useful pipeline.

Rows carry a prompt field (default ``prompt``) or TRL ``messages``; the output row is the input
plus ``response``. It runs through the same resumable runner and run directory as every system.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InputError
from ..inputs import JsonlPath
from ..llm.base import LLM
from ..llm.types import GenerateConfig, Message
from .jobs import Job, JobConfig
from .records import check_row, iter_jsonl, require_any
from .rundir import RunDir
from .runner import Stage, StageContext

__all__ = ["BatchConfig", "batch", "run_batch"]


class BatchConfig(JobConfig):
    """Settings of one batch run (written to the run directory as config.yaml)."""

    input: JsonlPath
    """JSONL input: rows with the prompt field, or TRL ``messages``."""
    output: Path | None = None
    """Where the finished rows go (default: final.jsonl in the run directory)."""
    field: str = "prompt"
    """Row field holding the user prompt."""
    system: str | None = None
    """Optional system message for every row."""
    generation: GenerateConfig = Field(default_factory=GenerateConfig)


def _messages(row: dict[str, Any], cfg: BatchConfig) -> list[dict[str, str]]:
    if "messages" in row:
        messages = [m for m in row["messages"] if m.get("role") != "assistant"]
    else:
        messages = [{"role": "user", "content": str(row[cfg.field])}]
    if cfg.system:
        messages = [{"role": "system", "content": cfg.system}, *messages]
    return messages


class MessagesRow(BaseModel):
    """A row given as TRL ``messages``: each turn a role and its content."""

    model_config = ConfigDict(extra="allow")

    messages: list[Message] = Field(min_length=1)


def validate_input(cfg: BatchConfig) -> None:
    """Fail before any model call, with the file, line and field of the first bad row: a
    prompt must be text (``null`` or a list is refused, not sent), messages real turns."""
    for line, row in iter_jsonl(cfg.input):
        require_any(row, [(cfg.field,), ("messages",)], path=cfg.input, line=line)
        if "messages" in row:
            check_row(MessagesRow, row, path=cfg.input, line=line)
        elif not isinstance(row[cfg.field], str):
            kind = "null" if row[cfg.field] is None else type(row[cfg.field]).__name__
            raise InputError(
                f"expected text, got {kind}", path=cfg.input, line=line, field=cfg.field
            )


async def run_batch(
    cfg: BatchConfig,
    *,
    out: str | Path | RunDir | None = None,
    quiet: bool = False,
    llm: LLM | None = None,
) -> dict[str, Any]:
    """Answer every row of ``cfg.input``; ``out`` reuses a run directory (resumes it).

    The stage output ``records.jsonl`` in the run directory is the resume log; the finished
    rows are written once more, to ``--output`` or else ``final.jsonl``.
    """
    validate_input(cfg)
    job = Job("batch", cfg, out=out, quiet=quiet, llm=llm)

    async def respond(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        completion = await ctx.generate(_messages(row, cfg))
        return {**row, "response": completion.text}

    await job.run([Stage("batch", respond, config=cfg.generation)], cfg.input, file="records.jsonl")
    summary = job.finish(rows=job.rows(), output=cfg.output)
    return {"rows": summary["rows"], "failed": summary["failed"], "output": summary["output"]}


def batch(config: BatchConfig, *, out: Path | None = None, quiet: bool = False) -> dict[str, Any]:
    """One completion per JSONL row (resumable; `--shard i/n` for many machines)."""
    return asyncio.run(run_batch(config, out=out, quiet=quiet))
