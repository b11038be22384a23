"""The four LongReward dimensions, each asked of the judge through the shared ask loop.

Retry policy (``auto_scorer.py``): the first attempt at temperature 0.01, re-asks at 0.95,
at most 5 attempts; a dimension that never parses leaves the response unscored (the official
scorer raises and skips it; here :class:`DimensionFailed` becomes a counted ``Drop``). Every
reply is counted in a :class:`Tally`, so a run reports its judge's parse-failure rate.

By default the judge is asked for JSON under a schema (llama.cpp and OpenAI-compatible servers
constrain their output to it), and the parsers also read the official ``[[n]]`` forms; with
``official=True`` the prompts ask for the official free-text formats and the parsers accept
only those (:mod:`lmforge.longreward.parse`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lmforge.errors import LMForgeError
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.ask import AskResult, ReaskRule, ask_result, echo, empty
from lmforge.pipeline.prompts import load_prompt

from .context import (
    EVIDENCE_TOP_K,
    InfoChunk,
    Retrieval,
    check_tokenizer_spec,
    evidence_chunks,
    retrieve,
)
from .parse import (
    SUPPORT_VALUES,
    has_no_info,
    prompt_language,
    read_rating,
    read_statements,
    read_support,
)

__all__ = [
    "DIMENSIONS",
    "DimensionFailed",
    "JudgeOptions",
    "Tally",
    "chunk_information",
    "faithfulness",
    "rate",
    "completeness",
]

DIMENSIONS = ("helpfulness", "logicality", "faithfulness", "completeness")
_PACKAGE = "lmforge.longreward"


def _rating_schema(chars: int) -> dict[str, Any]:
    """Analysis first (the official prompts ask for reasoning before the rating)."""
    return {
        "type": "object",
        "properties": {
            "analysis": {"type": "string", "maxLength": chars},
            "rating": {"type": "number", "minimum": 0, "maximum": 10},
        },
        "required": ["analysis", "rating"],
    }


def _support_schema(chars: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "analysis": {"type": "string", "maxLength": chars},
            "verdict": {"type": "string", "enum": ["fully", "partially", "none"]},
        },
        "required": ["analysis", "verdict"],
    }


def _facts_schema(most: int | None) -> dict[str, Any]:
    items: dict[str, Any] = {"type": "array", "items": {"type": "string", "maxLength": 500}}
    items["minItems"] = 1
    if most is not None:
        items["maxItems"] = most
    return {"type": "object", "properties": {"statements": items}, "required": ["statements"]}


class JudgeOptions(BaseModel):
    """How the judge is asked (the official values by default)."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    official: bool = False
    """Ask for the official free-text formats ([[n]], [[Fully supported]], <statement>) and
    accept only those; default: JSON under a schema, and the parsers also read [[n]] forms."""
    attempts: int = Field(5, ge=1, le=20)
    """Judge calls per value before the response is left unscored (official: 5)."""
    temperature: float = Field(0.01, ge=0)
    """Temperature of the first attempt (official: 0.01)."""
    retry_temperature: float = Field(0.95, ge=0)
    """Temperature of every re-ask (official: 0.95)."""
    rating_tokens: int = Field(512, ge=1)
    """max_tokens of helpfulness, logicality, support and completeness calls (official: 512)."""
    facts_tokens: int = Field(2048, ge=1)
    """max_tokens of the fact extraction (official: 2,048)."""
    chunk_tokens: int = Field(1024, ge=1)
    """max_tokens of one chunk's information extraction (official: 1,024)."""
    tokenizer: str = "embedded"
    """Tokenizer that cuts the context: hf:PATH (a local transformers folder), embedded,
    embedded-tiny, or approx (offline approximation). The official code uses GLM-4-9B's."""
    retrieval: Retrieval = "bm25"
    """Evidence retriever: bm25, or dense (the embedded MiniLM; the official uses Zhipu's
    embedding-2)."""
    top_k: int = Field(EVIDENCE_TOP_K, ge=1)
    """Evidence chunks per statement (official: 5)."""
    seed: int = 0
    """Sampling seed of the first attempt (re-asks add their attempt number)."""
    analysis_chars: int = Field(800, ge=1)
    """Longest analysis the JSON schema lets the judge write before its rating or verdict (a
    small max_tokens needs a short one, or the rating is cut off)."""
    max_statements: int | None = Field(None, ge=1)
    """Most statements the JSON schema lets the fact extraction list (default: no limit)."""

    @field_validator("tokenizer")
    @classmethod
    def _tokenizer(cls, value: str) -> str:
        return check_tokenizer_spec(value)

    def config(self, max_tokens: int, schema: dict | None = None) -> GenerateConfig:
        """The first attempt's sampling (a schema only when not official)."""
        return GenerateConfig(
            max_tokens=max_tokens,
            temperature=self.temperature,
            seed=self.seed,
            json_schema=None if self.official else schema,
        )

    @property
    def reask(self) -> ReaskRule:
        return ReaskRule(temperature=self.retry_temperature, bump_seed=True)


@dataclass
class Tally:
    """Judge calls and rejected replies (the parse-failure rate is ``rejected / calls``)."""

    calls: int = 0
    rejected: int = 0
    by_dimension: dict[str, int] = field(default_factory=dict)

    def add(self, dimension: str, result: AskResult) -> None:
        self.calls += result.attempts
        rejected = len(result.reasons)
        self.rejected += rejected
        self.by_dimension[dimension] = self.by_dimension.get(dimension, 0) + result.attempts

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "rejected": self.rejected, "by_dimension": self.by_dimension}


