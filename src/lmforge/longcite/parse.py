"""Reading a cited answer: ``<statement>S<cite>[a-b][c-d]</cite></statement>`` blocks.

The walk is the official one (LongCite's ``postprocess`` / ``get_citations``, spec B8):

- text between statements whose strip is longer than 5 characters is itself a statement with
  no citation (and is evaluated: the need-citation judge decides whether it needed one); shorter
  text is kept verbatim as free text (``citation is None``), not evaluated;
- an unclosed ``<statement>`` ends the walk (its content is lost, as officially);
- spans are ``[a-b]`` only (a bare ``[5]`` is ignored), in order: a span starting past the last
  sentence or ending before it starts is skipped, the rest are clipped to the document, a span
  starting right after the previous kept span's end extends it (adjacent spans merge), and the
  first 3 merged spans are kept; a span's text is its chunks' text (``numbering``).

:func:`repair_tags` fixes the tag typos small and large models make (spec B4, step 2); the
official scorer applies only the first of them (a reply opening with ``statement>``), so it is
applied by the callers that generate, never silently to predictions being scored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .numbering import NumberedContext

__all__ = [
    "MAX_SPANS",
    "Citation",
    "ParsedAnswer",
    "Statement",
    "parse_answer",
    "parse_spans",
    "repair_tags",
    "serialize",
    "strip_citations",
    "walk_statements",
]

MAX_SPANS = 3
"""Citations kept per statement (official ``merged_citations[:3]``)."""
OPEN, CLOSE = "<statement>", "</statement>"
_CITE = re.compile(r"<cite>(.*?)</cite>", re.DOTALL)
_SPAN = re.compile(r"\[([0-9]+)-([0-9]+)\]")


@dataclass(frozen=True)
class Citation:
    """One merged span: sentence indices (both ends included), character offsets, text."""

    start_sentence_idx: int
    end_sentence_idx: int
    start_char_idx: int
    end_char_idx: int
    cite: str

    def as_dict(self) -> dict[str, Any]:
        """The official prediction-record shape (SFT path)."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Statement:
    """A statement and its citations; ``citation is None`` marks free text (not evaluated)."""

    statement: str
    citation: tuple[Citation, ...] | None = ()

    def as_dict(self) -> dict[str, Any]:
        cites = None if self.citation is None else [c.as_dict() for c in self.citation]
        return {"statement": self.statement, "citation": cites}


@dataclass(frozen=True)
class ParsedAnswer:
    """Every piece of an answer in order, and the normalised answer string."""

    pieces: tuple[Statement, ...]
    answer: str = field(default="")

    @property
    def statements(self) -> list[Statement]:
        """The evaluated statements (official ``statements_with_citations``)."""
        return [p for p in self.pieces if p.citation is not None]


def parse_spans(cite_text: str) -> list[tuple[int, int]]:
    """``(a, b)`` of every ``[a-b]`` in ``cite_text``, in order, as written."""
    return [(int(a), int(b)) for a, b in _SPAN.findall(cite_text)]


def _citations(
    spans: list[tuple[int, int]], context: NumberedContext, max_spans: int
) -> tuple[Citation, ...]:
    last = len(context) - 1
    merged: list[list[int]] = []
    for first, end in spans:
        if first > last or end < first:
            continue
        first, end = max(0, first), min(end, last)
        if merged and first == merged[-1][1] + 1:
            merged[-1][1] = end
        else:
            merged.append([first, end])
    out = []
    for first, end in merged[:max_spans]:
        start_char, end_char = context.span_offsets(first, end)
        out.append(Citation(first, end, start_char, end_char, context.span_text(first, end)))
    return tuple(out)


def walk_statements(answer: str) -> list[tuple[str, str | None]]:
    """The official walk as ``(text, cite text)`` pieces: cite text None marks free text,
    ``""`` a statement without citations (module docstring for the rules)."""
    pieces: list[tuple[str, str | None]] = []
    pos = 0
    while True:
        st = answer.find(OPEN, pos)
        if st == -1:
            st = len(answer)
        ed = answer.find(CLOSE, st)
        between = answer[pos:st]
        pieces.append((between, "" if len(between.strip()) > 5 else None))
        if ed == -1:
            break
        inner = answer[st + len(OPEN) : ed]
        if inner.strip():
            pieces.append((_CITE.sub("", inner), "".join(_CITE.findall(inner))))
        else:
            pieces.append((inner, None))
        pos = ed + len(CLOSE)
    return [(text, cites) for text, cites in pieces if cites is not None or text]


def parse_answer(
    answer: str, context: NumberedContext, *, max_spans: int = MAX_SPANS
) -> ParsedAnswer:
    """Walk ``answer`` as the official code does (module docstring); spans index ``context``."""
    pieces = [
        Statement(
            text, None if cites is None else _citations(parse_spans(cites), context, max_spans)
        )
        for text, cites in walk_statements(answer)
    ]
    return ParsedAnswer(tuple(pieces), serialize(pieces).strip())


def serialize(pieces: list[Statement] | tuple[Statement, ...]) -> str:
    """The answer string of ``pieces``: statements with ``[a-b]`` cites, free text verbatim."""
    out = []
    for piece in pieces:
        if piece.citation is None:
            out.append(piece.statement)
            continue
        spans = "".join(f"[{c.start_sentence_idx}-{c.end_sentence_idx}]" for c in piece.citation)
        out.append(f"{OPEN}{piece.statement}<cite>{spans}</cite>{CLOSE}")
    return "".join(out)


_REPAIRS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<\s*(/?)\s*(statement|cite)\s*>"), r"<\1\2>"),  # "< cite>", "</ statement >"
    (re.compile(r"<statement[ ,;:]"), OPEN),  # "<statement " / "<statement,"
    (re.compile(r"(?<![</])statement>"), OPEN),  # "statement>" with its "<" lost
    (re.compile(r"(?:<statement>\s*){2,}"), OPEN),  # doubled tags
    (re.compile(r"(?:</statement>\s*){2,}"), CLOSE),
    (re.compile(r"(?:<cite>){2,}"), "<cite>"),
    (re.compile(r"(?:</cite>){2,}"), "</cite>"),
    # a stray </statement> before the cite block: "S</statement><cite>..</cite></statement>"
    (re.compile(r"</statement>\s*(<cite>[^<]*</cite>)\s*</statement>"), r"\1</statement>"),
)


def repair_tags(text: str) -> str:
    """``text`` with the common statement/cite tag typos fixed (module docstring)."""
    for pattern, replacement in _REPAIRS:
        text = pattern.sub(replacement, text)
    return text


def strip_citations(answer: str) -> str:
    """The answer as plain text: cite blocks removed, statement tags dropped (official
    ``eval_correct.py``; also the need-citation judge's view of the whole response)."""
    return _CITE.sub("", answer).replace(OPEN, "").replace(CLOSE, "")
