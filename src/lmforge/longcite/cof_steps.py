"""The deterministic parts of CoF (Coarse to Fine, spec B4): no model in here.

Step 1 draws a question type and language and reads numbered questions; step 2 budgets the
retrieval (``k = min(10, ceil(40 / n))`` chunks per answer sentence), de-duplicates and orders
the chunks, shows them as ``Snippet [j]`` and reads ``[j]`` citations (at most 5 a statement);
step 3 expands each cited chunk to the window ``[c-1, c+2)``, merges windows and renumbers the
document's sentences inside them locally; step 4 maps local ``[s-e]`` spans back to global
sentence numbers (clipped, at most 3), re-serialises the answer, and applies the 20% filter.

Chunks are 128-token windows of lmforge's approximate tokenizer (the official ones are
GLM-4-9B tokens, not fetchable offline). They tile the document exactly and carry character
offsets, so the official "locate the decoded window in the text" retries are not needed.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lmforge.text import Chunk, Sentence

from .numbering import NumberedContext
from .parse import Citation, Statement, serialize, walk_statements

__all__ = [
    "QUESTION_TYPES",
    "Window",
    "cited_answer",
    "cited_chunks",
    "draw_language",
    "draw_question_type",
    "expand_windows",
    "filter_reason",
    "global_spans",
    "parse_chunk_citations",
    "parse_numbered_questions",
    "retrieval_k",
    "snippet_block",
    "window_passage",
]

QuestionType = Literal["summary", "multihop", "general", "information"]
QUESTION_TYPES: tuple[QuestionType, ...] = ("summary", "multihop", "general", "information")
"""(a) summarise/integrate several parts, (b) multi-hop reasoning, (c) generic,
(d) information-seeking."""
MAX_CHUNK_CITES = 5
MAX_SENTENCE_SPANS = 3
_QUESTION = [re.compile(rf"{i}: (.*?)\n") for i in range(1, 5)] + [re.compile(r"5: (.*)", re.S)]
_CHUNK_ID = re.compile(r"\[([0-9]+)\]")
_LOCAL_SPAN = re.compile(r"\[([0-9]+)-([0-9]+)\]")


def draw_question_type(rng: random.Random, *, official_bug: bool = False) -> QuestionType:
    """Uniform over the four types. ``official_bug``: the official ``if rd < 0.25 ... if rd <
    0.5 ... elif`` chain, where type (a) is always overwritten: 50% multi-hop, 25% generic,
    25% information-seeking, never summary."""
    rd = rng.random()
    if not official_bug:
        return QUESTION_TYPES[min(int(rd * 4), 3)]
    if rd < 0.5:
        return "multihop"
    return "general" if rd < 0.75 else "information"


def draw_language(document_language: str, rng: random.Random, zh_share: float = 0.5) -> str:
    """Chinese documents get Chinese questions; English ones Chinese with ``zh_share``
    probability (official 0.5), else English."""
    if document_language == "zh":
        return "zh"
    return "zh" if rng.random() < zh_share else "en"


def parse_numbered_questions(text: str) -> list[str]:
    """Questions of a ``1: ... 5: ...`` reply (official regexes; missing numbers skipped)."""
    found = [m.group(1).strip() for p in _QUESTION if (m := p.search(text))]
    return [q for q in found if q]


def retrieval_k(n_sentences: int, budget: int = 40, per_sentence: int = 10) -> int:
    """Chunks kept per answer sentence: ``min(10, ceil(40 / n))``."""
    return min(per_sentence, math.ceil(budget / max(n_sentences, 1)))


def cited_chunks(hits: Sequence[Sequence[int]], chunks: Sequence[Chunk]) -> list[Chunk]:
    """The chunks retrieved for any sentence, de-duplicated by text, in document order."""
    seen: set[str] = set()
    out = []
    for index in sorted({i for per in hits for i in per}):
        if chunks[index].text not in seen:
            seen.add(chunks[index].text)
            out.append(chunks[index])
    return out


def snippet_block(chunks: Sequence[Chunk]) -> str:
    """``Snippet [1]\\ntext`` blocks joined by blank lines (numbered from 1)."""
    return "\n\n".join(f"Snippet [{j}]\n{c.text.strip()}" for j, c in enumerate(chunks, 1))


def parse_chunk_citations(cited_answer: str, shown: Sequence[Chunk]) -> list[dict[str, Any]]:
    """Statements of a chunk-cited answer (the official walk): ``[j]`` ids of shown snippets,
    valid ones only, first 5, each once, as document chunk indices; free text longer than 5
    characters is a statement without citations; shorter free text (``chunks`` None) is kept
    so the answer can be rebuilt."""
    out = []
    for text, cites in walk_statements(cited_answer):
        if cites is None:
            out.append({"statement": text, "chunks": None})
            continue
        ids = [int(j) for j in _CHUNK_ID.findall(cites) if 1 <= int(j) <= len(shown)]
        ids = list(dict.fromkeys(ids))[:MAX_CHUNK_CITES]
        out.append({"statement": text, "chunks": [shown[j - 1].index for j in ids]})
    return out


@dataclass(frozen=True)
class Window:
    """A merged chunk window ``[first, stop)`` and the characters it covers."""

    first: int
    stop: int
    start: int
    end: int


def expand_windows(cited: Sequence[int], chunks: Sequence[Chunk]) -> list[Window]:
    """Each cited chunk ``c`` widened to ``[c-1, c+2)`` (clipped), sorted, merged while the
    next window starts at or before the current one's end."""
    spans = sorted((max(0, c - 1), min(len(chunks), c + 2)) for c in cited)
    merged: list[list[int]] = []
    for first, stop in spans:
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([first, stop])
    return [Window(a, b, chunks[a].start, chunks[b - 1].end) for a, b in merged]


