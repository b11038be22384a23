"""Scorers: what turns one RM-Bench sample into the numbers the metric compares.

A reward scorer gives each response a number, ``score(prompt, response) -> float``, batched as
``score_batch(pairs)``; the metric then compares chosen and rejected scores with a strict ``>``.
A judge cannot score one response alone, so every scorer also answers at the sample level,
``evaluate(record, ctx)``: reward scorers return ``score_chosen``/``score_rejected`` (the
official result-file fields), the judge returns the 3x3 ``correct`` matrix it decided.

Specs (``--scorer``), resolved by :func:`get_scorer`:

- ``length``, ``neg-length``, ``markdown``: heuristics for sanity checks; they need no model
  and show the style trap the benchmark is built around;
- ``hf-classifier:PATH``: a transformers sequence-classifier reward model (raw logit);
- ``dpo:POLICY[,REF]``: a DPO policy as implicit reward model, reference-free without REF;
- ``judge:MODEL``: any lmforge model spec as a pairwise judge (``judge:embedded``,
  ``judge:openai:NAME@URL``).

Each kind is a factory in :data:`SCORERS` (``@scorer("kind", arg="ARG")``); its docstring's
first line is the help ``lmforge rmbench scorers`` prints. Model scorers are imported when asked
for, so listing or heuristic runs never load torch.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from lmforge.errors import ConfigError
from lmforge.llm.base import LLM
from lmforge.registry import Registry

from .batching import MicroBatcher

__all__ = [
    "SCORERS",
    "SCORER_HELP",
    "LengthScorer",
    "MarkdownScorer",
    "NegLengthScorer",
    "RewardScorer",
    "Scorer",
    "ScorerOptions",
    "get_scorer",
    "scorer",
    "scorer_help",
]

Pair = tuple[str, str]


class ScorerOptions(BaseModel):
    """How model scorers run; the defaults are the official scripts' settings."""

    batch_size: int = Field(8, ge=1)
    """Responses per forward pass (the official shell scripts use 8)."""
    max_length: int = Field(2048, ge=16)
    """Tokens kept per sequence (fewer if the model has fewer positions)."""
    max_prompt_length: int = Field(128, ge=1)
    """DPO: prompt tokens kept when prompt + response is too long (reward-bench's 128)."""
    ref_free: Literal["avg", "sum", "norm"] = "avg"
    """DPO without a reference: mean, sum or minus the L2 norm of the token log-probs."""
    judge_max_tokens: int = Field(1024, ge=1)
    """Most tokens a judge may write per verdict (reasoning included)."""
    judge_retries: int = Field(1, ge=0)
    """Re-asks when a judge's answer has no usable verdict."""
    judge_retry_temperature: float = Field(0.7, ge=0.0)
    """Temperature of re-asks: a greedy judge would repeat the same unusable answer."""
    seed: int = 0
    """Seed of the judge's requests."""
    device: str | None = None
    """torch device for model scorers; default cuda when available, else cpu."""


class Scorer(ABC):
    """Anything that can decide an RM-Bench sample."""

    spec: str = ""
    llm: LLM | None = None
    """A judge's model: the runner counts its calls and tokens."""
    prompts: Sequence[Any] = ()
    """Prompt templates whose edits must rerun the scoring stage."""
    concurrency: int = 8
    """Records the runner keeps in flight."""

    @property
    def params(self) -> dict[str, Any]:
        """What the output depends on besides the record: part of the stage signature."""
        return {"scorer": self.spec}

    @abstractmethod
    async def evaluate(self, record: dict[str, Any], ctx: Any = None) -> dict[str, Any]:
        """The per-sample result fields for one record (prompt, chosen[3], rejected[3])."""

    async def aclose(self) -> None:
        """Release the model, if any."""
        return None


class RewardScorer(Scorer):
    """A scorer with a number per response: ``score(prompt, response) -> float``."""

    batched = False
    """Model scorers pool responses of concurrent records into full batches."""
    batch_size = 8

    def __init__(self) -> None:
        self._batcher: MicroBatcher | None = None
        self._batcher_loop: asyncio.AbstractEventLoop | None = None

    @abstractmethod
    def score_batch(self, pairs: Sequence[Pair]) -> list[float]:
        """Scores of (prompt, response) pairs, in order; blocking."""

    def score(self, prompt: str, response: str) -> float:
        return self.score_batch([(prompt, response)])[0]

    async def ascore_batch(self, pairs: Sequence[Pair]) -> list[float]:
        """Like :meth:`score_batch`, but model scorers share forward passes across callers."""
        if not self.batched:
            return self.score_batch(pairs)
        loop = asyncio.get_running_loop()
        if self._batcher is None or self._batcher_loop is not loop:  # one pool per event loop
            self._batcher_loop = loop
            self._batcher = MicroBatcher(self.score_batch, 2 * self.batch_size)
        return await self._batcher.submit(pairs)

    async def evaluate(self, record: dict[str, Any], ctx: Any = None) -> dict[str, Any]:
        responses = [*record["chosen"], *record["rejected"]]
        scores = await self.ascore_batch([(record["prompt"], r) for r in responses])
        return {"score_chosen": scores[:3], "score_rejected": scores[3:]}


