"""Ask a model, read its reply, ask again when the reply is unusable: the one copy of that loop.

Every model call whose reply must parse goes through here, so the re-ask rule, the garbage
guards and the accounting of failures are the same in every system:

- :func:`ask` returns the parsed value or raises :class:`~lmforge.errors.ParseFailure` with the
  last raw reply and the reason (the runner turns it into an error row that keeps the text);
- :func:`ask_result` returns an :class:`AskResult` instead of raising, for callers that keep
  failures as data (judges count them; benchmark tables must not lose them);
- :func:`ask_many` runs many requests concurrently; an ordinary exception (a model error after
  the backend's own retries, a bug) becomes a failed result, while a ``BaseException`` (Ctrl-C,
  cancellation) stops everything.

A reply is rejected when a guard (:mod:`lmforge.pipeline.guards`: empty, echoed prompt,
truncated, wrong language) names a reason or when ``parse`` raises ``ParseError`` or
``ValueError``. A rejected reply is asked again under :class:`ReaskRule`; model errors are not
(the backend already retried transient ones, and permanent ones do not change).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lmforge.errors import ParseFailure
from lmforge.llm.base import LLM
from lmforge.llm.types import Completion, GenerateConfig, Message, Request, as_messages

from .guards import Guard, default_guards, echo, empty, truncated, wrong_language

__all__ = [
    "AskResult",
    "Guard",
    "ReaskRule",
    "ask",
    "ask_many",
    "ask_result",
    "default_guards",
    "echo",
    "empty",
    "truncated",
    "wrong_language",
]

T = TypeVar("T")
Prompt = str | list[Message] | list[dict]
Feedback = Callable[[list[Message], str, str], Prompt]
"""``feedback(prompt, reply, reason) -> prompt``: the prompt of the next attempt."""


@dataclass(frozen=True)
class ReaskRule:
    """How attempt ``k`` (0-based) of one request is sampled.

    Attempt 0 is the request as given (the same cache key as a direct call). Re-ask ``k`` gets
    ``sample_index = config.sample_index + k``: the call cache keys on it, so a re-ask is a new
    call and not the cached bad reply replayed. With ``bump_seed`` it also gets ``seed =
    config.seed + k``, because OpenAI-compatible servers (vLLM, SGLang, llama.cpp) seed their
    sampler from ``seed`` alone and would sample the same bad reply again. Its temperature is
    ``max(config.temperature, temperature)``: a greedy model repeats itself whatever the seed,
    so a re-ask may have to sample; a caller that already samples keeps its temperature.

    The values of each call site (all of them bump the seed, as every loop before this did):

    - default (0.7): the re-ask temperature of Slide2Lecture's question and outline loops
      (``classroom.prepare``; the official code re-asks its question prompt up to 3 times);
    - ``evaluation.judge`` (0.0 unless ``retry_temperature``): MT-Bench's and Arena-Hard's
      judges run at temperature 0; the official MT-Bench code does not re-ask at all (an
      unparsed rating is -1), so sampling re-asks is the caller's choice;
    - ``longwriter.judge`` (0.0, keeping the official 0.5): LongBench-Write's
      ``eval_quality.py`` re-sends the same request at temperature 0.5, up to 5 times;
    - ``classroom.leceval`` (0.0): re-asks keep the judge's sampling.
    """

    temperature: float = 0.7
    """Lowest temperature of a re-ask; 0 keeps the request's own temperature."""
    bump_seed: bool = True
    """Give re-ask ``k`` the seed ``config.seed + k``."""

    def config(self, base: GenerateConfig, attempt: int) -> GenerateConfig:
        if attempt == 0:
            return base
        update: dict[str, Any] = {
            "sample_index": base.sample_index + attempt,
            "temperature": max(base.temperature, self.temperature),
        }
        if self.bump_seed:
            update["seed"] = base.seed + attempt
        return base.model_copy(update=update)


@dataclass(frozen=True)
class AskResult(Generic[T]):
    """What asking for one value came to: the value, or why there is none."""

    value: T | None = None
    error: str | None = None
    """None when ``value`` was read; else the reason of the last rejection (``echoed the
    prompt``, ``no rating found``) or ``"<ExceptionClass>: message"`` for an exception."""
    raw: str | None = None
    """The last reply's text (the one that gave ``value``, or the last rejected one)."""
    attempts: int = 0
    """Model calls made for this value."""
    reasons: tuple[str, ...] = ()
    """The reason each rejected reply was rejected, in order."""
    exception: Exception | None = None
    """The exception that stopped the asking (a model error, a bug in ``parse``), if any."""
    detail: str | None = None
    """More about the last rejection (a :class:`ParseFailure`'s ``detail``)."""

    @property
    def ok(self) -> bool:
        return self.error is None


