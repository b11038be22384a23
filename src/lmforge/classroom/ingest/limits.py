"""Resource limits for deck ingestion, and the one error every rejected deck raises.

A deck is user input that may be hostile: a ZIP bomb renamed ``.pptx``, a 2,000-page PDF, a page
drawn 200 inches wide, a 3 MB PDF whose content stream inflates to 3 GiB, a PPTX whose one slide
is 400 MB of XML. Each limit is checked *before* the expensive step it protects (the ZIP central
directory before python-pptx inflates every part into memory, the decoded size of every PDF
stream before PDFium decodes one, the page count before any page is parsed, the pixel count
before a bitmap is allocated), so a rejection costs milliseconds and little memory, and the
error says which limit was hit, and its value, so a user with a real deck can raise it.
"""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel, Field

from lmforge.errors import InputError

__all__ = ["Deadline", "DeadlineError", "DeckError", "Limits"]

MIB = 1 << 20


class DeckError(InputError):
    """A file that cannot be ingested as a deck; the one-line message names the file and why."""

    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        super().__init__(message, path=path)


class DeadlineError(DeckError):
    """Ingestion ran past ``Limits.max_seconds``."""


class Limits(BaseModel):
    """Bounds on what one deck may cost; the defaults fit any real lecture deck."""

    max_file_bytes: int = Field(200 * MIB, gt=0)
    """Size of the file on disk."""

    max_unzipped_bytes: int = Field(512 * MIB, gt=0)
    """Sum of the uncompressed sizes in the PPTX's ZIP central directory; python-pptx holds every
    part in memory at once, so this is its memory bound."""

    max_compression_ratio: float = Field(200.0, gt=1)
    """Largest uncompressed/compressed ratio of one ZIP member (members under 1 MiB are exempt).
    XML deflates about 10-30x; a zero-filled bomb about 1,000x."""

    max_zip_entries: int = Field(20_000, gt=0)
    """Members in the ZIP (read from its end record before the directory is parsed)."""

    max_xml_part_bytes: int = Field(16 * MIB, gt=0)
    """Uncompressed size of one XML part of a PPTX (a slide, layout, chart, ``.rels``), from
    the ZIP directory. python-pptx parses every XML part into an lxml tree at open, at about
    15-20x the XML's size; a real slide is well under 1 MiB."""

    max_xml_bytes: int = Field(48 * MIB, gt=0)
    """Uncompressed size of all XML parts of a PPTX together (the trees live at once)."""

    max_pdf_stream_bytes: int = Field(64 * MIB, gt=0)
    """Decoded size of one PDF stream other than an image (page content, form, font, object
    stream), measured with bounded decoders before PDFium decodes it whole; also the bound on
    all object streams together. A real slide's content is well under 1 MiB."""

    max_pdf_page_bytes: int = Field(64 * MIB, gt=0)
    """Decoded size of one PDF page's content streams together (PDFium joins them)."""

    max_pdf_decoded_bytes: int = Field(512 * MIB, gt=0)
    """Decoded size of every page's content plus every other non-image stream of a PDF: the
    work PDFium does to read the text."""

    max_pdf_image_pixels: int = Field(100_000_000, gt=0)
    """Largest image a PDF may declare (``/Width`` x ``/Height``); images are decoded only to
    render a page."""

    max_pages: int = Field(500, gt=0)
    """Slides or PDF pages."""

    max_seconds: float = Field(120.0, gt=0)
    """Wall-clock budget for the whole ingestion, checked between pages; LibreOffice gets what
    is left of it as its subprocess timeout."""

    max_image_pixels: int = Field(4_000_000, gt=0)
    """Largest rendered page bitmap (width x height); the render scale shrinks to fit."""

    max_memory_bytes: int = Field(1024 * MIB, gt=0)
    """Address-space cap (``RLIMIT_AS``) of the child process when ingestion runs isolated
    (``load_deck(..., isolated=True)``, what ``lmforge classroom pages|prepare|regenerate``
    do); in-process ingestion relies on the limits above. A deck that needs more is refused
    with one line naming this limit."""


class Deadline:
    """The time left of ``Limits.max_seconds``; ``check`` raises once it has passed."""

    def __init__(self, seconds: float, path: Path) -> None:
        self.seconds = seconds
        self.path = path
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def check(self, where: str) -> None:
        if time.monotonic() > self._end:
            raise DeadlineError(
                f"ingestion took longer than the {self.seconds:g} s limit ({where})", path=self.path
            )