class LengthScorer(RewardScorer):
    """Longer is better: the bias RM-Bench's hard cells are built to expose."""

    spec = "length"

    def score_batch(self, pairs: Sequence[Pair]) -> list[float]:
        return [float(len(response)) for _, response in pairs]


class NegLengthScorer(RewardScorer):
    """Shorter is better."""

    spec = "neg-length"

    def score_batch(self, pairs: Sequence[Pair]) -> list[float]:
        return [-float(len(response)) for _, response in pairs]


class MarkdownScorer(RewardScorer):
    """More Markdown is better: bold markers, heading hashes and bullet lines, counted."""

    spec = "markdown"

    def score_batch(self, pairs: Sequence[Pair]) -> list[float]:
        return [
            float(response.count("**") + response.count("#") + response.count("\n- "))
            for _, response in pairs
        ]


# --------------------------------------------------------------------------- registry

Factory = Callable[[str, ScorerOptions], Scorer]
SCORERS: Registry[Factory] = Registry("scorer")
"""Scorer factories ``(arg, options) -> Scorer`` by spec kind (the part before ``:``)."""


def scorer(kind: str, arg: str = "") -> Callable[[Factory], Factory]:
    """Register a factory for specs ``kind`` (or ``kind:ARG`` when ``arg`` names the argument,
    which is then required); the first line of its docstring is its help."""

    def decorate(factory: Factory) -> Factory:
        factory.arg = arg  # type: ignore[attr-defined]
        return SCORERS.add(kind, factory)

    return decorate


def _usage(kind: str) -> str:
    arg = getattr(SCORERS.get(kind), "arg", "")
    return f"{kind}:{arg}" if arg else kind


def scorer_help() -> list[tuple[str, str]]:
    """(spec form, help) of every registered kind: what ``lmforge rmbench scorers`` prints."""
    return [(_usage(kind), text) for kind, text in SCORERS.listing().items()]


@scorer("length")
def _length(arg: str, options: ScorerOptions) -> Scorer:
    """len(response) in characters: prefers longer answers (sanity check)"""
    return LengthScorer()


@scorer("neg-length")
def _neg_length(arg: str, options: ScorerOptions) -> Scorer:
    """-len(response): prefers shorter answers"""
    return NegLengthScorer()


@scorer("markdown")
def _markdown(arg: str, options: ScorerOptions) -> Scorer:
    """occurrences of '**', '#' and '\\n- ' in the response"""
    return MarkdownScorer()


@scorer("hf-classifier", arg="PATH")
def _hf_classifier(arg: str, options: ScorerOptions) -> Scorer:
    """transformers sequence-classifier reward model folder (raw logit)"""
    from .classifier import ClassifierScorer

    return ClassifierScorer.from_path(arg, options)


@scorer("dpo", arg="POLICY[,REF]")
def _dpo(arg: str, options: ScorerOptions) -> Scorer:
    """DPO implicit reward log pi(y|x) - log ref(y|x); ref-free without REF"""
    from .dpo import DPOScorer

    policy, _, ref = arg.partition(",")
    return DPOScorer.from_specs(policy, ref or None, options)


@scorer("judge", arg="MODEL")
def _judge(arg: str, options: ScorerOptions) -> Scorer:
    """pairwise LLM judge, five-way \\boxed{} verdicts, both orders"""
    from lmforge.llm.registry import get_llm

    from .judge import JudgeScorer

    return JudgeScorer(get_llm(arg), options, spec=f"judge:{arg}")


SCORER_HELP: list[tuple[str, str]] = scorer_help()
"""The built-in kinds' (spec form, help) lines; :func:`scorer_help` includes later plug-ins."""


def get_scorer(spec: str, options: ScorerOptions | None = None) -> Scorer:
    """The scorer for a ``--scorer`` spec (see :func:`scorer_help`)."""
    options = options or ScorerOptions()
    kind, colon, arg = spec.partition(":")
    factory = SCORERS.find(kind)
    bad = factory is None or (not arg if getattr(factory, "arg", "") else bool(colon))
    if bad:
        known = ", ".join(name for name, _ in scorer_help())
        raise ConfigError(f"unknown scorer spec {spec!r}; one of: {known}")
    return factory(arg, options)
