"""The LLM rubric judge for lecture scripts: four 1-5 ratings per slide, parsed robustly.

The prompt (``prompts/leceval_judge.j2``) asks for four labelled lines. Small models answer in
many shapes, so :func:`parse_rubric_ratings` reads, in order:

1. each rubric's label (``Content Relevance``, also ``Relevance``/``Faithfulness``,
   ``Clarity``, ``Structure``, ``Engagement``/``Inspirational``) followed by a rating, read by
   the shared :func:`~lmforge.pipeline.parse.parse_rating` (``4``, ``4/5``, ``[[4]]``,
   ``**4**``) or, failing that, the number that opens the text after the label;
2. else one line of exactly four numbers (``4, 3, 5, 2``: the LecEval training format; also
   ``4:3:5:2``, which the embedded 0.5B model writes), in rubric order.

Anything else, a rating outside 1-5, or a rubric rated twice differently raises
:class:`~lmforge.pipeline.parse.ParseFailure`. :func:`judge_scripts` asks through
:func:`~lmforge.pipeline.ask.ask_many`: it re-asks a failed row (new sample index and seed,
as the shared judge helpers do) and otherwise keeps it as an unscored row with the raw answer
and the reasons, counted in the table as "unscored".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from lmforge.classroom.leceval.score import RUBRICS, LecRow, Score
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig, Message, Request
from lmforge.pipeline.ask import ReaskRule, ask_many
from lmforge.pipeline.parse import ParseFailure, parse_rating
from lmforge.pipeline.prompts import load_prompt

__all__ = ["LecJudgement", "judge_scorer", "judge_scripts", "parse_rubric_ratings"]

_LABELS = {
    "content_relevance": r"content\s+relevance|relevance|faithfulness(?:\s+to\s+the\s+slide)?",
    "expressive_clarity": r"expressive\s+clarity|clarity(?:\s+of\s+language)?",
    "logical_structure": r"logical\s+structure|structure(?:\s+and\s+organi[sz]ation)?",
    "audience_engagement": r"audience\s+engagement|engagement|inspirational(?:\s+value)?",
}
_LABELLED = {
    rubric: re.compile(rf"(?:^|[\s*_#>\-\d.]+)(?:{label})\b[*_`\s]*[:=：\-–]\s*(.*)$",
                       re.IGNORECASE | re.MULTILINE)
    for rubric, label in _LABELS.items()
}  # fmt: skip
_LEADING = re.compile(r"\A[*_`\s\[]*(\d+(?:\.\d+)?)")
_NUM = r"(\d(?:\.\d+)?)"
_SEP = r"(?:\s*[,;:/|]\s*|\s+)"
_FOUR = re.compile(rf"^[^\d\n]*{_NUM}{_SEP}{_NUM}{_SEP}{_NUM}{_SEP}{_NUM}[^\d\n]*$", re.MULTILINE)


def _labelled_value(rest: str, raw: str) -> float:
    try:
        return parse_rating(rest, low=1, high=5)
    except ParseFailure:
        pass
    leading = _LEADING.match(rest)
    if leading is None:
        raise ParseFailure("no rating found", raw)
    value = float(leading.group(1))
    if not 1 <= value <= 5:
        raise ParseFailure("rating out of range", raw, f"{value:g} not in [1, 5]")
    return value


def _labelled(text: str) -> dict[str, float]:
    """Ratings after rubric labels; a label followed by prose (not a rating) is skipped."""
    found: dict[str, float] = {}
    for rubric, pattern in _LABELLED.items():
        values, errors = set(), []
        for match in pattern.finditer(text):
            try:
                values.add(_labelled_value(match.group(1), text))
            except ParseFailure as failure:
                errors.append(failure)
        if len(values) > 1:
            raise ParseFailure("ambiguous rating", text, f"{rubric}: {sorted(values)}")
        if values:
            found[rubric] = values.pop()
        elif any(e.reason == "rating out of range" for e in errors):
            raise next(e for e in errors if e.reason == "rating out of range")
    return found


def parse_rubric_ratings(text: str) -> dict[str, float]:
    """The four rubric ratings (1-5) in a judge answer; raises ParseFailure otherwise."""
    found = _labelled(text)
    if len(found) == len(RUBRICS):
        return found
    rows = [[float(v) for v in m.groups()] for m in _FOUR.finditer(text)]
    if len(rows) == 1:
        if not all(1 <= v <= 5 for v in rows[0]):
            raise ParseFailure("rating out of range", text, f"{rows[0]} not all in [1, 5]")
        return dict(zip(RUBRICS, rows[0], strict=True))
    if found:
        missing = [r for r in RUBRICS if r not in found]
        raise ParseFailure("missing rubric ratings", text, ", ".join(missing))
    raise ParseFailure("no rubric ratings found", text)


@dataclass
class LecJudgement:
    """The judge's ratings for one row, or None with why."""

    id: str
    ratings: dict[str, float] | None
    raw: str
    attempts: int
    reasons: list[str] = field(default_factory=list)


def _request(row: LecRow, config: GenerateConfig) -> Request:
    prompt = load_prompt("lmforge.classroom", "leceval_judge")
    messages = prompt.messages(transcript=row.transcript, slide_text=row.slide_text)
    return Request(messages=[Message(**m) for m in messages], config=config)


REASK = ReaskRule(temperature=0.0, bump_seed=True)
"""Re-asks keep the judge's sampling (LecEval's judge is greedy), with a new sample index and
seed: useful when sampling, while a greedy local model repeats itself."""


async def judge_scripts(
    rows: Sequence[LecRow],
    llm: LLM,
    config: GenerateConfig | None = None,
    *,
    retries: int = 0,
    concurrency: int | None = None,
) -> list[LecJudgement]:
    """Ask ``llm`` for the four ratings of every row; failed parses are re-asked ``retries``
    times under :data:`REASK`. Model errors after the backend's retries become unscored rows
    (not re-asked: the backend already retried), not crashes."""
    base = config or GenerateConfig(max_tokens=64, temperature=0.0)
    requests = [_request(row, base) for row in rows]
    results = await ask_many(
        llm,
        requests,
        parse_rubric_ratings,
        concurrency=concurrency,
        attempts=retries + 1,
        reask=REASK,
    )
    judged = []
    for row, result in zip(rows, results, strict=True):
        reasons, raw = list(result.reasons), result.raw or ""
        if result.exception is not None:
            reasons.append(f"model error: {type(result.exception).__name__}")
            raw = str(result.exception)
        judged.append(LecJudgement(row.id, result.value, raw, result.attempts, reasons))
    return judged


def judge_scorer(llm: LLM, config: GenerateConfig | None = None, *, name: str | None = None):
    """A scorer for :func:`~lmforge.classroom.leceval.score.evaluate_leceval`:
    ``{name: ratings}``."""

    async def score(rows: list[LecRow]) -> dict[str, list[Score]]:
        judged = await judge_scripts(rows, llm, config)
        return {name or f"judge {llm.spec}": [j.ratings for j in judged]}

    return score
