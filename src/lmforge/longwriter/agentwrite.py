"""AgentWrite: plan a long text paragraph by paragraph, then write it one paragraph at a time.

Step I asks for a plan (one line per paragraph: main point and word count). Step II writes each
step with the instruction, the whole plan and the text so far, so a model with a short output
limit still produces a long, coherent text; the joined paragraphs become one SFT answer (the
LongWriter-6k format). ``parallel=True`` is the paper's "+Parallel" ablation: every paragraph is
written at once, without the text so far, which keeps the length and costs coherence.

Official guards and post-processing: a plan with more than 50 steps is skipped (the planner has
collapsed); an empty paragraph abandons the item; "Paragraph k" labels are stripped; outputs far
shorter than their target are dropped (optionally also far longer: ``max_length_ratio``).
Dropped items stay in the run's records with the reason and are left out of the SFT file.
Deviations from the official ``write.py``, each behind a flag that restores it: every paragraph
is checked for emptiness (official: only the last one, ``official_empty_check``), and plans are
split by paragraph labels (``official_plan_split``, see :mod:`lmforge.longwriter.plan`).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.records import sft_messages
from lmforge.text.count import count_words

from .plan import planned_word_counts, split_plan, strip_paragraph_label

__all__ = [
    "AgentWriteOptions",
    "AgentWriteResult",
    "DropReason",
    "agent_write",
    "write_instruction",
]

DropReason = Literal["empty_plan", "too_many_steps", "empty_paragraph", "too_short", "too_long"]
Ask = Callable[[str, list[dict[str, str]], int], Awaitable[str]]
"""``ask(step_name, messages, max_tokens) -> text``: how the loop reaches a model."""


class AgentWriteOptions(BaseModel):
    """How AgentWrite plans, writes and filters (the generation settings live beside it)."""

    parallel: bool = False
    """Ablation: write all paragraphs at once, each without the text written so far."""
    max_steps: int = Field(50, ge=1)
    """Skip items whose plan has more steps than this (official: 50)."""
    min_length_ratio: float = Field(1 / 3, ge=0)
    """Drop outputs shorter than this share of their target length (the row's ``length``, else
    the plan's total word count). The paper gives no threshold; 1/3 is where LongBench-Write's
    length score reaches 0."""
    min_words: int = Field(0, ge=0)
    """Drop outputs with fewer words than this, whatever the target."""
    max_length_ratio: float | None = Field(None, gt=0)
    """Stop and drop an item once its text passes this multiple of the target length (4 is
    where the length score reaches 0). Off by default, as officially; it stops a small model
    whose plan has dozens of unlabelled bullet steps from writing until the context is full."""
    strip_labels: bool = True
    """Remove "Paragraph k" labels at the top of paragraphs."""
    plan_max_tokens: int | None = Field(None, ge=1)
    """Token limit of the plan call; None: the generation limit."""
    tokens_per_planned_word: float | None = Field(None, gt=0)
    """Cap each paragraph at this many tokens per planned word (small models loop); None: only
    the generation limit, as officially."""
    official_plan_split: bool = False
    """Split the plan exactly as ``write.py`` (every line a step, blank-line quirk included)."""
    official_empty_check: bool = False
    """Check only the last paragraph for emptiness, as ``write.py`` does."""


class AgentWriteResult(BaseModel):
    """One instruction's plan, paragraphs and final text, or why it was dropped."""

    instruction: str
    plan: str
    steps: list[str]
    planned_words: list[int | None]
    paragraphs: list[str] = Field(default_factory=list)
    """Writer replies as returned (labels still in): what the writer saw as the text so far."""
    text: str = ""
    """The final answer: cleaned paragraphs joined by blank lines."""
    words: int = 0
    target_words: int | None = None
    dropped: DropReason | None = None
    mode: Literal["sequential", "parallel"] = "sequential"

    @property
    def planned_total(self) -> int | None:
        """The plan's word counts added up (diagnostics: planned vs requested length)."""
        return _planned_total(self.planned_words)

    def sft_row(self) -> dict[str, Any]:
        """The LongWriter-6k / TRL conversational row: ``{"messages": [user, assistant]}``."""
        return sft_messages(self.instruction, self.text)


def _planned_total(counts: list[int | None]) -> int | None:
    known = [c for c in counts if c]
    return sum(known) if known else None


def _paragraph_tokens(opts: AgentWriteOptions, limit: int, planned: int | None) -> int:
    if opts.tokens_per_planned_word is None or not planned:
        return limit
    return max(1, min(limit, math.ceil(planned * opts.tokens_per_planned_word)))


async def _write_steps(
    ask: Ask,
    instruction: str,
    plan: str,
    steps: list[str],
    opts: AgentWriteOptions,
    max_tokens: list[int],
    ceiling: float | None,
) -> tuple[list[str], DropReason | None]:
    """The writer's replies, and why the item is abandoned if it is (empty paragraph, or the
    text grew past ``ceiling`` words)."""
    write = load_prompt("lmforge.longwriter", "write")

    def messages(step: str, text: str) -> list[dict[str, str]]:
        return write.messages(
            instruction=instruction, plan=plan.strip(), text=text.strip(), step=step.strip()
        )

    if opts.parallel:
        replies = list(
            await asyncio.gather(
                *(
                    ask(f"paragraph-{k + 1}", messages(step, ""), max_tokens[k])
                    for k, step in enumerate(steps)
                )
            )
        )
        if any(not r.strip() for r in replies):
            return replies, "empty_paragraph"
        too_long = ceiling is not None and count_words("\n\n".join(replies)) > ceiling
        return replies, "too_long" if too_long else None
    text, replies = "", []
    for k, step in enumerate(steps):
        reply = await ask(f"paragraph-{k + 1}", messages(step, text), max_tokens[k])
        if not reply.strip() and not opts.official_empty_check:
            return replies, "empty_paragraph"
        replies.append(reply)
        text += reply + "\n\n"
        if ceiling is not None and count_words(text) > ceiling:
            return replies, "too_long"
    if opts.official_empty_check and replies and replies[-1] == "":
        return replies, "empty_paragraph"
    return replies, None


async def write_instruction(
    ask: Ask,
    instruction: str,
    *,
    options: AgentWriteOptions | None = None,
    max_tokens: int = 4096,
    length: int | None = None,
) -> AgentWriteResult:
    """Plan, write and post-process one instruction through ``ask``.

    ``length`` is the required length when known (LongBench-Write rows carry one); it is the
    target of the too-short filter, else the plan's total.
    """
    opts = options or AgentWriteOptions()
    plan_prompt = load_prompt("lmforge.longwriter", "plan")
    plan = await ask(
        "plan", plan_prompt.messages(instruction=instruction), opts.plan_max_tokens or max_tokens
    )
    steps = split_plan(plan, official=opts.official_plan_split)
    planned = planned_word_counts(steps)
    result = AgentWriteResult(
        instruction=instruction,
        plan=plan,
        steps=steps,
        planned_words=planned,
        target_words=length or _planned_total(planned),
        mode="parallel" if opts.parallel else "sequential",
    )
    if not steps:
        return result.model_copy(update={"dropped": "empty_plan"})
    if len(steps) > opts.max_steps:
        return result.model_copy(update={"dropped": "too_many_steps"})
    limits = [_paragraph_tokens(opts, max_tokens, n) for n in planned]
    target = result.target_words
    ceiling = opts.max_length_ratio * target if opts.max_length_ratio and target else None
    replies, reason = await _write_steps(ask, instruction, plan, steps, opts, limits, ceiling)
    if reason is not None:
        return result.model_copy(update={"dropped": reason, "paragraphs": replies})
    cleaned = [strip_paragraph_label(r) if opts.strip_labels else r.strip() for r in replies]
    text = "\n\n".join(p for p in cleaned if p)
    words = count_words(text)
    update: dict[str, Any] = {"paragraphs": replies, "text": text, "words": words}
    if words < opts.min_words or (target and words < opts.min_length_ratio * target):
        update["dropped"] = "too_short"
    return result.model_copy(update=update)


async def agent_write(
    llm: LLM,
    instruction: str,
    *,
    options: AgentWriteOptions | None = None,
    config: GenerateConfig | None = None,
    length: int | None = None,
) -> AgentWriteResult:
    """AgentWrite for one instruction in memory (no run directory, no checkpoints).

    ``config`` is the sampling of every call (official: temperature 1.0, 4096 tokens); its
    ``max_tokens`` is the per-call limit. For batches, resumability and the SFT file use
    :func:`lmforge.longwriter.run_agentwrite`.
    """
    config = config or GenerateConfig(max_tokens=4096, temperature=1.0)

    async def ask(step: str, messages: list[dict[str, str]], max_tokens: int) -> str:
        completion = await llm.generate(
            messages, config.model_copy(update={"max_tokens": max_tokens})
        )
        return completion.text

    return await write_instruction(
        ask, instruction, options=options, max_tokens=config.max_tokens, length=length
    )
