"""PDF pages to text (and optionally PNGs) with pypdfium2.

PDFium reads the file through Python's file object, so opening a large PDF costs little memory
and the page count is known before any page is parsed: a 2,000-page file is refused at once.
Titles come from the PDF outline when it has one per page (PowerPoint, Keynote and Beamer all
write one), else from the page's first line. Slide PDFs repeat navigation bars, running
headers and "n / N" page numbers on every page; ``read_pdf`` drops those lines by default
(``strip_repeated=False`` keeps the text exactly as PDFium extracts it).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium

from lmforge.classroom.deck import Page
from lmforge.classroom.ingest.limits import Deadline, DeckError, Limits

__all__ = ["open_pdf", "outline_titles", "read_pdf", "render_pages", "strip_repeated_lines"]

_ERRORS = {
    0: "unreadable PDF: no pages or a damaged page tree",  # PDFium's answer to a 0-page file
    1: "unreadable PDF: unknown PDFium error",
    3: "corrupt PDF or not a PDF",
    4: "encrypted PDF: a password is required",
    5: "encrypted PDF: unsupported security handler",
}
_PAGE_NUMBER = re.compile(r"^\s*\d+\s*(?:/|of)\s*(\d+)\s*$")
_GENERIC_TITLE = re.compile(r"^\s*(?:slide|page)\s*\d+\s*$", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_REPEATED_SHARE = 0.6
_MIN_PAGES_FOR_REPEATS = 4


def open_pdf(path: Path, limits: Limits) -> pdfium.PdfDocument:
    """Open a PDF and check its page count; PDFium's load errors become one-line messages."""
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        reason = _ERRORS.get(exc.err_code or 0, f"unreadable PDF: {exc}")
        raise DeckError(reason, path=path) from None
    count = len(pdf)
    if count == 0:
        pdf.close()
        raise DeckError("PDF has no pages", path=path)
    if count > limits.max_pages:
        pdf.close()
        raise DeckError(f"{count} pages > limit {limits.max_pages}", path=path)
    return pdf


def outline_titles(pdf: pdfium.PdfDocument, max_items: int) -> dict[int, str] | None:
    """0-based page index -> the deepest outline entry pointing at it; None without an outline.

    "Slide 5"-style entries (what PowerPoint writes for an untitled slide) map to "".
    """
    found: dict[int, tuple[int, str]] = {}
    seen = 0
    for mark in pdf.get_toc(max_depth=4):
        seen += 1
        if seen > max_items:  # a hostile outline can be far longer than the document
            break
        dest = mark.get_dest()
        index = dest.get_index() if dest is not None else None
        title = " ".join((mark.get_title() or "").split())
        if index is None or not title or (index in found and found[index][0] >= mark.level):
            continue
        found[index] = (mark.level, "" if _GENERIC_TITLE.match(title) else title)
    if not seen:
        return None
    return {index: title for index, (_, title) in found.items()}


def _page_lines(page: pdfium.PdfPage) -> list[str]:
    textpage = page.get_textpage()
    try:
        raw = textpage.get_text_range()
    finally:
        textpage.close()
    raw = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n"))
    return [line.strip() for line in raw.split("\n") if line.strip()]


def _key(line: str) -> str:
    """Running page numbers differ on every page; "7 / 31" and "8 / 31" count as one line."""
    return _PAGE_NUMBER.sub(r"# / \1", line)


def strip_repeated_lines(pages: list[list[str]], titles: list[str]) -> list[list[str]]:
    """Drop lines found on at least 60% of the pages of a deck of 4 or more: navigation bars,
    running headers and footers, "n / N" page numbers. A page's own title is kept, once."""
    if len(pages) < _MIN_PAGES_FOR_REPEATS:
        return pages
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_key(line) for line in lines})
    repeated = {key for key, n in counts.items() if n >= _REPEATED_SHARE * len(pages)}
    return [_keep(lines, title, repeated) for lines, title in zip(pages, titles, strict=True)]


def _keep(lines: list[str], title: str, repeated: set[str]) -> list[str]:
    """A page's lines minus boilerplate; the title survives once even if the navigation bar
    repeats it (Beamer lists section names that equal frame titles)."""
    kept, title_seen = [], False
    for line in lines:
        if line == title and not title_seen:
            title_seen = True
            kept.append(line)
        elif line != title and _key(line) not in repeated:
            kept.append(line)
    return kept


def read_pdf(
    path: Path, limits: Limits, deadline: Deadline, *, strip_repeated: bool = True
) -> list[Page]:
    """Pages of text of a PDF (no images; :func:`render_pages` draws those)."""
    pdf = open_pdf(path, limits)
    try:
        outline = outline_titles(pdf, max_items=4 * limits.max_pages)
        texts = []
        for i in range(len(pdf)):
            deadline.check(f"at page {i + 1} of {len(pdf)}")
            page = pdf[i]
            try:
                texts.append(_page_lines(page))
            finally:
                page.close()
    except pdfium.PdfiumError as exc:
        raise DeckError(f"corrupt PDF: {exc}", path=path) from None
    finally:
        pdf.close()
    marked = [(outline or {}).get(i) for i in range(len(texts))]
    if strip_repeated:
        texts = strip_repeated_lines(texts, [title or "" for title in marked])
    # a page the outline does not mention (a cover, or no outline at all): its first line is the
    # best guess; a "Slide 5" entry is the outline saying the slide has no title
    titles = [
        title if title is not None else (lines[0][:120] if lines else "")
        for title, lines in zip(marked, texts, strict=True)
    ]
    return [
        Page(index=i + 1, title=title, text="\n".join(lines))
        for i, (title, lines) in enumerate(zip(titles, texts, strict=True))
    ]


def _scale(width_pt: float, height_pt: float, width_px: int, max_pixels: int) -> float:
    """Scale to ``width_px`` wide, shrunk so the bitmap stays within ``max_pixels``."""
    scale = width_px / width_pt
    if scale * scale * width_pt * height_pt > max_pixels:
        scale = math.sqrt(max_pixels / (width_pt * height_pt))
    return scale


def render_pages(
    path: Path,
    targets: dict[int, Path],
    limits: Limits,
    deadline: Deadline,
    *,
    width: int = 1280,
) -> dict[int, Path]:
    """Render PDF pages (0-based index -> PNG path); returns those written.

    A page with no area is skipped rather than failing the deck: the text is what matters.
    """
    pdf = open_pdf(path, limits)
    written: dict[int, Path] = {}
    try:
        for i, out in sorted(targets.items()):
            deadline.check(f"rendering page {i + 1} of {len(pdf)}")
            page = pdf[i]
            try:
                w, h = page.get_size()
                if w <= 0 or h <= 0:
                    continue
                bitmap = page.render(scale=_scale(w, h, width, limits.max_image_pixels))
                bitmap.to_pil().save(out, format="PNG")
                written[i] = out
            finally:
                page.close()
    except pdfium.PdfiumError as exc:
        raise DeckError(f"corrupt PDF: cannot render: {exc}", path=path) from None
    finally:
        pdf.close()
    return written
