"""Slide ingestion: a PPTX or PDF file becomes a :class:`~lmforge.classroom.deck.Deck`.

The kind is read from the file's bytes, never its name. Every refusal is a :class:`DeckError`
(an ``InputError``) whose one line names the file and the reason, raised before the costly step
it guards (see :class:`Limits`). Page images: PDFs are rendered with PDFium when ``images_dir``
is given; PPTX pages only when LibreOffice is installed, otherwise they keep their text and have
no image.

Names resolve lazily (PEP 562): python-pptx, lxml and PDFium load only when a deck is read, so
importing the classroom CLI or web app stays cheap.
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports

_EXPORTS = export_table(
    """
load: load_deck format_pages
limits: Limits DeckError DeadlineError
render: find_soffice
"""
)

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