class DimensionFailed(LMForgeError):
    """A dimension whose judge reply never parsed: the response gets no score."""

    def __init__(self, dimension: str, result: AskResult) -> None:
        super().__init__(f"{dimension}: {result.error}")
        self.dimension = dimension
        self.reason = f"{dimension}: {result.error}"
        self.raw = result.raw


async def gather_all(*aws: Any) -> list[Any]:
    """Every awaitable run to its end, then the first exception raised: a dimension that fails
    must not leave its siblings calling the judge after the response is given up (their
    calls would be missing from the tally, and a failed run would not be reproducible)."""
    results = await asyncio.gather(*aws, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)


async def _ask(
    judge: LLM,
    dimension: str,
    messages: list[dict[str, str]],
    parse: Any,
    config: GenerateConfig,
    opts: JudgeOptions,
    tally: Tally,
    guards: tuple = (empty,),
) -> Any:
    result = await ask_result(
        judge,
        messages,
        parse,
        config=config,
        attempts=opts.attempts,
        reask=opts.reask,
        guards=guards,
    )
    tally.add(dimension, result)
    if result.exception is not None:
        raise result.exception
    if not result.ok:
        raise DimensionFailed(dimension, result)
    return result.value, result.raw


async def _rating(
    judge: LLM, dimension: str, messages: list, opts: JudgeOptions, tally: Tally
) -> dict[str, Any]:
    """One 0-10 rating reply (helpfulness, logicality, completeness), parsed and tallied."""
    value, raw = await _ask(
        judge,
        dimension,
        messages,
        lambda t: read_rating(t, official=opts.official),
        opts.config(opts.rating_tokens, _rating_schema(opts.analysis_chars)),
        opts,
        tally,
        guards=(empty, echo),
    )
    return {"score": value, "raw": raw}


async def rate(
    judge: LLM, dimension: str, query: str, response: str, opts: JudgeOptions, tally: Tally
) -> dict[str, Any]:
    """Helpfulness or logicality: one rating (0-10) from query and response alone."""
    messages = load_prompt(_PACKAGE, dimension).messages(
        query=query, response=response, json=not opts.official
    )
    return await _rating(judge, dimension, messages, opts, tally)


async def _support(
    judge: LLM, statement: str, passages: list[str], opts: JudgeOptions, tally: Tally
) -> str:
    messages = load_prompt(_PACKAGE, "support").messages(
        statement=statement, passages=passages, json=not opts.official
    )
    level, _ = await _ask(
        judge,
        "faithfulness",
        messages,
        lambda t: read_support(t, official=opts.official),
        opts.config(opts.rating_tokens, _support_schema(opts.analysis_chars)),
        opts,
        tally,
    )
    return level


async def faithfulness(
    judge: LLM,
    query: str,
    response: str,
    context: str,
    tokenizer: Any,
    opts: JudgeOptions,
    tally: Tally,
) -> dict[str, Any]:
    """Statements of the response, each checked against its top-k 128-token chunks (shown in
    document order): 10 x the mean of 1 / 0.5 / 0 for fully / partially / no support."""
    messages = load_prompt(_PACKAGE, "facts").messages(
        query=query, response=response, json=not opts.official
    )
    statements, _ = await _ask(
        judge,
        "faithfulness",
        messages,
        lambda t: read_statements(t, official=opts.official, source=response),
        opts.config(opts.facts_tokens, _facts_schema(opts.max_statements)),
        opts,
        tally,
    )
    chunks = evidence_chunks(context, tokenizer)
    evidence = [retrieve(chunks, s, how=opts.retrieval, k=opts.top_k) for s in statements]
    levels = await gather_all(
        *(
            _support(judge, s, [chunks[i] for i in idx], opts, tally)
            for s, idx in zip(statements, evidence, strict=True)
        )
    )
    values = [SUPPORT_VALUES[level] for level in levels]
    facts = [
        {"statement": s, "support": level, "evidence": idx}
        for s, level, idx in zip(statements, levels, evidence, strict=True)
    ]
    return {"score": 10 * sum(values) / len(values), "facts": facts}


async def chunk_information(
    judge: LLM, query: str, chunks: list[InfoChunk], opts: JudgeOptions, tally: Tally
) -> list[dict[str, str]]:
    """Question-relevant information of every 4,096-token chunk (computed once per query).

    The prompt's language follows the official heuristic on the chunk's text and the query."""

    async def one(chunk: InfoChunk) -> dict[str, str]:
        name = "chunk_info_" + prompt_language(chunk.text + query)
        messages = load_prompt(_PACKAGE, name).messages(chunk=chunk.text, query=query)
        text, _ = await _ask(
            judge, "chunk_info", messages, str.strip, opts.config(opts.chunk_tokens), opts, tally
        )
        return {"label": chunk.label, "text": text}

    return await gather_all(*(one(c) for c in chunks))


async def completeness(
    judge: LLM,
    query: str,
    response: str,
    info: list[dict[str, str]],
    opts: JudgeOptions,
    tally: Tally,
) -> dict[str, Any]:
    """A 0-10 coverage rating against the per-chunk information (chunks that hold nothing
    relevant are left out of the prompt)."""
    infos = [i for i in info if not has_no_info(i["text"])]
    messages = load_prompt(_PACKAGE, "completeness").messages(
        query=query, infos=infos, response=response, json=not opts.official
    )
    return await _rating(judge, "completeness", messages, opts, tally)
