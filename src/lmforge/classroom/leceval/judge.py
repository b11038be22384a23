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
:class:`~lmforge.pipeline.parse.ParseFailure`. :func:`judge_scripts` re-asks a failed row
(new sample index and seed, as the shared judge helpers do) and otherwise keeps it as an
unscored row with the raw answer and the reasons, counted in the table as "unscored".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from lmforge.classroom.leceval.score import RUBRICS, LecRow, Score
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig, Message, Request
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


def _retry_config(base: GenerateConfig, attempt: int) -> GenerateConfig:
    return base.model_copy(
        update={"sample_index": base.sample_index + attempt, "seed": base.seed + attempt}
    )


async def judge_scripts(
    rows: Sequence[LecRow],
    llm: LLM,
    config: GenerateConfig | None = None,
    *,
    retries: int = 0,
    concurrency: int | None = None,
) -> list[LecJudgement]:
    """Ask ``llm`` for the four ratings of every row; failed parses are re-asked ``retries``
    times (with a new sample index and seed: useful when sampling, while a greedy local
    model repeats itself). Model errors after the backend's retries become unscored rows,
    not crashes."""
    base = config or GenerateConfig(max_tokens=64, temperature=0.0)
    results = [LecJudgement(r.id, None, "", 0) for r in rows]
    pending = list(range(len(rows)))
    for attempt in range(retries + 1):
        if not pending:
            break
        cfg = base if attempt == 0 else _retry_config(base, attempt)
        requests = [_request(rows[i], cfg) for i in pending]
        answers = await llm.generate_many(requests, concurrency=concurrency, return_exceptions=True)
        still = []
        for i, answer in zip(pending, answers, strict=True):
            judgement = results[i]
            judgement.attempts += 1
            if isinstance(answer, BaseException):
                if not isinstance(answer, Exception):
                    raise answer
                judgement.reasons.append(f"model error: {type(answer).__name__}")
                judgement.raw = str(answer)
                continue  # a transport failure is not re-asked: the backend already retried
            judgement.raw = answer.text
            try:
                judgement.ratings = parse_rubric_ratings(answer.text)
            except ParseFailure as failure:
                judgement.reasons.append(failure.reason)
                still.append(i)
        pending = still
    return results


def judge_scorer(llm: LLM, config: GenerateConfig | None = None, *, name: str | None = None):
    """A scorer for :func:`~lmforge.classroom.leceval.score.evaluate_leceval`:
    ``{name: ratings}``."""

    async def score(rows: list[LecRow]) -> dict[str, list[Score]]:
        judged = await judge_scripts(rows, llm, config)
        return {name or f"judge {llm.spec}": [j.ratings for j in judged]}

    return score
