"""A slide deck as the rest of the classroom sees it: ordered pages of text and an optional image.

Ingestion (PPTX, PDF) produces a `Deck`; Read/Plan consume it. Keeping this model free of any
parser means the lecture engine and the web app never import python-pptx or pypdfium2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class Page(BaseModel):
    """One slide or PDF page."""

    index: int = Field(ge=1, description="1-based position in the deck.")
    title: str = ""
    text: str = Field("", description="All text on the page (title first), tables as rows.")
    notes: str = Field("", description="Speaker notes (PPTX only).")
    image: Path | None = Field(None, description="Rendered PNG of the page, when available.")


class Deck(BaseModel):
    """An ingested deck; `name` is the file stem and becomes the agenda's root title."""

    name: str
    source: Path
    kind: Literal["pptx", "pdf"]
    pages: list[Page]

    def page(self, index: int) -> Page:
        return self.pages[index - 1]


def check_deck(path: str | Path) -> Path:
    """The deck path, checked before anything is read, written or built: a regular readable
    file (:func:`lmforge.inputs.check_file`: no folder, FIFO, device, missing file) whose first
    bytes say PPTX or PDF (the ingest's own sniff: an empty file or anything else is refused).
    Raises :class:`~lmforge.errors.InputError` in one line; the ingest checks the rest."""
    from lmforge.classroom.ingest.detect import sniff
    from lmforge.classroom.ingest.limits import Limits
    from lmforge.inputs import check_file, input_limits

    input_limits()  # a bad LMFORGE_MAX_* is refused here too, not only where JSON is read
    path = check_file(path, what="deck (.pptx or .pdf)")
    sniff(path, Limits())
    return path
