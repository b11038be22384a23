"""CRAB stage 1.3: the six constraints Python writes from a response alone (exact formulas).

`python_constraints(response, rng)` returns the constraints the response already satisfies:

* Digit: n tokens, t = n // 10. t = 0: min 3, max 20, around 10; else
  min = 10t - 10*min(randint(0, t-1), 2), max = 10(t+1) + 10*randint(0, 2), around = 10t; one
  of the four forms (range / at least / at most / around) uniformly. Always present.
* Sentence: the most tokens in any sentence, rounded up to a multiple of 5; only if > 5.
* Paragraph: see quirk Q2 below; only if the base count is > 1.
* Word: the longest token's length rounded up to a multiple of 5; only if > 3 (quirk Q1).
* Keyword: YAKE with top = min(len(characters) // 10, 3), language from langdetect (seeded),
  keywords with score < 0.07; skipped when none qualifies (Q4: the official first assert is
  vacuous, the second one fails and the key is silently dropped).
* Punctuation: the first of , : ? ! that does not occur; skipped when all occur.

`faithful_quirks=True` reproduces the official behaviour, bugs included:
  Q1 Word is phrased "each word at LEAST N characters" with N = longest token rounded up, which
     the response itself violates; Q2 Paragraph takes the MINIMUM sentence count over lines plus
     randint(0, 2) and states it as a per-paragraph MAXIMUM; Digit keeps min 3 for responses of
     under 3 tokens; keywords are kept even when YAKE's surface form is not in the text.
The default fixes them so that every constraint passes `check` on its own response: Word states
"at most N"; Paragraph uses the maximum over lines plus randint(0, 2); the t = 0 Digit minimum is
capped at n; keywords that the response does not contain verbatim are dropped.
"""

from __future__ import annotations

import random
from typing import Any

from . import phrasings
from .base import Constraint
from .python_types import (
    DigitConstraint,
    KeywordConstraint,
    ParagraphConstraint,
    PunctuationConstraint,
    SentenceConstraint,
    WordConstraint,
    contains_phrase,
)
from .tokens import ResponseView, as_view, detect_language_code

__all__ = [
    "digit_constraint",
    "keyword_constraint",
    "length_constraints",
    "punctuation_constraint",
    "python_constraints",
    "round_up_5",
    "yake_keywords",
]

KEYWORD_MAX_SCORE = 0.07


def round_up_5(n: int) -> int:
    """Official `int((n - 1) / 5 + 1) * 5`: the next multiple of 5 at or above n (n >= 1)."""
    return int((n - 1) / 5 + 1) * 5


def digit_constraint(
    view: ResponseView, rng: random.Random, *, faithful_quirks: bool = False
) -> DigitConstraint:
    """The length constraint; the random draws happen in the official order."""
    n = len(view.tokens)
    t = n // 10
    if t == 0:
        low, high, around = (3 if faithful_quirks else min(3, n)), 20, 10
    else:
        low = 10 * t - min(rng.randint(0, t - 1), 2) * 10
        high = 10 * (t + 1) + rng.randint(0, 2) * 10
        around = 10 * t
    form = rng.randint(1, 4)
    if form == 1:
        text = rng.choice(phrasings.DIGIT_RANGE).format(min=low, max=high)
        return DigitConstraint(type="Digit", text=text, form="range", minimum=low, maximum=high)
    if form == 2:
        text = rng.choice(phrasings.DIGIT_AT_LEAST).format(num=low)
        return DigitConstraint(type="Digit", text=text, form="at_least", minimum=low)
    if form == 3:
        text = rng.choice(phrasings.DIGIT_AT_MOST).format(num=high)
        return DigitConstraint(type="Digit", text=text, form="at_most", maximum=high)
    text = rng.choice(phrasings.DIGIT_AROUND).format(num=around)
    return DigitConstraint(type="Digit", text=text, form="around", target=around)


