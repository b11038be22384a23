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
