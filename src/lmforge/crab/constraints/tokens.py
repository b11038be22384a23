"""Counting units shared by constraint generators and checkers, computed once per response.

CRAB's stage 1.3 counts with nltk `word_tokenize`/`sent_tokenize`, which need the trained Punkt
model that nltk downloads at run time; nothing here may download. We use the offline equivalent
from `lmforge.text.tokens`: an untrained `PunktSentenceTokenizer` for sentences
(`punkt_sentences`, no abbreviation list) and `NLTKWordTokenizer` (the regex tokenizer inside
`word_tokenize`) for words; language codes come from `lmforge.text.lang`'s seeded langdetect.
Deviation (quirk Q9): without the trained abbreviation list, "Mr." or "e.g." may end a
sentence, so sentence counts can differ from the official ones a little, and such an
abbreviation then yields two tokens ("Mr", ".") instead of one. Punctuation marks count as
tokens, as in the official code, so these units are NOT IFEval's word counts.

A generator and its checker must agree on these units, otherwise a constraint written from a
response would not hold on that same response. `ResponseView` computes each unit lazily and
`view_of` caches views, so checking many constraints against one response tokenises it once.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache

from lmforge.text.lang import detect_language_code
from lmforge.text.tokens import punkt_sentences as sentence_tokenize
from lmforge.text.tokens import treebank_words, word_tokenize

__all__ = [
    "ResponseView",
    "as_view",
    "detect_language_code",
    "sentence_tokenize",
    "view_of",
    "word_tokenize",
]


class ResponseView:
    """One response and every counting unit a checker needs, each computed on first use."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def tokens(self) -> list[str]:
        """Tokens of the whole text (the `Digit` unit)."""
        return word_tokenize(self.text)

    @cached_property
    def lines(self) -> list[str]:
        """Lines that are not the empty string (the official paragraph unit, split on "\\n")."""
        return [line for line in self.text.split("\n") if line != ""]

    @cached_property
    def line_sentences(self) -> list[list[list[str]]]:
        """For each line, its sentences, each as a token list (`Sentence`/`Paragraph`/`Word`)."""
        return [[treebank_words(s) for s in sentence_tokenize(line)] for line in self.lines]

    @cached_property
    def max_sentence_tokens(self) -> int:
        return max((len(s) for line in self.line_sentences for s in line), default=0)

    @cached_property
    def sentence_counts(self) -> list[int]:
        """Sentences per line, one entry per line (0 for a whitespace-only line)."""
        return [len(line) for line in self.line_sentences]

    @cached_property
    def token_lengths(self) -> list[int]:
        """Character length of each token inside the per-line sentences."""
        return [len(t) for line in self.line_sentences for s in line for t in s]

    @cached_property
    def language(self) -> str:
        """langdetect code of the whole text (seeded)."""
        return detect_language_code(self.text)

    @cached_property
    def folded(self) -> str:
        """Lower-cased text with runs of whitespace collapsed, for phrase look-ups."""
        return " ".join(self.text.lower().split())

    @cached_property
    def blocks(self) -> list[str]:
        """Blank-line separated blocks (what a reader calls paragraphs)."""
        return [b for b in re.split(r"\n\s*\n", self.text.strip()) if b.strip()]


@lru_cache(maxsize=512)
def view_of(text: str) -> ResponseView:
    """The shared, cached view of a response: many checks, one tokenisation."""
    return ResponseView(text)


def as_view(response: str | ResponseView) -> ResponseView:
    """Accept either a raw response or a prepared view."""
    return response if isinstance(response, ResponseView) else view_of(response)
