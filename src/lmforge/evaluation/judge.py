"""LLM-as-judge: ratings and order-swapped pairwise verdicts, with failures counted.

Judges bias a table in two quiet ways. They answer without a usable rating, and a pipeline that
drops or zero-fills those answers changes the mean without saying so; so a failed parse is
re-asked and, if it still fails, kept as ``score=None`` with ``parse_failed=True`` for
:class:`JudgeStats` to count. And they prefer whichever answer comes first (MT-Bench,
Arena-Hard), so :func:`pairwise` asks in both orders, maps the swapped verdict back, and reports
whether the two agree.

Asking goes through :func:`lmforge.pipeline.ask.ask_result`: re-asks use a new ``sample_index``
and seed per attempt (:class:`~lmforge.pipeline.ask.ReaskRule`), so a re-ask is a new call
rather than the cached bad answer; a greedy model repeats itself whatever the seed, and
``retry_temperature`` lets re-asks sample (default: they keep the judge's temperature, as
MT-Bench's and Arena-Hard's temperature-0 judges). Empty and echoed replies are rejected by
the shared guards and counted under those reasons.

A judge is any :class:`~lmforge.llm.base.LLM`; inside a stage, pass the stage's
:class:`~lmforge.pipeline.runner.StageContext` (it is one: its calls count in the run's usage,
and its stage config is the default).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig, Message
from lmforge.pipeline.ask import AskResult, ReaskRule, ask_result
from lmforge.pipeline.parse import canonical_verdict, parse_rating, parse_verdict

__all__ = [
    "JudgeResult",
    "JudgeStats",
    "Outcome",
    "PairwiseResult",
    "Verdict",
    "pairwise",
    "rate",
    "swap_verdict",
    "verdict_outcome",
]

Messages = str | list[Message] | list[dict]
Outcome = Literal["a", "b", "tie"]


class JudgeResult(BaseModel):
    """One rating: the score, or ``None`` with the reason every attempt failed."""

    score: float | None
    raw: str
    """The text that gave the score, or the last failed answer."""
    attempts: int
    parse_failed: bool
    reasons: list[str] = Field(default_factory=list)
    """Parse-failure reason of each failed attempt, in order."""


class Verdict(BaseModel):
    """One order of a pairwise comparison, with its verdict read in the a-first frame."""

    verdict: str | None
    """The choice as if ``a`` had been shown first (the swapped order is mapped back)."""
    as_written: str | None
    """The choice the judge gave for the order it saw."""
    outcome: Outcome | None
    raw: str
    attempts: int
    reasons: list[str] = Field(default_factory=list)


class PairwiseResult(BaseModel):
    """Both orders of a comparison and what they add up to.

    ``winner`` is set only when both orders parsed: a verdict from one order is exactly the
    position-biased judgement the swap exists to cancel. Two orders that disagree make a tie
    (MT-Bench's rule); ``a_score`` (1 win, 0.5 tie, 0 loss, averaged over orders) keeps the
    partial information for those who prefer Arena-Hard's two-games reading.
    """

    forward: Verdict
    """``a`` shown first."""
    backward: Verdict
    """``b`` shown first."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def parse_failed(self) -> bool:
        return self.forward.outcome is None or self.backward.outcome is None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def consistent(self) -> bool | None:
        if self.parse_failed:
            return None
        return self.forward.outcome == self.backward.outcome

    @computed_field  # type: ignore[prop-decorator]
    @property
    def winner(self) -> Outcome | None:
        if self.parse_failed:
            return None
        return self.forward.outcome if self.consistent else "tie"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def a_score(self) -> float | None:
        if self.parse_failed:
            return None
        points = {"a": 1.0, "tie": 0.5, "b": 0.0}
        return (points[self.forward.outcome] + points[self.backward.outcome]) / 2  # type: ignore[index]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def attempts(self) -> int:
        return self.forward.attempts + self.backward.attempts


# --------------------------------------------------------------------------- asking


async def _ask(
    llm: LLM,
    messages: Messages,
    parse: Callable[[str], Any],
    *,
    retries: int,
    config: GenerateConfig | None,
    retry_temperature: float | None,
) -> AskResult[Any]:
    """Ask until ``parse`` accepts the answer or ``retries`` re-asks are spent; a model error
    propagates (the runner's error rows are the place for it)."""
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    rule = ReaskRule(temperature=retry_temperature or 0.0, bump_seed=True)
    answer = await ask_result(llm, messages, parse, config=config, attempts=retries + 1, reask=rule)
    if answer.exception is not None:
        raise answer.exception
    return answer


async def rate(
    llm: LLM,
    prompt_messages: Messages,
    low: float,
    high: float,
    *,
    retries: int = 2,
    config: GenerateConfig | None = None,
    retry_temperature: float | None = None,
    stats: JudgeStats | None = None,
) -> JudgeResult:
    """A rating in ``[low, high]`` read by :func:`~lmforge.pipeline.parse.parse_rating`.

    Never raises for an unusable answer (that is ``parse_failed``, counted by ``stats``);
    transport errors do propagate, because the runner's error rows are the place for them.
    """
    answer = await _ask(
        llm,
        prompt_messages,
        lambda text: parse_rating(text, low=low, high=high),
        retries=retries,
        config=config,
        retry_temperature=retry_temperature,
    )
    result = JudgeResult(
        score=answer.value,
        raw=answer.raw or "",
        attempts=answer.attempts,
        parse_failed=not answer.ok,
        reasons=list(answer.reasons),
    )
    if stats is not None:
        stats.add(result)
    return result


# --------------------------------------------------------------------------- pairwise

# The shapes ``verdict_outcome`` accepts: a letter, or two letters compared (``A>>B``, ``B = A``).
# Their meaning is read from :func:`~lmforge.pipeline.parse.canonical_verdict`.
_AB_FORM = re.compile(r"\s*[AB]\s*(?:(?:>>|>|==|=|<<|<)\s*[AB]\s*)?", re.IGNORECASE)
_SWAP = str.maketrans("ABab", "BAba")


def verdict_outcome(verdict: str, *, tie: str | None = "C") -> Outcome:
    """Who a verdict favours, in the order the judge saw: ``"A"`` / ``"A>>B"`` -> ``"a"``.

    Understands single letters (MT-Bench: A, B and ``tie``) and comparisons (Arena-Hard:
    ``A>>B`` ... ``B>>A``, with ``=`` for a tie).
    """
    if tie is not None and verdict == tie:
        return "tie"
    if _AB_FORM.fullmatch(verdict) is None:
        raise ValueError(f"cannot tell who verdict {verdict!r} favours; use A/B/tie or A>B forms")
    key = canonical_verdict(verdict)  # "a", "b", or winner first: "b>>a", "a=b"
    if len(key) > 1 and ("=" in key or key[0] == key[-1]):
        return "tie"
    return key[0]  # type: ignore[return-value]


def swap_verdict(verdict: str, choices: Sequence[str], *, tie: str | None = "C") -> str:
    """The choice meaning the same thing with the two answers' positions exchanged.

    ``"A"`` <-> ``"B"``, ``"A>>B"`` <-> ``"B>>A"``; a tie (``"C"``, ``"A=B"``) maps to itself.
    Comparisons match however the choices spell them (``"B<A"`` is ``"A>B"``), as in
    :func:`~lmforge.pipeline.parse.parse_verdict`.
    """
    if tie is not None and verdict == tie:
        return verdict
    target = canonical_verdict(verdict.translate(_SWAP))
    for choice in choices:
        if canonical_verdict(choice) == target:
            return choice
    raise ValueError(f"no choice in {list(choices)} mirrors verdict {verdict!r}")


def _check_choices(choices: Sequence[str], tie: str | None) -> None:
    """Fail before spending calls when a choice cannot be mapped across the swap."""
    if len(set(choices)) != len(choices) or len(choices) < 2:
        raise ValueError(f"choices must be at least two distinct verdicts, got {list(choices)}")
    for choice in choices:
        verdict_outcome(choice, tie=tie)
        swap_verdict(choice, choices, tie=tie)


async def pairwise(
    llm: LLM,
    render: Callable[[Any, Any], Messages],
    a: Any,
    b: Any,
    *,
    choices: Sequence[str] = ("A", "B", "C"),
    tie: str | None = "C",
    retries: int = 1,
    config: GenerateConfig | None = None,
    retry_temperature: float | None = None,
    stats: JudgeStats | None = None,
) -> PairwiseResult:
    """Judge ``a`` against ``b`` as ``render(a, b)`` and as ``render(b, a)``.

    ``render(first, second)`` builds the messages with ``first`` in the "A" position. The
    orders run one after the other (not concurrently), so a scripted judge sees a fixed call
    order; concurrency belongs to the runner, across records. ``tie`` names the tie choice
    when it is not a comparison (``"C"`` for MT-Bench; ``None`` for Arena-Hard's five-way).
    """
    _check_choices(choices, tie)

    def read(text: str) -> str:
        return parse_verdict(text, choices)

    ask = {"retries": retries, "config": config, "retry_temperature": retry_temperature}
    verdicts = []
    for first, second, swapped in ((a, b, False), (b, a, True)):
        answer = await _ask(llm, render(first, second), read, **ask)
        written: str | None = answer.value if answer.ok else None
        verdict = written
        if written is not None and swapped:
            verdict = swap_verdict(written, choices, tie=tie)
        verdicts.append(
            Verdict(
                verdict=verdict,
                as_written=written,
                outcome=None if verdict is None else verdict_outcome(verdict, tie=tie),
                raw=answer.raw or "",
                attempts=answer.attempts,
                reasons=list(answer.reasons),
            )
        )
    result = PairwiseResult(forward=verdicts[0], backward=verdicts[1])
    if stats is not None:
        stats.add(result)
    return result


# --------------------------------------------------------------------------- accounting


class JudgeStats(BaseModel):
    """Counts over many judgements, for ``summary.json`` and the report.

    A *judgement* is one rating or one order of a pairwise comparison. Feed it results as they
    come (``stats=`` of :func:`rate`/:func:`pairwise`) or from stored rows (dicts are read back
    into results), so a resumed run can recount from its files.
    """

    ratings: int = 0
    pairs: int = 0
    calls: int = 0
    """Model calls, re-asks included."""
    reasked: int = 0
    """Judgements that needed more than one attempt."""
    parse_failures: int = 0
    """Judgements with no usable answer after every re-ask."""
    compared: int = 0
    """Pairs whose two orders both parsed."""
    inconsistent: int = 0
    """Compared pairs whose two orders disagree (position bias)."""
    reasons: dict[str, int] = Field(default_factory=dict)
    """Parse-failure reasons over all failed attempts."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def parse_failure_rate(self) -> float:
        judgements = self.ratings + 2 * self.pairs
        return self.parse_failures / judgements if judgements else 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def consistency(self) -> float | None:
        """Share of compared pairs whose orders agree; None before any pair was compared."""
        return 1 - self.inconsistent / self.compared if self.compared else None

    def add(self, result: JudgeResult | PairwiseResult | dict[str, Any]) -> None:
        if isinstance(result, dict):
            kind = PairwiseResult if "forward" in result else JudgeResult
            result = kind.model_validate(result)
        if isinstance(result, PairwiseResult):
            self.pairs += 1
            for one in (result.forward, result.backward):
                self._judgement(one.attempts, one.outcome is None, one.reasons)
            if not result.parse_failed:
                self.compared += 1
                self.inconsistent += not result.consistent
        else:
            self.ratings += 1
            self._judgement(result.attempts, result.parse_failed, result.reasons)

    def _judgement(self, attempts: int, failed: bool, reasons: Iterable[str]) -> None:
        self.calls += attempts
        self.reasked += attempts > 1
        self.parse_failures += failed
        counts = Counter(self.reasons)
        counts.update(reasons)
        self.reasons = dict(counts)

    @classmethod
    def of(cls, results: Iterable[JudgeResult | PairwiseResult | dict[str, Any]]) -> JudgeStats:
        stats = cls()
        for result in results:
            stats.add(result)
        return stats
