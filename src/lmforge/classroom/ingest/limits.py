"""Resource limits for deck ingestion, and the one error every rejected deck raises.

A deck is user input that may be hostile: a ZIP bomb renamed ``.pptx``, a 2,000-page PDF, a page
drawn 200 inches wide. Each limit is checked *before* the expensive step it protects (the ZIP
central directory before python-pptx inflates every part into memory, the page count before any
page is parsed, the pixel count before a bitmap is allocated), so a rejection costs milliseconds
and no memory, and the error says which limit was hit so a user with a real deck can raise it.
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

    max_pages: int = Field(500, gt=0)
    """Slides or PDF pages."""

    max_seconds: float = Field(120.0, gt=0)
    """Wall-clock budget for the whole ingestion, checked between pages; LibreOffice gets what
    is left of it as its subprocess timeout."""

    max_image_pixels: int = Field(4_000_000, gt=0)
    """Largest rendered page bitmap (width x height); the render scale shrinks to fit."""

    max_memory_bytes: int = Field(2048 * MIB, gt=0)
    """Address-space cap (``RLIMIT_AS``) of the child process when ingestion runs isolated
    (``load_deck(..., isolated=True)``); in-process ingestion relies on the limits above."""


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