def _base_config(llm: LLM, config: GenerateConfig | None) -> GenerateConfig:
    """The config of attempt 0: the caller's, else the model's own default sampling (a stage's
    :class:`~lmforge.pipeline.runner.StageContext` carries the stage config), else defaults."""
    if config is not None:
        return config
    own = getattr(llm, "config", None)
    return own if isinstance(own, GenerateConfig) else GenerateConfig()


def _read(
    reply: Completion, messages: list[Message], parse: Callable[[str], T], guards: Sequence[Guard]
) -> tuple[T | None, str | None, str | None]:
    """(value, None, None) for an accepted reply, else (None, reason, detail)."""
    for guard in guards:
        reason = guard(reply, messages)
        if reason is not None:
            return None, reason, None
    try:
        return parse(reply.text), None, None
    except ValueError as exc:  # ParseError is a ValueError too
        reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
        return None, reason, getattr(exc, "detail", None)


async def ask_result(
    llm: LLM,
    prompt: Prompt,
    parse: Callable[[str], T],
    *,
    config: GenerateConfig | None = None,
    attempts: int = 3,
    reask: ReaskRule = ReaskRule(),
    guards: Sequence[Guard] = default_guards,
    feedback: Feedback | None = None,
) -> AskResult[T]:
    """Ask up to ``attempts`` times until a reply passes the guards and ``parse``; never raises
    an ``Exception`` (it ends up in ``AskResult.exception``), so failures stay countable data."""
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    base = _base_config(llm, config)
    messages = as_messages(prompt)
    reasons: list[str] = []
    raw: str | None = None
    detail: str | None = None
    for attempt in range(attempts):
        try:
            reply = await llm.generate(messages, reask.config(base, attempt))
            raw = reply.text
            value, reason, detail = _read(reply, messages, parse, guards)
        except Exception as exc:  # a model error is not re-asked; BaseException propagates
            error = f"{type(exc).__name__}: {exc}"
            return AskResult(None, error, raw, attempt + 1, tuple(reasons), exc, detail)
        if reason is None:
            return AskResult(value, None, raw, attempt + 1, tuple(reasons))
        reasons.append(reason)
        if feedback is not None and attempt + 1 < attempts:
            messages = as_messages(feedback(messages, raw, reason))
    return AskResult(None, reasons[-1], raw, attempts, tuple(reasons), None, detail)


async def ask(
    llm: LLM,
    prompt: Prompt,
    parse: Callable[[str], T],
    *,
    config: GenerateConfig | None = None,
    attempts: int = 3,
    reask: ReaskRule = ReaskRule(),
    guards: Sequence[Guard] = default_guards,
    feedback: Feedback | None = None,
) -> T:
    """The parsed reply to ``prompt``; re-asked under ``reask`` while it is rejected.

    Raises :class:`~lmforge.errors.ParseFailure` (reason = the last rejection's, ``raw`` = the
    last reply) when every attempt was rejected, so a stage's error row keeps the text and the
    run summary counts the reason; model errors propagate unchanged.
    """
    result = await ask_result(
        llm,
        prompt,
        parse,
        config=config,
        attempts=attempts,
        reask=reask,
        guards=guards,
        feedback=feedback,
    )
    if result.exception is not None:
        raise result.exception
    if result.error is not None:
        tried = f"{result.attempts} attempt" + ("s" if result.attempts > 1 else "")
        detail = f"{result.detail}; {tried}" if result.detail else tried
        raise ParseFailure(result.error, result.raw or "", detail)
    return result.value  # type: ignore[return-value]


async def ask_many(
    llm: LLM,
    prompts: Sequence[Prompt | Request],
    parse: Callable[[str], T] | Sequence[Callable[[str], T]],
    *,
    concurrency: int | None = None,
    **same: Any,
) -> list[AskResult[T]]:
    """:func:`ask_result` for every prompt (a :class:`Request` brings its own config), at most
    ``concurrency`` at once, results in input order; ``parse`` is one function for all, or one
    per prompt (when reading a reply depends on its item). A ``BaseException`` in one request
    cancels the others before it propagates, so nothing keeps calling the model after Ctrl-C."""
    parsers = [parse] * len(prompts) if callable(parse) else list(parse)
    if len(parsers) != len(prompts):
        raise ValueError(f"{len(parsers)} parse functions for {len(prompts)} prompts")
    limit = asyncio.Semaphore(concurrency or llm.default_concurrency)

    async def one(prompt: Prompt | Request, read: Callable[[str], T]) -> AskResult[T]:
        kwargs = same
        if isinstance(prompt, Request):
            prompt, kwargs = prompt.messages, {**same, "config": prompt.config}
        async with limit:
            return await ask_result(llm, prompt, read, **kwargs)

    tasks = [asyncio.ensure_future(one(p, r)) for p, r in zip(prompts, parsers, strict=True)]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
