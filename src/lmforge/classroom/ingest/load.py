"""Deck loading: sniff the kind, check the limits, read the pages, render images when asked.

This is the one function the CLI, the web app and the preparation pipeline call; the readers it
dispatches to stay independent of each other so a PDF never imports python-pptx's code path.
"""

from __future__ import annotations

from pathlib import Path

from lmforge.classroom.deck import Deck, Page
from lmforge.classroom.ingest.detect import check_zip, sniff
from lmforge.classroom.ingest.limits import Deadline, Limits
from lmforge.classroom.ingest.pdf_reader import read_pdf, render_pages
from lmforge.classroom.ingest.pdf_scan import check_pdf
from lmforge.classroom.ingest.pptx_reader import read_pptx
from lmforge.classroom.ingest.render import render_pptx

__all__ = ["format_pages", "load_deck"]


def load_deck(
    path: str | Path,
    *,
    images_dir: str | Path | None = None,
    limits: Limits | None = None,
    image_width: int = 1280,
    isolated: bool = False,
) -> Deck:
    """Read a deck; with ``images_dir``, also write one PNG per page there (``STEM-pNNN.png``).

    Raises :class:`DeckError` for a file that is not a deck, is damaged or encrypted, or breaks a
    limit (:class:`DeadlineError` when it runs past ``limits.max_seconds``). ``isolated=True``
    runs the same work in a child process under a hard memory cap and a hard time limit (for
    uploads from strangers; about a second more per deck).
    """
    if image_width < 16:
        raise ValueError(f"image_width must be at least 16 pixels, got {image_width}")
    path = Path(path)
    limits = limits or Limits()
    if isolated:
        from lmforge.classroom.ingest.isolated import load_isolated

        out_dir = None if images_dir is None else Path(images_dir)
        return load_isolated(path, out_dir, limits, image_width)
    deadline = Deadline(limits.max_seconds, path)
    kind = sniff(path, limits)
    out = Path(images_dir) if images_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    if kind == "pptx":
        check_zip(path, limits)
        pages, hidden = read_pptx(path, limits, deadline)
        images = (
            render_pptx(path, hidden, out, limits, deadline, width=image_width)
            if out is not None
            else {}
        )
    else:
        check_pdf(path, limits, deadline)
        pages = read_pdf(path, limits, deadline)
        images = {}
        if out is not None:
            targets = {p.index - 1: out / f"{path.stem}-p{p.index:03d}.png" for p in pages}
            written = render_pages(path, targets, limits, deadline, width=image_width)
            images = {i + 1: png for i, png in written.items()}
    pages = [p.model_copy(update={"image": images.get(p.index)}) for p in pages]
    return Deck(name=path.stem, source=path, kind=kind, pages=pages)


def format_pages(deck: Deck) -> list[str]:
    """The lines ``lmforge classroom pages DECK`` prints: a header per page, its text, notes
    and image, a blank line between pages, and last ``pages: N``."""
    lines: list[str] = []
    for page in deck.pages:
        lines.append(_header(page, len(deck.pages)))
        lines.extend(page.text.splitlines() or ["(no text)"])
        if page.notes:
            lines.extend(f"notes: {line}" for line in page.notes.splitlines())
        if page.image is not None:
            lines.append(f"image: {page.image}")
        lines.append("")
    lines.append(f"pages: {len(deck.pages)}")
    return lines


def _header(page: Page, total: int) -> str:
    title = f": {page.title}" if page.title else ""
    return f"=== page {page.index}/{total}{title} ==="
