"""AgentWrite over many instructions: a run directory, per-paragraph resume, the SFT file.

Layout of ``runs/longwriter/<timestamp>/`` for ``lmforge longwriter write``::

    config.yaml          the effective AgentWriteConfig
    paragraphs.jsonl     every finished plan/paragraph call (the resume log, see steplog.py)
    agentwrite.jsonl     one row per instruction: input fields, ``messages`` (None if dropped),
                         ``_meta`` with plan, steps, planned and written word counts, drop reason
    sft.jsonl            the kept rows as ``{"messages": [...]}`` (LongWriter-6k format)
    summary.json         counts, drops by reason, words, tokens; "report": ["longwriter"]
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from lmforge.errors import InputError
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.records import iter_jsonl, read_jsonl, record_id, write_jsonl
from lmforge.pipeline.rundir import RunDir
from lmforge.pipeline.runner import Stage, StageContext, run_stage
from lmforge.pipeline.summary import RunSummary
from lmforge.text.count import count_words

from .agentwrite import AgentWriteOptions, AgentWriteResult, write_instruction
from .steplog import StepLog

__all__ = ["AgentWriteConfig", "load_instructions", "run_agentwrite"]

RECORDS = "agentwrite.jsonl"
STEPS = "paragraphs.jsonl"
SFT = "sft.jsonl"


class AgentWriteConfig(BaseModel):
    """One AgentWrite run (written to the run directory as config.yaml)."""

    input: Path | None = None
    """JSONL of instructions: ``prompt`` (required), optional ``length`` and ``id``."""
    instruction: str | None = None
    """A single instruction instead of ``input``."""
    length: int | None = Field(None, gt=0)
    """Required length of the single instruction, if it has one (words / CJK characters)."""
    output: Path | None = None
    """Where to copy the SFT rows (the run directory keeps them as sft.jsonl too)."""
    model: str | None = None
    """Model spec for planning and writing (default: LMFORGE_MODEL, else ``embedded``)."""
    options: AgentWriteOptions = Field(default_factory=AgentWriteOptions)
    generation: GenerateConfig = Field(
        default_factory=lambda: GenerateConfig(max_tokens=4096, temperature=1.0)
    )
    """Sampling of every call; official: temperature 1.0 (GPT-4o's default), 4096 tokens."""
    concurrency: int | None = None
    """Instructions written at once; defaults to the backend's limit."""


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


def _row(record: dict[str, Any], result: AgentWriteResult) -> dict[str, Any]:
    kept = result.dropped is None
    return {
        **record,
        "messages": result.sft_row()["messages"] if kept else None,
        "_meta": {
            "plan": result.plan,
            "steps": result.steps,
            "planned_words": result.planned_words,
            "planned_total": result.planned_total,
            "paragraph_words": [count_words(p) for p in result.paragraphs],
            "words": result.words,
            "target_words": result.target_words,
            "dropped": result.dropped,
            "mode": result.mode,
        },
    }


def agentwrite_stage(cfg: AgentWriteConfig, log: StepLog) -> Stage:
    """The runner stage: one instruction in, one row out; model calls go through ``log``."""

    async def write(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        if ctx.llm is None:
            raise RuntimeError("AgentWrite needs a model")
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
    return Stage("agentwrite", write, "1", prompts, params, config=cfg.generation)


def _summary(run: RunDir, stage: RunSummary, rows: list[dict[str, Any]]) -> dict[str, Any]:
    metas = [row.get("_meta") or {} for row in rows]
    dropped = Counter(m["dropped"] for m in metas if m.get("dropped"))
    kept = [m for m in metas if not m.get("dropped")]
    return {
        "what": "agentwrite",
        "report": ["longwriter"],
        **stage.model_dump(),
        "kept": len(kept),
        "dropped": dict(dropped),
        "output_words": sum(m.get("words", 0) for m in kept),
        "calls_logged": sum(1 for _ in iter_jsonl(run / STEPS, allow_empty=True))
        if (run / STEPS).exists()
        else 0,
    }


async def run_agentwrite(
    cfg: AgentWriteConfig, llm: LLM, run: RunDir, *, quiet: bool = False
) -> dict[str, Any]:
    """Write every instruction of ``cfg`` into ``run``; returns the summary.

    Rerunning with the same ``run`` resumes: finished instructions are skipped by the runner and
    finished plan/paragraph calls of unfinished ones are read from ``paragraphs.jsonl``, so a
    killed run continues at the next paragraph. An instruction whose call fails (transport,
    context length) becomes an error row in ``agentwrite.errors.jsonl`` and is retried next time.
    """
    records = _records(cfg)
    run.write_config(cfg)
    with StepLog(run / STEPS) as log:
        stage = agentwrite_stage(cfg, log)
        summary = await run_stage(
            stage, records, run / RECORDS, llm=llm, concurrency=cfg.concurrency, quiet=quiet
        )
    rows = (
        read_jsonl(run / RECORDS, allow_empty=True, tolerate_torn_tail=True)
        if (run / RECORDS).exists()
        else []
    )
    sft = [{"messages": row["messages"]} for row in rows if row.get("messages")]
    write_jsonl(run / SFT, sft)
    if cfg.output is not None:
        write_jsonl(cfg.output, sft)
    result = _summary(run, summary, rows)
    run.write_summary(result)
    return result
