"""The six constraint types that CRAB's stage 1.3 writes in Python, with their checkers.

Parameters are optional: a constraint built by `python_rules` always has them, one read from an
LLM-era file (e.g. the official sample) gets them from its text when the wording is clear
(`parse` classmethods), and otherwise `check` returns None rather than guessing.

Units (see `tokens`): words are nltk-style tokens, punctuation included; sentences are cut per
non-empty line; a paragraph is a non-empty line. These are CRAB's units, not IFEval's (Q9).
"""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar, Literal

from .base import Constraint, register
from .tokens import ResponseView, as_view

__all__ = [
    "DigitConstraint",
    "KeywordConstraint",
    "ParagraphConstraint",
    "PunctuationConstraint",
    "SentenceConstraint",
    "WordConstraint",
    "around_tolerance",
    "contains_phrase",
]

_INT = re.compile(r"\d+")
_AROUND = re.compile(r"\b(around|roughly|approximately|about|close to|nearly|circa)\b", re.I)
_AT_LEAST = re.compile(
    r"\b(at least|no fewer|not fewer|no less|not less|minimum|or more|lower limit|below|"
    r"shorter than|least)\b",
    re.I,
)
_AT_MOST = re.compile(
    r"\b(at most|no more|not more|maximum|exceed|or fewer|or less|under|limit|up to|cap|"
    r"within|confine|restrict|longer than)\b",
    re.I,
)
_WORD_AT_MOST = re.compile(
    r"\b(at most|maximum|no more than|exceed|or fewer|longer than|up to)\b", re.I
)
_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”')
_SYMBOLS = {
    ",": re.compile(r"\bcommas?\b", re.I),
    ":": re.compile(r"\bcolons?\b", re.I),
    "?": re.compile(r"\bquestion marks?\b", re.I),
    "!": re.compile(r"\bexclamation (marks?|points?)\b", re.I),
}


def _ints(text: str) -> list[int]:
    return [int(m) for m in _INT.findall(text)]


def _single_int(text: str) -> int | None:
    found = _ints(text)
    return found[0] if len(found) == 1 else None


def around_tolerance(target: int) -> int:
    """Allowed distance for an "around N words" constraint: max(10, ceil(10% of N)).

    The official code states no tolerance. Ten tokens is the width of the bucket it rounds the
    count into (t = n // 10, around = 10t), so a response always satisfies the constraint
    written from it; 10% keeps long targets reasonable.
    """
    return max(10, math.ceil(0.1 * target))


def contains_phrase(view: ResponseView, phrase: str) -> bool:
    """Case-insensitive, whitespace-insensitive substring test."""
    return " ".join(phrase.lower().split()) in view.folded


@register
class DigitConstraint(Constraint):
    """Response length in tokens: a range, a minimum, a maximum, or "around" a target."""

    key: ClassVar[str] = "Digit"
    form: Literal["range", "at_least", "at_most", "around"] | None = None
    minimum: int | None = None
    maximum: int | None = None
    target: int | None = None

    @property
    def verifiable(self) -> bool:
        """The form and the numbers it needs are all known."""
        needed = {
            "range": (self.minimum, self.maximum),
            "at_least": (self.minimum,),
            "at_most": (self.maximum,),
            "around": (self.target,),
        }
        return self.form is not None and None not in needed[self.form]

    def check(self, response: str | ResponseView) -> bool | None:
        if not self.verifiable:
            return None
        n = len(as_view(response).tokens)
        if self.form == "around":
            return abs(n - self.target) <= around_tolerance(self.target)  # type: ignore[operator,arg-type]
        low_ok = self.minimum is None or n >= self.minimum
        high_ok = self.maximum is None or n <= self.maximum
        return low_ok and high_ok

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        """Read the form and numbers from wording like "no fewer than 90 and no more than 130"."""
        found = _ints(text)
        if len(found) == 2 and found[0] <= found[1]:
            return {"form": "range", "minimum": found[0], "maximum": found[1]}
        if len(found) != 1:
            return {}
        if _AROUND.search(text):
            return {"form": "around", "target": found[0]}
        if _AT_LEAST.search(text):
            return {"form": "at_least", "minimum": found[0]}
        if _AT_MOST.search(text):
            return {"form": "at_most", "maximum": found[0]}
        return {}


@register
class SentenceConstraint(Constraint):
    """Every sentence has at most `max_words` tokens."""

    key: ClassVar[str] = "Sentence"
    max_words: int | None = None

    @property
    def verifiable(self) -> bool:
        return self.max_words is not None

    def check(self, response: str | ResponseView) -> bool | None:
        if self.max_words is None:
            return None
        return as_view(response).max_sentence_tokens <= self.max_words

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        """Every official phrasing is an upper bound with one number ("under 30" included)."""
        n = _single_int(text)
        return {} if n is None else {"max_words": n}


@register
class ParagraphConstraint(Constraint):
    """Every paragraph (non-empty line) has at most `max_sentences` sentences."""

    key: ClassVar[str] = "Paragraph"
    max_sentences: int | None = None

    @property
    def verifiable(self) -> bool:
        return self.max_sentences is not None

    def check(self, response: str | ResponseView) -> bool | None:
        if self.max_sentences is None:
            return None
        return max(as_view(response).sentence_counts, default=0) <= self.max_sentences

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        n = _single_int(text)
        return {} if n is None else {"max_sentences": n}


@register
class WordConstraint(Constraint):
    """Every token has at least (official wording, Q1) or at most (fixed) `characters` chars."""

    key: ClassVar[str] = "Word"
    characters: int | None = None
    bound: Literal["at_least", "at_most"] | None = None

    @property
    def verifiable(self) -> bool:
        return self.characters is not None and self.bound is not None

    def check(self, response: str | ResponseView) -> bool | None:
        if self.characters is None or self.bound is None:
            return None
        lengths = as_view(response).token_lengths
        if self.bound == "at_most":
            return max(lengths, default=0) <= self.characters
        return min(lengths, default=self.characters) >= self.characters

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        n = _single_int(text)
        if n is None:
            return {}
        if _WORD_AT_MOST.search(text):
            return {"characters": n, "bound": "at_most"}
        if _AT_LEAST.search(text):
            return {"characters": n, "bound": "at_least"}
        return {}


@register
class KeywordConstraint(Constraint):
    """Every keyword occurs in the response (case- and whitespace-insensitive)."""

    key: ClassVar[str] = "Keyword"
    keywords: tuple[str, ...] | None = None

    @property
    def verifiable(self) -> bool:
        return bool(self.keywords)

    def check(self, response: str | ResponseView) -> bool | None:
        if not self.keywords:
            return None
        view = as_view(response)
        return all(contains_phrase(view, k) for k in self.keywords)

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        """The official template quotes each keyword in double quotes."""
        found = tuple(a or b for a, b in _QUOTED.findall(text))
        return {"keywords": found} if found else {}


@register
class PunctuationConstraint(Constraint):
    """The response does not contain `symbol` (one of , : ? !)."""

    key: ClassVar[str] = "Punctuation"
    symbol: Literal[",", ":", "?", "!"] | None = None

    @property
    def verifiable(self) -> bool:
        return self.symbol is not None

    def check(self, response: str | ResponseView) -> bool | None:
        if self.symbol is None:
            return None
        return self.symbol not in as_view(response).text

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        named = [sym for sym, rx in _SYMBOLS.items() if rx.search(text)]
        return {"symbol": named[0]} if len(named) == 1 else {}