def window_passage(
    windows: Sequence[Window], sentences: Sequence[Sentence], text: str
) -> tuple[str, list[int]]:
    """The passage the extractor reads and the global index of each local ``<C{k}>``.

    Sentences whose start or end falls inside a window are kept, numbered locally and
    continuously across windows; a sentence's text runs to the next kept sentence's start
    within its window (the window's last to its own end); windows are joined by blank lines.
    """
    parts, local = [], []
    for window in windows:
        inside = [
            s
            for s in sentences
            if window.start <= s.start < window.end or window.start < s.end <= window.end
        ]
        pieces = []
        for j, sentence in enumerate(inside):
            stop = inside[j + 1].start if j + 1 < len(inside) else sentence.end
            pieces.append(f"<C{len(local)}>{text[sentence.start : stop]}")
            local.append(sentence.index)
        parts.append("".join(pieces))
    return "\n\n".join(p for p in parts if p), local


def global_spans(raw: str, local: Sequence[int]) -> list[tuple[int, int]]:
    """Local ``[s-e]`` spans of an extractor reply as global sentence numbers: clipped to the
    passage, malformed ones (end before start) dropped, the first 3 kept."""
    if not local:
        return []
    out = []
    for a, b in ((int(x), int(y)) for x, y in _LOCAL_SPAN.findall(raw)):
        a, b = min(max(a, 0), len(local) - 1), min(max(b, 0), len(local) - 1)
        if a <= b:
            out.append((local[a], local[b]))
    return out[:MAX_SENTENCE_SPANS]


def cited_answer(
    statements: Sequence[dict[str, Any]], context: NumberedContext
) -> tuple[str, list[Statement]]:
    """The final answer string with global ``[a-b]`` cites and its pieces; free text that is
    only whitespace (or short) kept verbatim."""
    pieces = []
    for st in statements:
        if st.get("spans") is None:
            pieces.append(Statement(st["statement"], None))
            continue
        cites = tuple(
            Citation(a, b, *context.span_offsets(a, b), context.span_text(a, b))
            for a, b in st["spans"]
        )
        pieces.append(Statement(st["statement"], cites))
    return serialize(pieces).strip(), pieces


def filter_reason(pieces: Sequence[Statement], min_share: float = 0.2) -> str | None:
    """Why CoF drops an instance: no statement cited, or >= 5 statements with fewer than 20%
    cited (the paper: too few citations signal an unfaithful answer); None keeps it."""
    statements = [p for p in pieces if p.citation is not None]
    cited = sum(bool(p.citation) for p in statements)
    if cited == 0:
        return "no statement has a citation"
    if len(statements) >= 5 and cited / len(statements) < min_share:
        return f"fewer than {min_share:.0%} of statements cited"
    return None
