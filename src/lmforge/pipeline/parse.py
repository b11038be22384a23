"""Getting structured answers out of free-form model text: JSON, ratings and verdicts.

Models wrap JSON in prose and code fences, truncate it at ``max_tokens`` and restate the format
instructions next to their real verdict. Every stage that asks for structure goes through this
module so that the tolerance (and the accounting of what it had to tolerate) is the same
everywhere.

The text clean-up and the JSON ladder (``extract_json``, ``RUNGS``, ``ParseFailure``, ...) live
in :mod:`lmforge.pipeline.jsonladder` and are re-exported here; this module adds the rating
and pairwise-verdict parsers and :func:`canonical_verdict`, the one normal form of a verdict
(also used by :mod:`lmforge.evaluation.judge` to swap verdicts across orders).

Every failure raises :class:`ParseFailure` (never returns ``None``): the runner turns it into an
error row that keeps the raw text, and ``ParseFailure.reason`` is a short stable phrase that
groups well in reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lmforge.pipeline.jsonladder import (
    RUNGS,
    Extraction,
    ParseFailure,
    extract_json,
    extract_json_with_rung,
    fenced_blocks,
    strip_fences,
    strip_thinking,
)

__all__ = [
    "RUNGS",
    "Extraction",
    "ParseFailure",
    "canonical_verdict",
    "extract_json",
    "extract_json_with_rung",
    "fenced_blocks",
    "parse_rating",
    "parse_verdict",
    "strip_fences",
    "strip_thinking",
]


# --------------------------------------------------------------------------- ratings

_NUM = r"(-?\d+(?:\.\d+)?)"
_MD = r"[*_`\s]*"
_LABEL = r"\b(?:overall\s+|final\s+)*(?:rating|score|grade)\b"
# Strongest first; the fraction level's denominator must equal ``high``.
_RATING_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("double-bracket", re.compile(rf"\[\[\s*{_NUM}\s*(?:/\s*\d+(?:\.\d+)?\s*)?\]\]")),
    ("labelled", re.compile(rf"{_LABEL}{_MD}[:=：]{_MD}\[?{_MD}{_NUM}", re.IGNORECASE)),
    ("phrase", re.compile(rf"{_LABEL}{_MD}(?:is|of){_MD}{_NUM}", re.IGNORECASE)),
    ("fraction", re.compile(rf"{_NUM}\s*(?:/|out\s+of)\s*(\d+(?:\.\d+)?)", re.IGNORECASE)),
    ("single-bracket", re.compile(rf"(?<!\[)\[\s*{_NUM}\s*\](?!\])")),
    ("bare", re.compile(rf"\A{_MD}{_NUM}{_MD}[.!]?{_MD}\Z")),
)


def parse_rating(text: str, *, low: float, high: float) -> float:
    """The numeric rating in a judge's answer, checked against ``[low, high]``.

    Patterns, strongest first: ``[[7]]``; ``Rating: 7`` / ``**Score**: 8 - reason``; ``score
    is 7.5`` / ``a score of 8``; a fraction whose denominator is ``high`` (``8/10``, ``4 out of
    5``); ``[7]``; a bare number. The first pattern that matches decides. Repeats of one value
    are fine; two different values at that strength are ambiguous (a model quoting the scale
    next to its rating) and fail rather than guess, as Arena-Hard does; quoted matches (``for
    example: "Rating: [[5]]"``) count only when nothing else matches.

    Raises :class:`ParseFailure` with reason ``no rating found``, ``ambiguous rating`` or
    ``rating out of range`` -- absence is a parse failure, not ``None``, so it is counted.
    """
    body = strip_thinking(text)
    for name, pattern in _RATING_PATTERNS:
        if name == "fraction":
            found = [n for n, d in pattern.findall(body) if float(d) == float(high)]
        else:
            found = _find_unquoted(pattern, body)
        if not found:
            continue
        distinct = sorted({float(v) for v in found})
        if len(distinct) > 1:
            raise ParseFailure("ambiguous rating", text, f"{name} values {distinct}")
        if not low <= distinct[0] <= high:
            detail = f"{distinct[0]:g} not in [{low:g}, {high:g}]"
            raise ParseFailure("rating out of range", text, detail)
        return distinct[0]
    raise ParseFailure("no rating found", text)


def _find_unquoted(pattern: re.Pattern[str], body: str) -> list[str]:
    """Group 1 of every match, leaving out quoted ones unless every match is quoted.

    Judges restate the format they were given (``output "[[A]]" if A is better``); the quoted
    example must not count as a second, conflicting answer.
    """
    bare: list[str] = []
    quoted: list[str] = []
    for m in pattern.finditer(body):
        (quoted if _in_quotes(body, m.start(), m.end()) else bare).append(m.group(1))
    return bare or quoted


def _in_quotes(body: str, start: int, end: int) -> bool:
    """Whether ``body[start:end]`` sits inside a quotation on its line."""
    prefix = body[body.rfind("\n", 0, start) + 1 : start]
    if prefix.count('"') % 2 or prefix.count("“") > prefix.count("”"):
        return True
    before, after = body[start - 1 : start], body[end : end + 1]
    return bool(before) and before in "'`‘" and bool(after) and after in "'`’"


# --------------------------------------------------------------------------- verdicts

_VERDICT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("double-bracket", re.compile(r"\[\[([^\[\]\n]{1,40})\]\]")),
    ("boxed", re.compile(r"\\boxed\s*\{((?:[^{}\n]|\{[^{}\n]*\}){1,40})\}")),
    (
        "labelled",
        re.compile(
            r"\b(?:final\s+)?(?:verdict|judgement|judgment|winner|answer|decision|choice)\b"
            r"[*_`\s]*(?:is)?[*_`\s]*[:：]?[*_`\s]*\"?"
            r"(?:(?:assistant|response|model|output)\s+)?([\w<>=≈]{1,12})",
            re.IGNORECASE,
        ),
    ),
)
_ORDER = re.compile(r"^([a-z])(>>|>|==|=|≈|<<|<)([a-z])$")
_FLIP = {"<": ">", "<<": ">>"}


def parse_verdict(text: str, choices: Sequence[str]) -> str:
    """The pairwise verdict in a judge's answer, returned as the matching item of ``choices``.

    Works for ``("A", "B", "C")`` (MT-Bench, ``C`` = tie) and five-way ``("A>>B", "A>B", "A=B",
    "B>A", "B>>A")`` (Arena-Hard). Forms, strongest first: ``[[A]]``; ``\\boxed{A>B}``;
    ``Final verdict: A``; the whole answer being a choice. Quoted matches (a restated
    instruction: ``output "[[A]]" if ...``) count only when nothing else matches. Matching
    ignores case, spaces, markdown and ``\\text{}``, and reads comparisons both ways (``A<B``
    is ``B>A``, ``A==B`` is ``A=B``). Candidates that are not choices (``[[citation]]``) are
    ignored; different choices at the same strength are ambiguous.

    Raises :class:`ParseFailure` (``no verdict found`` or ``ambiguous verdict``).
    """
    if not choices:
        raise ValueError("choices must not be empty")
    by_key = {canonical_verdict(c): c for c in choices}
    body = strip_thinking(text)
    levels = [(name, _find_unquoted(pattern, body)) for name, pattern in _VERDICT_PATTERNS]
    levels.append(("whole", [body]))
    for name, found in levels:
        hits = {by_key[k] for k in map(canonical_verdict, found) if k in by_key}
        if len(hits) > 1:
            raise ParseFailure("ambiguous verdict", text, f"{name} verdicts {sorted(hits)}")
        if hits:
            return hits.pop()
    raise ParseFailure("no verdict found", text, f"expected one of {list(choices)}")


def canonical_verdict(raw: str) -> str:
    """One spelling per meaning, so that variants of a verdict compare equal.

    Lower case, without spaces, markdown, quotes, end punctuation or ``\\text{}``; a comparison
    of two single letters has its winner on the left (``B<A`` -> ``a>b``, ``A<<B`` -> ``b>>a``)
    and a tie has ``=`` with sorted sides (``B==A``, ``A≈B`` -> ``a=b``). Anything else is
    returned cleaned but otherwise as is (``[[Tie]]``'s ``Tie`` -> ``tie``).
    """
    key = re.sub(r"\\(?:text|textbf|mathrm)\s*\{([^{}]*)\}", r"\1", raw)
    key = re.sub(r"[\s*_`$\"'.!]", "", key).lower()
    key = key.replace("≈", "=")
    order = _ORDER.match(key)
    if order is None:
        return key
    left, op, right = order.groups()
    op = "=" if op == "==" else op
    if op in _FLIP:
        left, op, right = right, _FLIP[op], left
    if op == "=" and left > right:
        left, right = right, left
    return f"{left}{op}{right}"
