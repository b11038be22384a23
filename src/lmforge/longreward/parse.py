"""Reading LongReward's judge replies: ratings, support verdicts, statements, chunk information.

Two readings of each reply, chosen by ``official``:

- ``official=True`` is what ``long_reward/auto_scorer.py`` accepts: the LAST ``[[number]]``
  (integer or decimal) of a rating reply; the last ``[[letters, spaces or slashes]]`` of a
  support reply, mapped by substring ("fully" -> 1, "partially" -> 0.5, anything else -> 0);
  every non-empty ``<statement>...</statement>`` of a fact reply. Anything else is rejected
  (and re-asked by the caller).
- the default also reads what small judges write instead: the JSON object the schema asks for
  (``{"rating": 7}``, ``{"verdict": "fully"}``, ``{"statements": [...]}``), a rating without
  its brackets (``Rating: 7``, ``评分：7``) through the shared :func:`parse_rating`, a verdict
  phrase without brackets, Chinese verdicts. Ratings outside 0-10 are rejected rather than
  averaged (the official code would average them).

Every rejection raises :class:`~lmforge.pipeline.parse.ParseFailure` with a short reason, so
the shared ask loop counts it and re-asks.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from lmforge.pipeline.parse import ParseFailure, extract_json, parse_rating, strip_thinking
from lmforge.text import bm25_tokenize

__all__ = [
    "NO_INFO",
    "STATEMENT_OVERLAP",
    "SUPPORT_VALUES",
    "has_no_info",
    "prompt_language",
    "read_rating",
    "read_statements",
    "read_support",
]

NO_INFO = "No relevant information"
"""The literal a chunk extraction answers when its chunk holds nothing relevant."""
SUPPORT_VALUES = {"fully": 1.0, "partially": 0.5, "none": 0.0}
"""Per-statement faithfulness of each support level (Fully / Partially / No support)."""

_OFFICIAL_RATING = re.compile(r"\[\[\s*(\d+(?:\.\d+)?)\s*\]\]")
_OFFICIAL_SUPPORT = re.compile(r"\[\[([A-Za-z /]+)\]\]")
_STATEMENT = re.compile(r"<statement>(.*?)</statement>", re.DOTALL)
_ZH_RATING = re.compile(r"(?:评分|得分|分数|打分)\s*[:：为是]?\s*\[*\s*(\d+(?:\.\d+)?)")
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[\u0041-\u007a]")
_ZH_SUPPORT = (("部分支持", "partially"), ("完全支持", "fully"), ("不支持", "none"))
_PHRASES = re.compile(r"(fully supported|partially supported|no support)", re.IGNORECASE)


def prompt_language(text: str) -> Literal["en", "zh"]:
    """The official language heuristic for the chunk-extraction prompt.

    Characters U+4E00-U+9FFF count as Chinese and U+0041-U+007A as Latin (that range also
    holds ``[\\]^_``` between the two alphabets, as the official code counts it); English iff
    Latin > 4 x Chinese. Unlike :func:`lmforge.text.detect_language` (``[a-zA-Z]`` only) it
    keeps those six symbols, because the choice of prompt must match the official one.
    """
    chinese = len(_CHINESE.findall(text))
    latin = len(_LATIN.findall(text))
    return "en" if latin > 4 * chinese else "zh"


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = extract_json(text, expect=dict)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _in_range(value: float, text: str) -> float:
    if not 0 <= value <= 10:
        raise ParseFailure("rating out of range", text, f"{value:g} not in [0, 10]")
    return value


def read_rating(text: str, *, official: bool = False) -> float:
    """A 0-10 rating: the last ``[[n]]``; by default also JSON ``rating``, ``Rating: n``,
    ``评分：n``. Raises ParseFailure (``no rating found``, ``rating out of range``)."""
    body = strip_thinking(text)
    found = _OFFICIAL_RATING.findall(body)
    if found:
        value = float(found[-1])
        return value if official else _in_range(value, text)
    if official:
        raise ParseFailure("no rating found", text)
    obj = _json_object(body)
    if obj is not None and isinstance(obj.get("rating"), int | float | str):
        try:
            return _in_range(float(obj["rating"]), text)
        except ValueError:
            raise ParseFailure("rating not a number", text, repr(obj["rating"])) from None
    zh = _ZH_RATING.findall(body)
    if zh:
        return _in_range(float(zh[-1]), text)
    return parse_rating(body, low=0, high=10)


def _support_level(label: str) -> str:
    label = label.lower()
    if "fully" in label:
        return "fully"
    return "partially" if "partially" in label else "none"


def read_support(text: str, *, official: bool = False) -> str:
    """``fully``, ``partially`` or ``none`` (see :data:`SUPPORT_VALUES`).

    Official: the last ``[[...]]`` of letters, spaces and slashes, mapped by substring (so
    ``[[No support]]`` and any other bracketed word give ``none``). Default, when there is no
    such bracket: JSON ``verdict``, then the last verdict phrase, then a Chinese verdict.
    """
    body = strip_thinking(text)
    found = _OFFICIAL_SUPPORT.findall(body)
    if found:
        return _support_level(found[-1])
    if official:
        raise ParseFailure("no verdict found", text)
    obj = _json_object(body)
    if obj is not None and isinstance(obj.get("verdict"), str):
        verdict = obj["verdict"].strip().lower()
        if verdict in SUPPORT_VALUES:
            return verdict
        if any(w in verdict for w in ("fully", "partially", "no support", "not supported")):
            return _support_level(verdict)
        raise ParseFailure("unknown verdict", text, repr(obj["verdict"]))
    phrases = _PHRASES.findall(body)
    if phrases:
        return _support_level(phrases[-1])
    for word, level in _ZH_SUPPORT:
        if word in body:
            return level
    raise ParseFailure("no verdict found", text)


STATEMENT_OVERLAP = 0.5
"""Share of a statement's words (CJK: characters) that must occur in the response."""


def _from_source(statement: str, source_words: set[str]) -> bool:
    words = bm25_tokenize(statement)
    return bool(words) and sum(w in source_words for w in words) >= STATEMENT_OVERLAP * len(words)


def read_statements(text: str, *, official: bool = False, source: str | None = None) -> list[str]:
    """The factual statements of a fact-extraction reply, in order, stripped and non-empty.

    Official: every ``<statement>...</statement>`` (across lines). Default: those, else the
    JSON ``statements`` list; with ``source`` (the response), a statement less than half of
    whose words occur in it is left out (small judges copy the prompt's example instead of
    reading the answer; the official code would verify the example against the context). No
    statement at all is a rejection (``no statements``): the official scorer re-asks and
    finally skips the response, and so does this one.
    """
    body = strip_thinking(text)
    statements = [s.strip() for s in _STATEMENT.findall(body) if s.strip()]
    if not statements and not official:
        obj = _json_object(body)
        items = obj.get("statements") if obj is not None else None
        if isinstance(items, list):
            statements = [s.strip() for s in items if isinstance(s, str) and s.strip()]
    if not statements:
        raise ParseFailure("no statements", text)
    if source is not None and not official:
        words = set(bm25_tokenize(source))
        kept = [s for s in statements if _from_source(s, words)]
        if not kept:
            raise ParseFailure("statements not from the response", text)
        return kept
    return statements


def has_no_info(text: str) -> bool:
    """True when a chunk extraction says its chunk holds nothing relevant (the literal, with
    or without punctuation, or its Chinese wording), so completeness leaves that chunk out."""
    cleaned = re.sub(r"[\s.。!！*`\"'“”]", "", text).lower()
    return cleaned in {NO_INFO.replace(" ", "").lower(), "无相关信息", "没有相关信息"}
