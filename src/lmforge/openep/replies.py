"""Reading the StkFEP model replies: JSON under a schema by default, the official free-text
formats (``q1#q2#...``, ``s1#s2@@r1#r2``) when ``official`` is set.

Every reader raises :class:`~lmforge.errors.ParseFailure` on a reply it cannot use, so
``pipeline.ask`` re-asks and, in the end, the step is counted as failed instead of passing a
malformed value on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from lmforge.errors import ParseFailure
from lmforge.pipeline.parse import extract_json

from .periods import PERIODS

__all__ = [
    "MAX_ITEM_CHARS",
    "MAX_ITEMS",
    "SCHEMAS",
    "STOPWORDS",
    "clean_items",
    "prediction_reader",
    "queries_reader",
    "read_indices",
    "read_similarity",
    "snippets_reader",
    "stakeholders_reader",
]

MAX_ITEMS = 6
"""Stakeholders and roles kept per article (official prompt: up to 6 of each)."""
MAX_ITEM_CHARS = 20
"""Official filter: an item of 20 characters or more is dropped (a sentence, not a name)."""
STOPWORDS = frozenset({"事件", "影响", "主体", "客体", "event", "impact", "subject", "object"})
"""Official ``data/stopwords.json`` (事件 event, 影响 impact, 主体 subject, 客体 object), with
the English words, since the model answers English questions in English."""

PLACEHOLDERS = frozenset({"...", "…", "outcome", "first predicted outcome"})
"""Answer items that only echo the prompt's JSON example: not a prediction."""
_STRINGS = {"type": "array", "items": {"type": "string"}}
SCHEMAS: dict[str, dict[str, Any]] = {
    "queries": {"type": "object", "properties": {"queries": _STRINGS}, "required": ["queries"]},
    "relevant": {
        "type": "object",
        "properties": {"relevant": {"type": "array", "items": {"type": "integer"}}},
        "required": ["relevant"],
    },
    "stakeholders": {
        "type": "object",
        "properties": {"stakeholders": _STRINGS, "roles": _STRINGS},
        "required": ["stakeholders", "roles"],
    },
    "similarity": {
        "type": "object",
        "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 3}},
        "required": ["score"],
    },
    "followup": {
        "type": "object",
        "properties": {"summary": {"type": "string"}, "queries": _STRINGS},
        "required": ["summary", "queries"],
    },
    "snippets": {"type": "object", "properties": {"snippets": _STRINGS}, "required": ["snippets"]},
    "open": {
        "type": "object",
        "properties": {"analysis": {"type": "string"}, "answer": {**_STRINGS, "minItems": 1}},
        "required": ["analysis", "answer"],
    },
    "time": {
        "type": "object",
        "properties": {
            "analysis": {"type": "string"},
            **{p: {"type": "number", "minimum": 0, "maximum": 1} for p in PERIODS},
            "answer": {"enum": list(PERIODS)},
        },
        "required": ["analysis", *PERIODS, "answer"],
    },
}


