"""The FollowBench LLM judge: the evolution-path prompt and the official reading of its answer.

The judge sees every instruction of the group from the seed to the answered level, the answer,
and is asked to end with a Python list of n "YES"/"NO" (n = level). Parsing follows the
official ``paring_discriminative_generation``:

* strip back-ticks from both ends of the answer, strip whitespace, take the last line;
* level 1: the line contains ``YES`` -> satisfied; else contains ``NO`` -> not; else failure;
* level n > 1: the first ``[`` to the last ``]`` on the line must be a list of exactly n
  elements; ``"YES"`` counts 1; ``NO``/``PARTIAL``/``MAYBE``/``UNKNOWN``/``N/A`` count 0; any
  other element, another length or no list is a failure.

Hard satisfaction = all n are YES; soft = share of YES. A failure is what the official code
marks -1 ("fix manually"); here it is a :class:`FBJudgement` with ``failure`` set, counted by
the report, never dropped silently. One deliberate difference: the list is read with
``ast.literal_eval`` where the official code calls ``eval`` on model output (which runs
arbitrary expressions); for every list of string literals both give the same value.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

from lmforge.errors import ParseFailure
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig, Message, Request
from lmforge.pipeline.ask import ask_many
from lmforge.pipeline.prompts import load_prompt

__all__ = ["FBJudgement", "judge_messages", "judge_one", "judge_requests", "parse_judgement"]

ZERO_LABELS = frozenset({"NO", "PARTIAL", "MAYBE", "UNKNOWN", "N/A"})
KINDS = {
    "content": "content constraint",
    "situation": "situation constraint (a description of a specific situation or background)",
    "style": "style constraint",
    "format": "format constraint",
    "mixed": "constraint",
}


@dataclass(frozen=True)
class FBJudgement:
    """One parsed judge answer: ``hard``/``soft`` are None when the answer was unusable."""

    hard: int | None
    soft: float | None
    failure: str | None = None
    raw: str = ""


def _fail(reason: str, raw: str) -> FBJudgement:
    return FBJudgement(None, None, reason, raw)


def parse_judgement(text: str, level: int) -> FBJudgement:
    """The official reading of a judge answer for an item of ``level`` (1..5)."""
    if level < 1:
        raise ValueError(f"level must be >= 1, got {level}")
    last = text.strip("`").strip().split("\n")[-1]
    if level == 1:
        if "YES" in last:
            return FBJudgement(1, 1.0, raw=text)
        if "NO" in last:
            return FBJudgement(0, 0.0, raw=text)
        return _fail("no YES/NO on the last line", text)
    found = re.search(r"\[.*\]", last)
    if found is None:
        return _fail("no list on the last line", text)
    try:
        labels = ast.literal_eval(found.group())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _fail("list cannot be read", text)
    if not isinstance(labels, (list, tuple)):
        return _fail("list cannot be read", text)
    if len(labels) != level:
        return _fail(f"list has {len(labels)} elements, expected {level}", text)
    yes = 0
    for label in labels:
        if label == "YES":
            yes += 1
        elif not (isinstance(label, str) and label in ZERO_LABELS):
            return _fail(f"invalid element {label!r}", text)
    return FBJudgement(int(yes == level), yes / level, raw=text)


def judge_messages(category: str, path: list[str], answer: str) -> list[Message]:
    """The judge prompt for an answer to the last instruction of ``path`` (seed first)."""
    if len(path) < 2:
        raise ValueError("the evolution path needs the seed and at least one level")
    kind = KINDS.get(category, "constraint")
    prompt = load_prompt("lmforge.benchmarks.followbench", "followbench_judge")
    return [Message(**m) for m in prompt.messages(kind=kind, path=path, answer=answer)]


def judge_requests(
    jobs: list[tuple[str, list[str], str]], config: GenerateConfig | None = None
) -> list[Request]:
    """One request per ``(category, path, answer)``; temperature 0 unless told otherwise."""
    config = config or GenerateConfig(max_tokens=1024, temperature=0.0)
    return [Request(messages=judge_messages(*job), config=config) for job in jobs]


async def judge_many(
    judge: LLM,
    jobs: list[tuple[str, list[str], str, int]],
    config: GenerateConfig | None = None,
    concurrency: int | None = None,
) -> list[FBJudgement]:
    """Judge ``(category, path, answer, level)`` jobs; a model error becomes a failure too.

    Transport errors after the backend's own retries are recorded per item (``failure`` =
    ``model error: ...``) so one bad call does not lose a whole benchmark run. Asked through
    :func:`~lmforge.pipeline.ask.ask_many`, so an empty or echoed answer fails under that
    reason before the official reading is tried.
    """
    if any(level < 1 for *_, level in jobs):
        raise ValueError("every level must be >= 1")
    requests = judge_requests([(c, p, a) for c, p, a, _ in jobs], config)
    # one attempt, as officially: an unusable answer is the official -1, counted, not re-asked
    results = await ask_many(
        judge, requests, [_reader(level) for *_, level in jobs], concurrency=concurrency, attempts=1
    )
    out: list[FBJudgement] = []
    for result in results:
        if result.exception is not None:
            exc = result.exception
            out.append(_fail(f"model error: {type(exc).__name__}", str(exc)))
        elif result.ok:
            out.append(result.value)
        else:
            out.append(_fail(result.error or "unparseable", result.raw or ""))
    return out


def _reader(level: int) -> Callable[[str], FBJudgement]:
    """``parse_judgement`` for :func:`~lmforge.pipeline.ask.ask_many`: a failure raises."""

    def read(text: str) -> FBJudgement:
        judgement = parse_judgement(text, level)
        if judgement.failure is not None:
            raise ParseFailure(judgement.failure, text)
        return judgement

    return read


async def judge_one(
    judge: LLM,
    category: str,
    path: list[str],
    answer: str,
    level: int,
    config: GenerateConfig | None = None,
) -> FBJudgement:
    """One item's verdict through :func:`judge_many` (same guards, same failures), for the
    benchmark runner's score stage, which judges record by record."""
    (verdict,) = await judge_many(judge, [(category, path, answer, level)], config, 1)
    return verdict
