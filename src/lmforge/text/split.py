"""Sentence, paragraph and token-window splitting with character offsets into the source text.

Every piece carries `start`/`end` so that citations, highlights and retrieval hits can point back
into the original document (`text[start:end] == piece.text`). Sentence splitting follows the
official LongCite rule exactly, because LongBench-Cite scores refer to its sentence indices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lmforge.text.count import count_tokens, token_spans
from lmforge.text.tokens import punkt_sentences

__all__ = [
    "Chunk",
    "Paragraph",
    "Sentence",
    "Span",
    "chunk_by_sentences",
    "chunk_by_tokens",
    "split_paragraphs",
    "split_sentences",
]

_CJK_MARKS = "。；！？"
_CJK_SENTENCE_END = re.compile(f"([{_CJK_MARKS}])")
_PARAGRAPH_BREAK = re.compile(r"(\n[^\S\n]*\n\s*)")


@dataclass(frozen=True)
class Span:
    """A piece of a text: its position in the list, its text, and where it sits in the source."""

    index: int
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Sentence(Span):
    """One sentence as `split_sentences` cuts it (LongCite's unit of citation)."""


@dataclass(frozen=True)
class Paragraph(Span):
    """One blank-line separated block."""


@dataclass(frozen=True)
class Chunk(Span):
    """A window of a text; `n_tokens` is counted with the tokenizer that cut it."""

    n_tokens: int = 0


def _sentence_pieces(text: str) -> list[str]:
    """LongCite's `text_split_by_punctuation`, steps 1-4, quirks included.

    A captured CJK mark is glued onto the element just before it even when that element is an
    empty string, so "好？！" gives ["好？", "！"]; that is what the official code does.
    """
    pieces: list[str] = []
    for piece in punkt_sentences(text):
        if any(mark in piece for mark in _CJK_MARKS):  # most pieces have none: skip the regex
            pieces.extend(_CJK_SENTENCE_END.split(piece))
        else:
            pieces.append(piece)
    for i in range(1, len(pieces)):
        if pieces[i][:1] in _CJK_MARKS and pieces[i]:  # the piece starts with a mark
            pieces[i - 1] += pieces[i]
            pieces[i] = ""
    pieces = [p for p in pieces if p != ""]
    if len(pieces) == 1:
        pieces = text.split("\n\n")
    return [p.strip() for p in pieces if p.strip() != ""]


def _locate(text: str, piece: str, pos: int) -> tuple[int, int, str]:
    """Where `piece` sits in `text` at or after `pos`.

    The official code asserts the piece is found. It is not when a CJK mark that starts a Punkt
    sentence got glued across the whitespace ending the previous one; then we match with any
    whitespace between the characters and report the source text, so offsets always hold.
    """
    start = text.find(piece, pos)
    if start != -1:
        return start, start + len(piece), piece
    pattern = r"\s*".join(re.escape(ch) for ch in piece)
    match = re.compile(pattern).search(text, pos)
    if match is None:  # cannot happen for pieces cut from `text`; guard against silent garbage
        raise ValueError(f"sentence not found in text after offset {pos}: {piece[:60]!r}")
    return match.start(), match.end(), match.group()


def split_sentences(text: str) -> list[Sentence]:
    """Split English and/or Chinese text into sentences with offsets (official LongCite rule).

    Rule: untrained NLTK Punkt, then a further split after 。；！？ (mark kept on the left); if only
    one piece results, fall back to blank-line paragraphs; strip and drop blanks; offsets found
    left to right with `text.find`.
    """
    sentences: list[Sentence] = []
    pos = 0
    for index, piece in enumerate(_sentence_pieces(text)):
        start, end, found = _locate(text, piece, pos)
        sentences.append(Sentence(index=index, text=found, start=start, end=end))
        pos = end
    return sentences


def split_paragraphs(text: str) -> list[Paragraph]:
    """Blocks separated by one or more blank lines (whitespace-only lines count as blank)."""
    paragraphs: list[Paragraph] = []
    pos = 0
    for part in _PARAGRAPH_BREAK.split(text):
        stripped = part.strip()
        if stripped and not _PARAGRAPH_BREAK.fullmatch(part):
            start = pos + len(part) - len(part.lstrip())
            paragraphs.append(Paragraph(len(paragraphs), stripped, start, start + len(stripped)))
        pos += len(part)
    return paragraphs


def chunk_by_tokens(text: str, size: int, overlap: int = 0, tokenizer: Any = None) -> list[Chunk]:
    """Windows of `size` tokens, consecutive windows sharing `overlap` tokens.

    Boundaries fall at token starts and each window runs to the start of the first token after
    it, so with `overlap=0` the chunks tile the text exactly (`"".join(c.text) == text`) and no
    whitespace or character is lost. Without `tokenizer` token counts are approximate (see
    `count_tokens`).
    """
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"need size > 0 and 0 <= overlap < size, got {size=} {overlap=}")
    spans = token_spans(text, tokenizer)
    n = len(spans)
    chunks: list[Chunk] = []
    first = 0
    while first < n:
        last = min(first + size, n)
        start = 0 if first == 0 else spans[first][0]
        end = len(text) if last == n else spans[last][0]
        chunks.append(Chunk(len(chunks), text[start:end], start, end, last - first))
        if last == n:
            break
        first += size - overlap
    return chunks


def chunk_by_sentences(text: str, max_tokens: int, tokenizer: Any = None) -> list[Chunk]:
    """Greedy packing of whole sentences into chunks of at most `max_tokens` tokens.

    Keeps citations and retrieval units sentence-aligned. A sentence longer than `max_tokens`
    on its own is cut with `chunk_by_tokens`. A chunk's text is the source from its first
    sentence's start to its last sentence's end, so inner whitespace is kept and the gaps
    between chunks are whitespace only. `n_tokens` sums the sentences' counts.
    """
    if max_tokens <= 0:
        raise ValueError(f"max_tokens must be positive, got {max_tokens}")
    groups: list[tuple[int, int, int]] = []  # (start, end, n_tokens)
    for sentence in split_sentences(text):
        n = count_tokens(sentence.text, tokenizer)
        if n > max_tokens:
            for piece in chunk_by_tokens(sentence.text, max_tokens, tokenizer=tokenizer):
                start = sentence.start + piece.start
                groups.append((start, start + len(piece.text), piece.n_tokens))
        elif groups and groups[-1][2] + n <= max_tokens:
            start, _, used = groups[-1]
            groups[-1] = (start, sentence.end, used + n)
        else:
            groups.append((sentence.start, sentence.end, n))
    return [Chunk(i, text[s:e], s, e, n) for i, (s, e, n) in enumerate(groups)]