def _strings(value: Any, text: str, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ParseFailure("wrong JSON fields", text, f"{field}: expected a list of strings")
    return [v.strip() for v in value if v.strip()]


def clean_items(items: list[str], *, limit: int = MAX_ITEMS) -> list[str]:
    """The official filter: strip, drop items of ``MAX_ITEM_CHARS`` or more and stop-words,
    de-duplicate (case-insensitively), keep the first ``limit``."""
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        item = item.strip().strip("\"'-•*").strip()
        if not item or len(item) >= MAX_ITEM_CHARS or item.lower() in STOPWORDS:
            continue
        if item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out[:limit]


def queries_reader(official: bool, count: int) -> Callable[[str], list[str]]:
    """Up to ``count`` non-empty queries (at least one, else the reply is rejected)."""

    def read(text: str) -> list[str]:
        if official:
            found = [q.strip() for q in text.strip().split("#") if q.strip()]
        else:
            found = _strings(extract_json(text, expect=dict).get("queries"), text, "queries")
        if not found:
            raise ParseFailure("no queries", text)
        return list(dict.fromkeys(found))[:count]

    return read


def stakeholders_reader(official: bool) -> Callable[[str], dict[str, list[str]]]:
    """``{"stakeholders": [...], "roles": [...]}`` after :func:`clean_items`; a reply with
    neither is rejected."""

    def read(text: str) -> dict[str, list[str]]:
        if official:
            if "@@" not in text:
                raise ParseFailure("no '@@' between stakeholders and roles", text)
            left, _, right = text.strip().partition("@@")
            people, roles = left.split("#"), right.split("#")
        else:
            data = extract_json(text, expect=dict)
            people = _strings(data.get("stakeholders"), text, "stakeholders")
            roles = _strings(data.get("roles"), text, "roles")
        out = {"stakeholders": clean_items(people), "roles": clean_items(roles)}
        if not out["stakeholders"] and not out["roles"]:
            raise ParseFailure("no usable stakeholders or roles", text)
        return out

    return read


def read_indices(count: int) -> Callable[[str], list[int]]:
    """1-based result numbers in 1..count, as 0-based positions (an empty list is valid)."""

    def read(text: str) -> list[int]:
        value = extract_json(text, expect=dict).get("relevant")
        if not isinstance(value, list):
            raise ParseFailure("wrong JSON fields", text, "relevant: expected a list")
        picked = [int(v) for v in value if isinstance(v, int | float) and not isinstance(v, bool)]
        return sorted({v - 1 for v in picked if 1 <= v <= count})

    return read


def read_similarity(text: str) -> int:
    """The 1-3 similarity rating. Official rule: a reply with no number counts as 1."""
    try:
        value = extract_json(text, expect=dict).get("score")
    except ValueError:
        value = None
    if not isinstance(value, int | float) or isinstance(value, bool):
        found = re.search(r"[123]", text)
        return int(found.group()) if found else 1
    return min(max(int(round(value)), 1), 3)


def snippets_reader(text: str) -> list[str]:
    """The extracted passages (an empty list is a valid answer: nothing useful)."""
    return _strings(extract_json(text, expect=dict).get("snippets"), text, "snippets")


def followup_reader(text: str) -> dict[str, Any]:
    data = extract_json(text, expect=dict)
    summary = data.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise ParseFailure("no summary", text)
    return {"summary": summary.strip(), "queries": _strings(data.get("queries"), text, "queries")}


def prediction_reader(time: bool) -> Callable[[str], dict[str, Any]]:
    """A prediction in the official JSON format, checked.

    Open: ``analysis`` and a non-empty ``answer`` list. Time: four probabilities, none
    negative, renormalised to sum to 1 (a reply whose probabilities are all 0 is rejected),
    and ``answer`` set to the most likely period (``answer_given`` keeps the model's own when
    it named another).
    """

    def read(text: str) -> dict[str, Any]:
        data = extract_json(text, expect=dict)
        analysis = data.get("analysis")
        if not isinstance(analysis, str):
            raise ParseFailure("wrong JSON fields", text, "analysis: expected text")
        if not time:
            answer = data.get("answer")
            items = [answer] if isinstance(answer, str) else answer
            items = [i for i in _strings(items, text, "answer") if i not in PLACEHOLDERS]
            if not items:
                raise ParseFailure("empty answer", text, "no predicted outcome, or only '...'")
            return {"analysis": analysis, "answer": items}
        probs = []
        for name in PERIODS:
            value = data.get(name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ParseFailure("wrong JSON fields", text, f"{name}: expected a probability")
            if not math.isfinite(value):
                raise ParseFailure("wrong JSON fields", text, f"{name}: not finite")
            probs.append(float(value))
        total = sum(probs)
        if total <= 0:
            raise ParseFailure("probabilities sum to 0", text)
        probs = [p / total for p in probs]
        best = PERIODS[max(range(4), key=lambda i: probs[i])]
        out: dict[str, Any] = {"analysis": analysis, **dict(zip(PERIODS, probs, strict=True))}
        out["answer"] = best
        if data.get("answer") != best:
            out["answer_given"] = data.get("answer")
        return out

    return read
