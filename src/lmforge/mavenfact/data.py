"""Reading MAVEN-Fact data: document files as they are released, and mention-level views.

A classifier sees one instance per event **mention**: the sentence rebuilt from its tokens with
the trigger wrapped in ``<e> ... </e>`` (the official baselines' marking), its label, and where
it came from. :func:`load_mentions` reads either kind of file a user has (a MAVEN-Fact /
MAVEN-ERE document file, or mention-level JSONL such as ``meantime_en_mentions.jsonl``) and
returns the same rows, so every command takes both.

The optional extras of spec 2.4 are built too: ``arguments`` ("type: Agent text: ...; " per
argument, its first mention) and the sentences of the events that CAUSE the target (their
triggers wrapped ``<c> ... </c>``) or are its PRECONDITION (``<p> ... </p>``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from lmforge.errors import InputError
from lmforge.pipeline.records import check_row, iter_jsonl

from .labels import LABELS, normalise_label
from .schema import Document, Event, Mention, check_document

__all__ = [
    "MentionRow",
    "document_mentions",
    "is_document_file",
    "label_stats",
    "load_documents",
    "load_mentions",
    "mark",
]

OPEN, CLOSE = "<e>", "</e>"


class MentionRow(BaseModel):
    """A mention-level input row: ``mention_id`` (or ``id``) and ``text`` with ``<e>...</e>``
    around the trigger; ``label`` when it is gold data."""

    model_config = ConfigDict(extra="allow")

    mention_id: str | int | None = None
    id: str | int | None = None
    text: str
    label: str | None = None

    @model_validator(mode="after")
    def _ids_and_marks(self) -> MentionRow:
        if self.mention_id in (None, "") and self.id in (None, ""):
            raise ValueError("a mention row needs mention_id or id")
        start, end = self.text.find(OPEN), self.text.find(CLOSE)
        if start < 0 or end < start:
            raise ValueError("text must wrap the trigger in <e> ... </e>")
        return self


def mark(tokens: list[str], start: int, end: int, open_: str = OPEN, close: str = CLOSE) -> str:
    """The sentence with tokens ``[start, end)`` wrapped in the markers, tokens joined by spaces."""
    return " ".join([*tokens[:start], open_, *tokens[start:end], close, *tokens[end:]])


def load_documents(path: str | Path) -> list[Document]:
    """Every document of a MAVEN-Fact file, each checked (file:line and field on error)."""
    docs = [check_document(row, path=path, line=line) for line, row in iter_jsonl(path)]
    seen: set[str] = set()
    for doc in docs:
        if str(doc.id) in seen:
            raise InputError(f"duplicate document id {doc.id!r}", path=path, field="id")
        seen.add(str(doc.id))
    return docs


def _argument_text(event: Event) -> str:
    parts = []
    for arg in event.arguments or ():
        if arg.mentions:
            parts.append(f"type: {arg.type} text: {arg.mentions[0].mention}; ")
    return "".join(parts)


def _related(doc: Document, kind: str, target: Any, marks: tuple[str, str]) -> list[str]:
    """Sentences of the events that stand in relation ``kind`` (CAUSE, PRECONDITION) to
    ``target``, each with that event's first trigger wrapped in ``marks``."""
    pairs = (doc.causal_relation or {}).get(kind, [])
    sources = {str(a) for a, b in pairs if str(b) == str(target)}
    out = []
    for event in doc.events:
        if str(event.id) in sources and event.mention:
            first = event.mention[0]
            out.append(mark(doc.tokens[first.sent_id], *first.offset, *marks))
    return out


def _mention_row(doc: Document, event: Event, mention: Mention) -> dict[str, Any]:
    tokens = doc.tokens[mention.sent_id]
    return {
        "id": str(mention.id),
        "mention_id": str(mention.id),
        "doc_id": str(doc.id),
        "event_id": str(event.id),
        "event_type": event.type,
        "text": mark(tokens, *mention.offset),
        "trigger_word": mention.trigger_word,
        "sent_id": mention.sent_id,
        "offset": list(mention.offset),
        "tokens": tokens,
        "label": normalise_label(mention.factuality),
        "evidence_word": mention.evidence_word,
        "evidence_offset": [list(p) for p in mention.evidence_offset or ()] or None,
        "arguments": _argument_text(event),
        "causes": _related(doc, "CAUSE", event.id, ("<c>", "</c>")),
        "preconditions": _related(doc, "PRECONDITION", event.id, ("<p>", "</p>")),
    }


def document_mentions(docs: Iterable[Document]) -> list[dict[str, Any]]:
    """One row per event mention, in document, event and mention order."""
    return [_mention_row(d, e, m) for d in docs for e in d.events for m in e.mention]


def is_document_file(path: str | Path) -> bool:
    """Whether the file holds documents (rows with ``events``) rather than mention rows."""
    for _, row in iter_jsonl(path):
        return "events" in row
    return False


def _mention_file(path: str | Path) -> list[dict[str, Any]]:
    rows, seen = [], set()
    for line, row in iter_jsonl(path):
        checked = check_row(MentionRow, row, path=path, line=line)
        rid = str(checked.mention_id if checked.mention_id not in (None, "") else checked.id)
        if rid in seen:
            raise InputError(f"duplicate mention id {rid!r}", path=path, line=line)
        seen.add(rid)
        label = row.get("label")
        if label is not None and normalise_label(label) is None:
            raise InputError(
                f"unknown label {label!r} (expected CT+ CT- PS+ PS- Uu)",
                path=path, line=line, field="label",
            )  # fmt: skip
        rows.append({**row, "id": rid, "mention_id": rid, "label": normalise_label(label)})
    return rows


def load_mentions(path: str | Path) -> list[dict[str, Any]]:
    """Mention rows (``id`` = ``mention_id``, ``text`` marked, ``label`` or None) from a
    document file or a mention-level JSONL file."""
    if is_document_file(path):
        return document_mentions(load_documents(path))
    return _mention_file(path)


def label_stats(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Counts and shares of the five labels (and of unlabelled mentions), plus the majority."""
    counts = Counter(row.get("label") for row in rows)
    total = sum(counts.values())
    out: dict[str, Any] = {"mentions": total}
    for label in LABELS:
        out[label] = counts.get(label, 0)
    if counts.get(None):
        out["unlabelled"] = counts[None]
    labelled = total - counts.get(None, 0)
    out["shares"] = {
        label: round(counts.get(label, 0) / labelled, 4) if labelled else 0.0 for label in LABELS
    }
    out["majority"] = max(LABELS, key=lambda lab: counts.get(lab, 0)) if labelled else None
    return out
