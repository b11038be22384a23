"""Word, sentence and token counting the way IFEval's checkers count, without any download.

The official `instructions_util` counts words with nltk's `RegexpTokenizer(r"\\w+")` (reproduced
exactly here with `re`), sentences with the *trained* English Punkt model
(`tokenizers/punkt/english.pickle`) and tokens for the capital-word check with
`nltk.word_tokenize` (Punkt sentences, then the Treebank-style `NLTKWordTokenizer`).

Nothing may download Punkt here, so sentences come from
`lmforge.text.tokens.punkt_sentences_abbrev`: an *untrained* `PunktSentenceTokenizer` given a
short list of common English abbreviations. Known divergence from the trained model:
abbreviations missing from `ENGLISH_ABBREVIATIONS` ("approx.", "Fig.") end a sentence here but
not officially, and the trained model's learned sentence starters / collocations are absent.
Ordinary text ending in `.`, `?` or `!` followed by a space splits identically; a line break
alone never splits in either.

`ifeval_word_count` is IFEval's word unit, not LongBench-Write's `lmforge.text.count_words`.
"""

from __future__ import annotations

import re

from lmforge.text.tokens import punkt_sentences_abbrev, word_tokenize_abbrev

__all__ = ["count_sentences", "ifeval_word_count", "split_sentences", "word_tokenize"]

_WORD = re.compile(r"\w+")


def ifeval_word_count(text: str) -> int:
    """Number of `\\w+` runs: nltk `RegexpTokenizer(r"\\w+")` exactly ("don't" is 2 words)."""
    return len(_WORD.findall(text))


def split_sentences(text: str) -> list[str]:
    """Punkt sentences of `text` (see the module docstring for the divergence from official)."""
    return punkt_sentences_abbrev(text)


def count_sentences(text: str) -> int:
    """Number of Punkt sentences; what `length_constraints:number_sentences` compares."""
    return len(split_sentences(text))


def word_tokenize(text: str) -> list[str]:
    """`nltk.word_tokenize` without the Punkt download: our sentences, then NLTK's word tokenizer.

    Sentence boundaries matter only for where a final period is split off a word, which never
    changes whether a token is all upper case.
    """
    return word_tokenize_abbrev(text)
