"""Cited answering (LQAC): number the context, ask, read the statements, resolve the citations.

The prompt is the SFT format the released LongCite models were trained on (instruction,
``[Document Start]``, the numbered context, ``[Document End]``, the question), or the one-shot
prompt LongBench-Cite gives models never trained to cite (``style="one_shot"``). A prompt longer
than the model's input budget is cut from the middle: its first half and last half of tokens
are kept (official ``query_longcite``), and citations still index the whole document's
sentences, as officially.

Token counts: the official budget is 128,000 tokens of the model's own tokenizer. Without one
(``tokenizer=None``) lmforge counts approximate tokens (``lmforge.text.count_tokens``), which
run below a BPE tokenizer's count on digits and symbols, so the default budget of an embedded
model keeps ``APPROX_SAFETY`` of its context window for the prompt.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lmforge.inputs import TextPath
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.prompts import load_prompt
from lmforge.text import token_spans

from .numbering import NumberedContext, number_context
from .parse import ParsedAnswer, parse_answer, repair_tags

__all__ = [
    "ANSWER_CUE",
    "APPROX_SAFETY",
    "AnswerCommand",
    "CitedAnswer",
    "PromptStyle",
    "SOLVE_CONFIG",
    "answer",
    "cite_answer",
    "input_budget",
    "lqac_prompt",
    "read_cited_reply",
    "truncate_middle",
]

PromptStyle = Literal["sft", "one_shot"]
SOLVE_CONFIG = GenerateConfig(max_tokens=1024, temperature=0.95, top_p=0.7)
"""Official ``query_longcite`` sampling: 1,024 new tokens, temperature 0.95, top_p 0.7."""
OFFICIAL_INPUT_TOKENS = 128_000
APPROX_SAFETY = 0.8
"""Share of an embedded model's window the approximate token count may fill."""
ANSWER_CUE = "[Answer with Citations]"


def lqac_prompt(numbered: NumberedContext, question: str, style: PromptStyle = "sft") -> str:
    """The LQAC prompt text for a numbered context."""
    name = "lqac_sft" if style == "sft" else "lqac_one_shot"
    text = load_prompt("lmforge.longcite", name).render(
        context=numbered.render(), question=question
    )
    return text.removesuffix("\n")  # the file's last newline is not part of the prompt


def truncate_middle(text: str, max_tokens: int, tokenizer: Any = None) -> tuple[str, bool]:
    """``text`` with its middle cut so that at most ``max_tokens`` tokens remain (first half
    and last half kept); ``(text, cut?)``."""
    spans = token_spans(text, tokenizer)
    if len(spans) <= max_tokens:
        return text, False
    head, tail = max_tokens // 2, max_tokens - max_tokens // 2
    cut_at = spans[head][0]
    resume = spans[len(spans) - tail][0] if tail else len(text)
    return text[:cut_at] + text[resume:], True


def input_budget(spec: str, max_new_tokens: int, max_input_tokens: int | None = None) -> int:
    """Prompt tokens allowed: ``max_input_tokens`` if given; for an embedded model its window
    less the new tokens, times ``APPROX_SAFETY``; else the official 128,000."""
    if max_input_tokens is not None:
        return max_input_tokens
    if spec.startswith("embedded"):
        from lmforge.config import get_settings

        window = get_settings().n_ctx - max_new_tokens
        return max(256, int(window * APPROX_SAFETY))
    return OFFICIAL_INPUT_TOKENS


def read_cited_reply(text: str) -> str:
    """The cited answer in a reply: after the last ``[Answer with Citations]`` if the model
    repeated the cue, with the tag typos repaired (``parse.repair_tags``)."""
    if ANSWER_CUE in text:
        text = text.rsplit(ANSWER_CUE, 1)[1]
    return repair_tags(text.strip())


@dataclass(frozen=True)
class CitedAnswer:
    """One answer: the raw reply, the parsed statements, and what the prompt had to lose."""

    question: str
    context: NumberedContext
    raw: str
    parsed: ParsedAnswer
    truncated: bool


async def cite_answer(
    llm: LLM,
    context: str,
    question: str,
    *,
    style: PromptStyle = "sft",
    config: GenerateConfig = SOLVE_CONFIG,
    max_input_tokens: int | None = None,
) -> CitedAnswer:
    """Answer ``question`` about ``context`` with sentence-level citations (library form of
    ``lmforge longcite answer``)."""
    numbered = number_context(context)
    budget = input_budget(llm.spec, config.max_tokens, max_input_tokens)
    prompt, cut = truncate_middle(lqac_prompt(numbered, question, style), budget)
    reply = await llm.generate([{"role": "user", "content": prompt}], config)
    parsed = parse_answer(read_cited_reply(reply.text), numbered)
    return CitedAnswer(question, numbered, reply.text, parsed, cut)


class AnswerCommand(BaseModel):
    """A question about one document, answered with citations."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    question: str
    """The question to answer."""
    context: TextPath
    """Plain UTF-8 text of the document."""
    model: str | None = None
    """Model spec (see `lmforge models`); default: LMFORGE_MODEL, else ``embedded``."""
    style: PromptStyle = "sft"
    """sft: the LongCite SFT prompt (for citation-trained models); one_shot: LongBench-Cite's
    one-shot prompt with a worked example (for models never trained to cite)."""
    max_input_tokens: int | None = Field(None, ge=64)
    """Prompt budget in tokens before middle truncation (default: see ``input_budget``)."""
    html: Path | None = None
    """Also write the answer beside its cited sentences as an HTML page here."""
    table: bool = False
    """Print a two-column table (statement | cited sentences) instead of plain lines."""
    generation: GenerateConfig = Field(default_factory=lambda: SOLVE_CONFIG)
    """Sampling (official: 1,024 new tokens, temperature 0.95, top_p 0.7)."""


def answer(config: AnswerCommand) -> list[str]:
    """Answer QUESTION from --context with citations; print each statement and its cited text."""
    import sys

    from lmforge.inputs import read_document
    from lmforge.llm.registry import get_llm
    from lmforge.pipeline.rundir import check_output_file

    from .render import render_html, render_lines, render_terminal

    context = read_document(config.context, what="context file")
    if config.html is not None:
        check_output_file(config.html)
    llm = get_llm(config.model)
    result = asyncio.run(
        cite_answer(
            llm,
            context,
            config.question,
            style=config.style,
            config=config.generation,
            max_input_tokens=config.max_input_tokens,
        )
    )
    if result.truncated:
        print("note: the prompt was cut in the middle to fit the model's window", file=sys.stderr)
    cited = sum(bool(s.citation) for s in result.parsed.statements)
    print(f"statements: {len(result.parsed.statements)} (cited: {cited})", file=sys.stderr)
    if config.html is not None:
        page = render_html(result.parsed, title="LongCite answer", query=config.question)
        config.html.write_text(page, encoding="utf-8")
        print(f"html: {config.html}", file=sys.stderr)
    if config.table:
        return [render_terminal(result.parsed).rstrip("\n")]
    return render_lines(result.parsed) or [result.raw.strip()]
