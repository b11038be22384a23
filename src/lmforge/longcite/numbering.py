"""The ``<C{i}>`` numbered context: LongCite's unit of citation.

Sentences come from the shared splitter :func:`lmforge.text.split_sentences`, which is the
official ``text_split_by_punctuation`` (untrained Punkt, then 。；！？, the blank-line fallback,
strip, offsets by ``text.find`` from the previous end). What this module adds is the official
*chunk* of each sentence: ``text[start_i : start_{i+1}]`` (the last runs to the end of the
text), so the whitespace after a sentence belongs to it and the numbered context loses nothing
but the leading whitespace before the first sentence. A citation span ``[a-b]`` is the text
``chunk_a + ... + chunk_b``, at characters ``start_a`` .. ``start_{b+1}`` (or the end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter

from lmforge.text import Sentence, split_sentences

__all__ = ["NumberedContext", "number_context", "unnumber"]

_MARK = re.compile(r"<C(\d+)>")
_START = attrgetter("start")


@dataclass(frozen=True)
class NumberedContext:
    """A document cut into sentences, each with its official chunk text."""

    text: str
    sentences: tuple[Sentence, ...]

    def __len__(self) -> int:
        return len(self.sentences)

    @cached_property
    def bounds(self) -> tuple[tuple[int, int], ...]:
        """(start, end) of each chunk: end is the next sentence's start, or the text's end."""
        starts = list(map(_START, self.sentences))
        ends = [*starts[1:], len(self.text)] if starts else []  # no sentence: no chunk
        return tuple(zip(starts, ends, strict=True))

    @cached_property
    def chunks(self) -> tuple[str, ...]:
        """Chunk texts, in order (``<C{i}>`` is put before ``chunks[i]``)."""
        return tuple(self.text[s:e] for s, e in self.bounds)

    def render(self) -> str:
        """The numbered context the model reads: ``<C0>chunk0<C1>chunk1...``.

        (``map`` over ``str.format`` rather than an f-string generator: the same text, with
        the per-sentence loop in C; a 1 MB document has ~40k chunks.)"""
        return "".join(map("<C{}>{}".format, range(len(self.chunks)), self.chunks))

    def span_text(self, first: int, last: int) -> str:
        """Text cited by ``[first-last]`` (both ends included, already clipped)."""
        return "".join(self.chunks[first : last + 1])

    def span_offsets(self, first: int, last: int) -> tuple[int, int]:
        """Character offsets of ``[first-last]`` in :attr:`text`."""
        return self.bounds[first][0], self.bounds[last][1]


def number_context(text: str) -> NumberedContext:
    """Split ``text`` by the official rule and number it (see the module docstring)."""
    return NumberedContext(text, tuple(split_sentences(text)))


def unnumber(numbered: str) -> str:
    """The text of a numbered context with its ``<C{i}>`` marks removed."""
    return _MARK.sub("", numbered)
