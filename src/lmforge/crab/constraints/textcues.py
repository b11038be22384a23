"""Reading parameters out of constraint sentences written by an LLM.

Only cues that are reliable are read: quoted phrases, number words before a unit, language names,
symbols. Anything vaguer leaves the parameter unset so that the constraint goes to a judge.
"""

from __future__ import annotations

import re

__all__ = [
    "LANGUAGES",
    "count_before",
    "is_example",
    "languages_named",
    "negated",
    "quoted_phrases",
]

_DOUBLE = re.compile(r'"([^"\n]+)"|“([^”\n]+)”|‘([^’\n]+)’')
# A single quote opens after a non-word char and closes before one, so "Einstein's" stays inside.
_SINGLE = re.compile(r"(?<!\w)'(.+?)'(?!\w)")
_NUMBER_WORDS = {
    "a single": 1, "single": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_COUNT_WORD = (
    r"(\d+|a single|single|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
)
_EXAMPLE = re.compile(r"\b(such as|e\.g\.|for example|for instance|like|similar to)\W*$", re.I)
_NEGATION = re.compile(r"\b(avoid|do not|don't|never|refrain|without|no use of|not use)\b", re.I)

LANGUAGES: dict[str, str] = {
    "english": "en", "spanish": "es", "portuguese": "pt", "french": "fr", "german": "de",
    "italian": "it", "dutch": "nl", "russian": "ru", "chinese": "zh", "mandarin": "zh",
    "japanese": "ja", "korean": "ko", "arabic": "ar", "hindi": "hi", "turkish": "tr",
    "polish": "pl", "swedish": "sv", "catalan": "ca", "vietnamese": "vi", "indonesian": "id",
    "ukrainian": "uk", "greek": "el", "czech": "cs", "romanian": "ro", "hungarian": "hu",
    "finnish": "fi", "danish": "da", "norwegian": "no", "hebrew": "he", "persian": "fa",
}  # fmt: skip
"""Language names an LLM writes -> langdetect codes (Chinese compared by prefix: zh-cn, zh-tw)."""
_LANGUAGE_RX = re.compile(r"\b(" + "|".join(LANGUAGES) + r")\b", re.I)


def quoted_phrases(text: str) -> list[tuple[int, str]]:
    """(offset, phrase) of every quoted phrase, double/curly quotes and single quotes alike."""
    found = [(m.start(), next(g for g in m.groups() if g)) for m in _DOUBLE.finditer(text)]
    found += [(m.start(), m.group(1)) for m in _SINGLE.finditer(text)]
    return sorted((pos, phrase.strip()) for pos, phrase in found if phrase.strip())


def is_example(text: str, offset: int) -> bool:
    """Whether the quote at `offset` is introduced as an example ("such as '...'")."""
    return bool(_EXAMPLE.search(text[:offset]))


def negated(text: str) -> bool:
    """Whether the sentence forbids rather than requires (then a positive check would lie)."""
    return bool(_NEGATION.search(text))


def languages_named(text: str) -> set[str]:
    """langdetect codes of the languages named in `text`."""
    return {LANGUAGES[m.lower()] for m in _LANGUAGE_RX.findall(text)}


def count_before(text: str, units: str) -> tuple[int, str] | None:
    """(count, relation) for "three paragraphs", "at least 4 sections"... or None.

    `units` is a regex alternation of unit nouns; relation is exactly / at_least / at_most.
    Several different counts make the sentence ambiguous: None.
    """
    rx = re.compile(
        r"(at least|no fewer than|minimum of|at most|no more than|up to|maximum of)?\s*"
        + _COUNT_WORD
        + r"\s+(?:\w+\s+)?(?:"
        + units
        + r")\b",
        re.I,
    )
    if re.search(r"\d+\s*(-|–|to)\s*\d+\s+(?:\w+\s+)?(?:" + units + r")\b", text, re.I):
        return None  # a range such as "6-7 paragraphs": not read (rare; a judge decides)
    hits = {(m.group(1) or "").lower(): m.group(2).lower() for m in rx.finditer(text)}
    counts = {int(v) if v.isdigit() else _NUMBER_WORDS[v] for v in hits.values()}
    if len(counts) != 1:
        return None
    qualifier = next(iter(hits))
    relation = "exactly"
    if qualifier in ("at least", "no fewer than", "minimum of"):
        relation = "at_least"
    elif qualifier in ("at most", "no more than", "up to", "maximum of"):
        relation = "at_most"
    return counts.pop(), relation
