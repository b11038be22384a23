"""Seeded langdetect: the one copy every system uses.

langdetect samples at random, so the same text can get different codes on different runs unless
`DetectorFactory.seed` is fixed; every caller here seeds it to 0 (what CRAB's and IFEval's
official code do). Two entry points, because their callers' official code differs on a failure:

- `detect_language_code`: the top language of `detect_langs`, "unknown" when langdetect raises
  (CRAB's constraint units and YAKE language).
- `detect_language_or_none`: `langdetect.detect`, None when it raises (IFEval's checkers, which
  count an undecidable text as following the instruction). Cached per text.

Not to be confused with :func:`lmforge.text.count.detect_language`, the cheap en/zh split.
langdetect is imported on first use.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["detect_language_code", "detect_language_or_none", "seeded_langdetect"]


def seeded_langdetect() -> Any:
    """The `langdetect` module with `DetectorFactory.seed = 0` (set again on every call)."""
    import langdetect
    from langdetect import DetectorFactory

    DetectorFactory.seed = 0
    return langdetect


def detect_language_code(text: str) -> str:
    """langdetect's top language, seeded (`DetectorFactory.seed = 0`); "unknown" on failure."""
    langdetect = seeded_langdetect()
    try:
        return str(langdetect.detect_langs(text)[0].lang)
    except langdetect.LangDetectException:
        return "unknown"


@lru_cache(maxsize=4096)
def detect_language_or_none(text: str) -> str | None:
    """ISO code langdetect gives, or None when it cannot decide (no letters, empty text).

    Cached: with the seed fixed, langdetect returns the same code for the same text, and the
    loose variants of one IFEval response often coincide (it is the slowest step by far).
    """
    langdetect = seeded_langdetect()
    try:
        return langdetect.detect(text)
    except langdetect.LangDetectException:
        return None
