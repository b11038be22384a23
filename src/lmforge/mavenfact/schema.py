"""The MAVEN-Fact document schema (MAVEN-ERE's format plus factuality), checked row by row.

One JSON document per line::

    id, title, tokens[[..]] (per sentence), sentences[..], events: [{id, type, type_id,
      mention: [{id, trigger_word, sent_id, offset: [start, end) token indices in that sentence,
                 factuality, evidence_word, evidence_offset: [[sent_id, tok_idx], ..]}],
      arguments: [{mentions: [{mention, offset}], type}]}],
    TIMEX, temporal_relations, causal_relation {CAUSE, PRECONDITION}, subevent_relations

The official test file withholds the labels (as MAVEN-ERE does), so ``factuality`` may be
missing or null; everything else a classifier needs is required. The models accept extra fields
(MEANTIME's ``meantime`` attributes, MAVEN-Arg details), so real files load as they are.
Beyond types, :func:`check_document` checks what pydantic cannot: every ``sent_id`` names a
sentence, every offset lies inside it, and a label is one of the five; each error names the
file, the line and the field path (``events.3.mention.0.offset``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lmforge.errors import InputError

from .labels import normalise_label

__all__ = ["Argument", "Document", "Event", "Mention", "check_document"]


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow")


class Mention(_Row):
    """One event mention: where its trigger is, and its factuality."""

    id: str | int
    trigger_word: str
    sent_id: int = Field(ge=0)
    offset: tuple[int, int]
    factuality: str | None = None
    evidence_word: list[str] | None = None
    evidence_offset: list[tuple[int, int]] | None = None


class ArgumentMention(_Row):
    mention: str
    offset: tuple[int, int] | None = None


class Argument(_Row):
    type: str
    mentions: list[ArgumentMention] = Field(default_factory=list)


class Event(_Row):
    id: str | int
    type: str | None = None
    type_id: int | None = None
    mention: list[Mention]
    arguments: list[Argument] | None = None


class Document(_Row):
    id: str | int
    title: str | None = None
    tokens: list[list[str]]
    sentences: list[str] | None = None
    events: list[Event]
    causal_relation: dict[str, list[tuple[str | int, str | int]]] | None = None


def _where(e: int, m: int, name: str) -> str:
    return f"events.{e}.mention.{m}.{name}"


def _check_mention(doc: Document, e: int, m: int, mention: Mention, path: Path, line: int) -> None:
    def fail(message: str, name: str) -> None:
        raise InputError(message, path=path, line=line, field=_where(e, m, name))

    if mention.sent_id >= len(doc.tokens):
        fail(f"sentence {mention.sent_id} does not exist ({len(doc.tokens)} sentences)", "sent_id")
    start, end = mention.offset
    size = len(doc.tokens[mention.sent_id])
    if not 0 <= start < end <= size:
        fail(f"[{start}, {end}) is not a token span of a {size}-token sentence", "offset")
    if mention.factuality is not None and normalise_label(mention.factuality) is None:
        fail(f"unknown label {mention.factuality!r} (expected CT+ CT- PS+ PS- Uu)", "factuality")
    for k, (sent, tok) in enumerate(mention.evidence_offset or ()):
        if not (0 <= sent < len(doc.tokens) and 0 <= tok < len(doc.tokens[sent])):
            fail(f"[{sent}, {tok}] is not a token of the document", f"evidence_offset.{k}")


def check_document(row: dict[str, Any], *, path: str | Path, line: int) -> Document:
    """The row as a :class:`Document`, or an ``InputError`` naming file, line and field."""
    from lmforge.pipeline.records import check_row

    path = Path(path)
    doc = check_row(Document, row, path=path, line=line)
    if not doc.tokens:
        raise InputError("a document needs at least one sentence", path=path, line=line,
                         field="tokens")  # fmt: skip
    for e, event in enumerate(doc.events):
        for m, mention in enumerate(event.mention):
            _check_mention(doc, e, m, mention, path, line)
    return doc
