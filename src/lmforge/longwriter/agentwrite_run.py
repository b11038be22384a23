"""AgentWrite over many instructions: a run directory, per-paragraph resume, the SFT file.

Layout of ``runs/agentwrite/<timestamp>/`` for ``lmforge longwriter write`` (a
:class:`~lmforge.pipeline.jobs.Job`)::

    config.yaml               the effective AgentWriteConfig
    paragraphs.jsonl          every finished plan/paragraph call (the resume log, see steplog.py)
    agentwrite.jsonl          one row per kept instruction: input fields, ``messages``, ``_meta``
                              with plan, steps, planned and written word counts
    agentwrite.dropped.jsonl  one row per dropped instruction: ``id``, ``reason`` (too_short,
                              empty_paragraph, ...), the same ``_meta``; not retried on resume
    final.jsonl               the kept rows as ``{"messages": [...]}`` (LongWriter-6k format),
                              unless ``--output`` names another place (written once, not both)
    summary.json              counts, drops by reason, words, tokens; "report": ["longwriter"]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from pydantic import Field

from lmforge.errors import InputError, StageError
from lmforge.inputs import JsonlPath
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.drops import Drop
from lmforge.pipeline.jobs import Job, JobConfig
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.records import iter_jsonl, record_id
from lmforge.pipeline.rundir import RunDir
from lmforge.pipeline.runner import Stage, StageContext
from lmforge.text.count import count_words

from .agentwrite import AgentWriteOptions, AgentWriteResult, write_instruction
from .steplog import StepLog

__all__ = ["AgentWriteConfig", "load_instructions", "run_agentwrite", "show_write", "write"]

RECORDS = "agentwrite.jsonl"
STEPS = "paragraphs.jsonl"


class AgentWriteConfig(JobConfig):
    """One AgentWrite run (written to the run directory as config.yaml); ``model`` plans and
    writes, ``concurrency`` is the instructions written at once."""

    input: JsonlPath | None = None
    """JSONL of instructions: ``prompt`` (required), optional ``length`` and ``id``."""
    instruction: str | None = None
    """A single instruction instead of ``input``."""
    length: int | None = Field(None, gt=0)
    """Required length of the single instruction, if it has one (words / CJK characters)."""
    output: Path | None = None
    """Where the SFT rows go (default: final.jsonl in the run directory)."""
    options: AgentWriteOptions = Field(default_factory=AgentWriteOptions)
    generation: GenerateConfig = Field(
        default_factory=lambda: GenerateConfig(max_tokens=4096, temperature=1.0)
    )
    """Sampling of every call; official: temperature 1.0 (GPT-4o's default), 4096 tokens."""


def load_instructions(path: str | Path) -> list[dict[str, Any]]:
    """Instruction rows, checked before any model call (``prompt`` string, positive ``length``)."""
    rows = []
    for line, row in iter_jsonl(path):
        if "prompt" not in row:
            raise InputError("missing required field", path=path, line=line, field="prompt")
        if not isinstance(row["prompt"], str) or not row["prompt"].strip():
            raise InputError("expected a non-empty string", path=path, line=line, field="prompt")
        length = row.get("length")
        if length is not None and (
            isinstance(length, bool) or not isinstance(length, int) or length <= 0
        ):
            raise InputError(
                f"expected a positive integer, got {length!r}", path=path, line=line, field="length"
            )
        rows.append(row)
    return rows


def _records(cfg: AgentWriteConfig) -> list[dict[str, Any]]:
    if (cfg.input is None) == (cfg.instruction is None):
        raise InputError("give either an instruction or --input FILE, not both or neither")
    if cfg.input is not None:
        return load_instructions(cfg.input)
    row: dict[str, Any] = {"prompt": cfg.instruction}
    if cfg.length is not None:
        row["length"] = cfg.length
    return [row]


def _row(record: dict[str, Any], result: AgentWriteResult) -> dict[str, Any] | Drop:
    """The kept row, or a ``Drop`` carrying the same meta (so the report can plot it)."""
    meta = {
        "plan": result.plan,
        "steps": result.steps,
        "planned_words": result.planned_words,
        "planned_total": result.planned_total,
        "paragraph_words": [count_words(p) for p in result.paragraphs],
        "words": result.words,
        "target_words": result.target_words,
        "mode": result.mode,
    }
    if result.dropped is not None:
        return Drop(result.dropped, **meta)
    return {**record, "messages": result.sft_row()["messages"], "_meta": meta}


def agentwrite_stage(cfg: AgentWriteConfig, log: StepLog) -> Stage:
    """The runner stage: one instruction in, one row out; model calls go through ``log``."""

    async def write_one(record: dict[str, Any], ctx: StageContext) -> dict[str, Any] | Drop:
        if ctx.llm is None:
            raise StageError("AgentWrite needs a model: give --model")
        rid = record_id(record)

        async def ask(step: str, messages: list[dict[str, str]], max_tokens: int) -> str:
            key = StepLog.key(
                ctx.llm.spec, messages, ctx.config.model_copy(update={"max_tokens": max_tokens})
            )
            done = log.get(key)
            if done is not None:
                return done
            completion = await ctx.generate(messages, max_tokens=max_tokens)
            log.put(key, rid=rid, step=step, text=completion.text, usage=completion.usage)
            return completion.text

        result = await write_instruction(
            ask,
            record["prompt"],
            options=cfg.options,
            max_tokens=cfg.generation.max_tokens,
            length=record.get("length"),
        )
        return _row(record, result)

    prompts = [load_prompt("lmforge.longwriter", name) for name in ("plan", "write")]
    params = cfg.options.model_dump()
    return Stage("agentwrite", write_one, "1", prompts, params, config=cfg.generation)


def _counts(job: Job, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """AgentWrite's own figures for ``summary.json``, besides the job's counts and drops."""
    steps = job / STEPS
    logged = sum(1 for _ in iter_jsonl(steps, allow_empty=True)) if steps.exists() else 0
    return {
        "report": ["longwriter"],
        "kept": len(rows),
        "output_words": sum((row.get("_meta") or {}).get("words", 0) for row in rows),
        "calls_logged": logged,
    }


async def run_agentwrite(
    cfg: AgentWriteConfig,
    llm: LLM | None = None,
    run: RunDir | str | Path | None = None,
    *,
    quiet: bool = False,
) -> dict[str, Any]:
    """Write every instruction of ``cfg`` into ``run``; returns the summary, with ``dropped``
    as counts by reason.

    Rerunning with the same ``run`` resumes: finished and dropped instructions are skipped by
    the runner and finished plan/paragraph calls of unfinished ones are read from
    ``paragraphs.jsonl``, so a killed run continues at the next paragraph. An instruction whose
    call fails (transport, context length) becomes an error row in ``agentwrite.errors.jsonl``
    and is retried next time.
    """
    records = _records(cfg)
    job = Job("agentwrite", cfg, out=run, quiet=quiet, llm=llm)
    with StepLog(job / STEPS) as log:
        await job.run([agentwrite_stage(cfg, log)], records, file=RECORDS)
    rows = job.rows()
    sft = [{"messages": row["messages"]} for row in rows]
    summary = job.finish(rows=sft, output=cfg.output, counts=_counts(job, rows))
    result = {**summary, "dropped": summary["drops"]}
    if cfg.instruction is not None:  # one instruction: its text is the answer (None if dropped)
        result["text"] = rows[0]["messages"][-1]["content"] if rows else None
    return result


def write(
    config: AgentWriteConfig, *, out: Path | None = None, quiet: bool = False
) -> dict[str, Any]:
    """AgentWrite: plan, then write paragraph by paragraph; SFT rows (LongWriter-6k format)."""
    return asyncio.run(run_agentwrite(config, run=out, quiet=quiet))


def show_write(result: dict[str, Any]) -> list[str]:
    """The CLI's view of a ``write`` result: figures on stderr, and on stdout the written text
    of a single instruction (none when it was dropped), so ``> essay.txt`` gets only the text."""
    drops = result.get("dropped") or {}
    print(f"kept: {result.get('kept')}", file=sys.stderr)
    print(f"dropped: {sum(drops.values())}", file=sys.stderr)
    for reason, count in drops.items():
        print(f"  dropped: {reason}: {count}", file=sys.stderr)
    for key in ("output_words", "failed", "llm_calls"):
        print(f"{key}: {result.get(key)}", file=sys.stderr)
    print(f"wall_s: {result.get('wall_s', 0):.2f}", file=sys.stderr)
    return [result["text"]] if result.get("text") else []
