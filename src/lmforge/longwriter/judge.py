"""LongBench-Write's quality judge: six 1-5 ratings per response, S_q = mean of (mean-1)*25.

The official ``eval_quality.py`` reads a judge reply as: the body of a fenced json block if one
is there, newlines removed, ``json.loads``, all six keys present; otherwise ask again (5 attempts),
and an item that never parses is dropped from the averages. Two things change here by default:

- a reply the official parser rejects gets a second chance through the shared JSON ladder
  (a fence without its newline, JSON in prose, a trailing comma), and ratings outside 1-5 are
  rejected rather than averaged; ``official=True`` parses exactly as the official code does;
- an item the judge never rates counts as the lowest rating on every dimension (``failures=
  "zero"``) instead of vanishing, so a judge that chokes on bad answers cannot raise a model's
  S_q; ``failures="drop"`` is the official behaviour. Either way the failures are counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.ask import ReaskRule, ask_result
from lmforge.pipeline.parse import ParseFailure, extract_json
from lmforge.pipeline.prompts import load_prompt

from .lengthscore import mean

__all__ = [
    "DIMENSIONS",
    "JUDGE_CONFIG",
    "FailurePolicy",
    "QualityJudgement",
    "judge_quality",
    "parse_judgement",
    "quality_scores",
    "rating_to_score",
]

DIMENSIONS: tuple[str, ...] = (
    "Relevance",
    "Accuracy",
    "Coherence",
    "Clarity",
    "Breadth and Depth",
    "Reading Experience",
)
JUDGE_CONFIG = GenerateConfig(max_tokens=1024, temperature=0.5)
"""The official judge sampling: temperature 0.5, 1024 tokens (seeded here, so cacheable)."""
JUDGE_REASK = ReaskRule(temperature=0.0, bump_seed=True)
"""``eval_quality.py`` re-sends the same request (temperature 0.5) until it parses: re-asks keep
the judge's temperature; the seed bump stands in for the API's fresh sample."""
FailurePolicy = Literal["zero", "drop"]

_OFFICIAL_FENCE = re.compile(r"```json\n(.*?)\n```", re.DOTALL)


def rating_to_score(rating: float) -> float:
    """A 1-5 rating on the 0-100 scale of S_q."""
    return (rating - 1) * 25


def _official_parse(text: str) -> dict[str, Any]:
    body = text
    if "```json" in text:
        match = _OFFICIAL_FENCE.search(text)
        if match is None:
            raise ParseFailure("unclosed json fence", text)
        body = match.group(1)
    try:
        value = json.loads(body.replace("\n", ""))
    except ValueError as exc:
        raise ParseFailure("no JSON found", text, str(exc)) from None
    if not isinstance(value, dict):
        raise ParseFailure("not a JSON object", text)
    return value


def _ratings(value: dict[str, Any], text: str, *, strict_range: bool) -> dict[str, float]:
    missing = [d for d in DIMENSIONS if d not in value]
    if missing:
        raise ParseFailure("missing dimension", text, ", ".join(missing))
    ratings = {}
    for dim in DIMENSIONS:
        try:
            rating = float(value[dim])
        except (TypeError, ValueError):
            raise ParseFailure("rating not a number", text, f"{dim}: {value[dim]!r}") from None
        if strict_range and not 1 <= rating <= 5:
            raise ParseFailure("rating out of range", text, f"{dim}: {rating}")
        ratings[dim] = rating
    return ratings


def parse_judgement(text: str, *, official: bool = False) -> dict[str, Any]:
    """The six ratings (and ``Analysis`` when given) of one judge reply; raises ParseFailure.

    ``official=True`` accepts exactly what ``eval_quality.py`` accepts (any number, no range
    check, no fallback). The default also tries the JSON ladder and insists on 1-5.
    """
    try:
        value = _official_parse(text)
        ratings = _ratings(value, text, strict_range=not official)
    except ParseFailure:
        if official:
            raise
        value = extract_json(text, expect=dict)
        ratings = _ratings(value, text, strict_range=True)
    analysis = value.get("Analysis")
    return {**ratings, "Analysis": analysis if isinstance(analysis, str) else None}


class QualityJudgement(BaseModel):
    """One response's ratings, or why there are none. Field names follow the shared
    :class:`~lmforge.evaluation.judge.JudgeResult`, so ``JudgeStats`` can count these rows."""

    ratings: dict[str, float] | None
    """The six 1-5 ratings, None when every attempt failed to parse."""
    score: float | None
    """This item's S_q: mean over dimensions of (rating-1)*25."""
    analysis: str | None = None
    raw: str
    attempts: int
    parse_failed: bool
    reasons: list[str] = Field(default_factory=list)


async def judge_quality(
    judge: LLM,
    instruction: str,
    response: str,
    *,
    attempts: int = 5,
    config: GenerateConfig = JUDGE_CONFIG,
    official: bool = False,
) -> QualityJudgement:
    """Ask the judge until its reply parses, at most ``attempts`` times (official: 5).

    ``judge`` is any model, a stage's context included. Re-asks follow
    :data:`JUDGE_REASK`: each has its own ``sample_index`` and seed (the call cache keys on
    both, so a re-ask is a new sample rather than the cached bad reply) at the judge's own
    temperature. A model error propagates to the runner's error rows.
    """
    messages = load_prompt("lmforge.longwriter", "judge").messages(
        instruction=instruction, response=response
    )
    answer = await ask_result(
        judge,
        messages,
        lambda text: parse_judgement(text, official=official),
        config=config,
        attempts=max(1, attempts),
        reask=JUDGE_REASK,
    )
    if answer.exception is not None:
        raise answer.exception
    if not answer.ok:
        return QualityJudgement(
            ratings=None,
            score=None,
            raw=answer.raw or "",
            attempts=answer.attempts,
            parse_failed=True,
            reasons=list(answer.reasons),
        )
    parsed = answer.value
    ratings = {d: parsed[d] for d in DIMENSIONS}
    return QualityJudgement(
        ratings=ratings,
        score=mean(rating_to_score(r) for r in ratings.values()),
        analysis=parsed["Analysis"],
        raw=answer.raw or "",
        attempts=answer.attempts,
        parse_failed=False,
        reasons=list(answer.reasons),
    )


def quality_scores(
    ratings: Sequence[dict[str, float] | None] | Iterable[dict[str, float] | None],
    *,
    failures: FailurePolicy = "zero",
) -> dict[str, Any]:
    """S_d per dimension (``(mean rating - 1) * 25``), ``quality_score`` = S_q (their mean),
    ``judged`` and ``judge_failures``; ``None`` entries are failed judgements.

    ``failures="zero"`` rates a failed item 1 on every dimension; ``"drop"`` leaves it out
    (official). With nothing to average the scores are None.
    """
    items = list(ratings)
    failed = sum(r is None for r in items)
    floor = dict.fromkeys(DIMENSIONS, 1.0)
    kept = [r if r is not None else floor for r in items if r is not None or failures == "zero"]
    out: dict[str, Any] = {}
    for dim in DIMENSIONS:
        avg = mean(float(r[dim]) for r in kept)
        out[dim] = None if avg is None else rating_to_score(avg)
    dims = [out[d] for d in DIMENSIONS]
    out["quality_score"] = None if None in dims else mean(dims)
    out["judged"] = len(items) - failed
    out["judge_failures"] = failed
    return out