def _paragraph(
    view: ResponseView, rng: random.Random, faithful_quirks: bool
) -> ParagraphConstraint | None:
    counts = view.sentence_counts
    if not counts:
        return None
    base = min(counts) if faithful_quirks else max(counts)
    if base <= 1:
        return None
    limit = base + rng.randint(0, 2)
    text = rng.choice(phrasings.PARAGRAPH).format(sentences=limit)
    return ParagraphConstraint(type="Paragraph", text=text, max_sentences=limit)


def length_constraints(
    view: ResponseView, rng: random.Random, *, faithful_quirks: bool = False
) -> dict[str, Constraint]:
    """Paragraph, Sentence and Word (official `refined_Length`), in that draw order."""
    out: dict[str, Constraint] = {}
    paragraph = _paragraph(view, rng, faithful_quirks)
    if paragraph is not None:
        out["Paragraph"] = paragraph
    if view.max_sentence_tokens > 5:
        words = round_up_5(view.max_sentence_tokens)
        text = rng.choice(phrasings.SENTENCE).format(words=words)
        out["Sentence"] = SentenceConstraint(type="Sentence", text=text, max_words=words)
    longest = max(view.token_lengths, default=0)
    if longest > 3:
        chars = round_up_5(longest)
        family = phrasings.WORD_AT_LEAST if faithful_quirks else phrasings.WORD_AT_MOST
        bound = "at_least" if faithful_quirks else "at_most"
        text = rng.choice(family).format(chars=chars)
        out["Word"] = WordConstraint(type="Word", text=text, characters=chars, bound=bound)
    return out


def yake_keywords(text: str) -> list[tuple[str, float]]:
    """YAKE keywords with official settings: top = min(len(chars) // 10, 3), defaults otherwise."""
    import yake

    top = min(len(text) // 10, 3)
    if top == 0:
        return []
    extractor = yake.KeywordExtractor(lan=detect_language_code(text), top=top, features=None)
    return [(str(kw), float(score)) for kw, score in extractor.extract_keywords(text)]


def keyword_constraint(
    view: ResponseView, rng: random.Random, *, faithful_quirks: bool = False
) -> KeywordConstraint | None:
    """Keywords scoring under 0.07; None when none is left (Q4)."""
    try:
        found = yake_keywords(view.text)
    except Exception:  # noqa: BLE001 - the official code skips the key on any extraction error
        return None
    keys = [kw for kw, score in found if score < KEYWORD_MAX_SCORE]
    if not faithful_quirks:
        keys = [kw for kw in keys if contains_phrase(view, kw)]
    if not keys:
        return None
    quoted = ", ".join(f'"{k}"' for k in keys)
    text = rng.choice(phrasings.KEYWORD).format(keywords=quoted)
    return KeywordConstraint(type="Keyword", text=text, keywords=tuple(keys))


def punctuation_constraint(view: ResponseView, rng: random.Random) -> PunctuationConstraint | None:
    """Forbid the first of , : ? ! that the response does not use."""
    for symbol, family in phrasings.PUNCTUATION.items():
        if symbol not in view.text:
            return PunctuationConstraint(
                type="Punctuation",
                text=rng.choice(family),
                symbol=symbol,  # type: ignore[arg-type]
            )
    return None


def python_constraints(
    response: str | ResponseView, rng: random.Random, *, faithful_quirks: bool = False
) -> dict[str, Constraint]:
    """All Python-written constraints for one response, keyed by official type, official order.

    Pass a seeded `random.Random`: the official pipeline is unseeded (Q3), ours is reproducible.
    """
    view = as_view(response)
    out: dict[str, Any] = {"Digit": digit_constraint(view, rng, faithful_quirks=faithful_quirks)}
    out.update(length_constraints(view, rng, faithful_quirks=faithful_quirks))
    keyword = keyword_constraint(view, rng, faithful_quirks=faithful_quirks)
    if keyword is not None:
        out["Keyword"] = keyword
    punctuation = punctuation_constraint(view, rng)
    if punctuation is not None:
        out["Punctuation"] = punctuation
    return out
