"""Offline nltk sentence and word tokenisers: the one copy every system uses.

nltk's `sent_tokenize` / `word_tokenize` need the trained Punkt model, which nltk downloads at
run time; nothing in lmforge may download. These stand in for them:

- `punkt_sentences`: an *untrained* `PunktSentenceTokenizer` with no parameters. This is what
  LongCite's official sentence split uses (so `text.split` keeps its indices) and what CRAB's
  constraint units count. "Mr." or "e.g." may end a sentence.
- `punkt_sentences_abbrev`: the same untrained Punkt given `ENGLISH_ABBREVIATIONS`, closer to
  the trained English model on common abbreviations; what the IFEval checkers count. The two
  are kept apart on purpose: each caller's scores depend on its own variant.
- `treebank_words`: nltk's `NLTKWordTokenizer` (the regex tokenizer inside `word_tokenize`) on
  one sentence; `word_tokenize` / `word_tokenize_abbrev` split into sentences first, as nltk's
  `word_tokenize` does, with the matching sentence variant.

nltk is imported on first use (importing it costs over a second).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

__all__ = [
    "ENGLISH_ABBREVIATIONS",
    "punkt_sentences",
    "punkt_sentences_abbrev",
    "punkt_spans",
    "treebank_words",
    "word_tokenize",
    "word_tokenize_abbrev",
]

# Common abbreviations (lower case, final period dropped, Punkt's convention) that the trained
# English model also treats as non-terminal. A fact list, kept short on purpose.
ENGLISH_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "rev", "gen", "col", "capt",
        "lt", "sgt", "gov", "sen", "rep", "inc", "ltd", "co", "corp", "dept", "univ", "assn",
        "e.g", "i.e", "vs", "etc", "cf", "al", "u.s", "u.k", "u.n", "a.m", "p.m", "vol",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    }
)  # fmt: skip
"""Abbreviations `punkt_sentences_abbrev` never ends a sentence after."""


@lru_cache(maxsize=1)
def _punkt() -> Any:
    """Untrained Punkt, no parameters (no data file)."""
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    return PunktSentenceTokenizer()


@lru_cache(maxsize=1)
def _punkt_abbrev() -> Any:
    """Untrained Punkt plus `ENGLISH_ABBREVIATIONS`."""
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = set(ENGLISH_ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


@lru_cache(maxsize=1)
def _treebank() -> Any:
    from nltk.tokenize.destructive import NLTKWordTokenizer

    return NLTKWordTokenizer()


def punkt_sentences(text: str) -> list[str]:
    """Sentences of `text` by untrained Punkt (LongCite's rule; CRAB's `sent_tokenize`)."""
    return list(_punkt().tokenize(text))


def punkt_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) offsets of `punkt_sentences`' sentences in `text`, as Punkt finds them."""
    return _punkt().span_tokenize(text)


def punkt_sentences_abbrev(text: str) -> list[str]:
    """Sentences of `text` by untrained Punkt that knows `ENGLISH_ABBREVIATIONS` (IFEval's)."""
    return list(_punkt_abbrev().tokenize(text))


def treebank_words(sentence: str) -> list[str]:
    """Word and punctuation tokens of one sentence (nltk's `NLTKWordTokenizer`)."""
    return list(_treebank().tokenize(sentence))


def word_tokenize(text: str) -> list[str]:
    """`nltk.word_tokenize` offline: `punkt_sentences`, then `treebank_words` of each."""
    words = _treebank()
    return [tok for sentence in punkt_sentences(text) for tok in words.tokenize(sentence)]


def word_tokenize_abbrev(text: str) -> list[str]:
    """`nltk.word_tokenize` offline: `punkt_sentences_abbrev`, then `treebank_words` of each."""
    words = _treebank()
    return [tok for sentence in punkt_sentences_abbrev(text) for tok in words.tokenize(sentence)]
