"""Word, sentence and token counting the way IFEval's checkers count, without any download.

The official `instructions_util` counts words with nltk's `RegexpTokenizer(r"\\w+")` (reproduced
exactly here with `re`), sentences with the *trained* English Punkt model
(`tokenizers/punkt/english.pickle`) and tokens for the capital-word check with
`nltk.word_tokenize` (Punkt sentences, then the Treebank-style `NLTKWordTokenizer`).

Nothing may download Punkt here, so sentences come from an *untrained* `PunktSentenceTokenizer`
given a short list of common English abbreviations. Known divergence from the trained model:
abbreviations missing from `_ABBREVIATIONS` ("approx.", "Fig.") end a sentence here but not
officially, and the trained model's learned sentence starters / collocations are absent. Ordinary
text ending in `.`, `?` or `!` followed by a space splits identically; a line break alone never
splits in either.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["count_sentences", "count_words", "split_sentences", "word_tokenize"]

_WORD = re.compile(r"\w+")

# Common abbreviations (lower case, final period dropped, Punkt's convention) that the trained
# English model also treats as non-terminal. A fact list, kept short on purpose.
_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "rev", "gen", "col", "capt",
        "lt", "sgt", "gov", "sen", "rep", "inc", "ltd", "co", "corp", "dept", "univ", "assn",
        "e.g", "i.e", "vs", "etc", "cf", "al", "u.s", "u.k", "u.n", "a.m", "p.m", "vol",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    }
)  # fmt: skip


def count_words(text: str) -> int:
    """Number of `\\w+` runs: nltk `RegexpTokenizer(r"\\w+")` exactly ("don't" is 2 words)."""
    return len(_WORD.findall(text))


@lru_cache(maxsize=1)
def _sentence_tokenizer() -> Any:
    """Untrained Punkt plus the abbreviation list; nltk is imported lazily (over a second)."""
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = set(_ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


@lru_cache(maxsize=1)
def _word_tokenizer() -> Any:
    from nltk.tokenize import NLTKWordTokenizer

    return NLTKWordTokenizer()


def split_sentences(text: str) -> list[str]:
    """Punkt sentences of `text` (see the module docstring for the divergence from official)."""
    return list(_sentence_tokenizer().tokenize(text))


def count_sentences(text: str) -> int:
    """Number of Punkt sentences; what `length_constraints:number_sentences` compares."""
    return len(split_sentences(text))


def word_tokenize(text: str) -> list[str]:
    """`nltk.word_tokenize` without the Punkt download: our sentences, then NLTK's word tokenizer.

    Sentence boundaries matter only for where a final period is split off a word, which never
    changes whether a token is all upper case.
    """
    tokenizer = _word_tokenizer()
    return [tok for sentence in split_sentences(text) for tok in tokenizer.tokenize(sentence)]
