"""PPTX slides to pages of text with python-pptx: title first, then the rest in reading order.

The shape tree is in z-order (the order shapes were drawn), which for hand-made slides is often
not the order a person reads them; so shapes are read in rows (tops within a quarter
inch) top to bottom, each left to right: side-by-side columns read left first. Groups are
read the same way inside their own coordinate space. Tables become one line per row with cells
joined by `` | `` (merged cells once). Speaker notes go to ``Page.notes``. Hidden slides are
kept as pages (they are part of the deck); ``read_pptx`` reports which ones are hidden because
LibreOffice leaves them out of its PDF.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pptx import Presentation
from pptx.shapes.base import BaseShape
from pptx.shapes.group import GroupShape
from pptx.shapes.picture import Picture
from pptx.slide import Slide

from lmforge.classroom.deck import Page
from lmforge.classroom.ingest.limits import Deadline, DeckError, Limits

__all__ = ["read_pptx", "shape_lines", "table_rows"]

log = logging.getLogger(__name__)

_BAND = 228_600  # EMU in a quarter inch: shapes whose tops differ less share a row
_MAX_GROUP_DEPTH = 32


def _clean(text: str) -> list[str]:
    """Lines of a text frame: line breaks (``\\v``) split, trailing space cut, blanks dropped.
    Leading spaces stay: on programming slides they are the code's indentation."""
    lines = text.replace("\v", "\n").replace("\r", "\n").split("\n")
    return [line.rstrip() for line in lines if line.strip()]


def _reading_order(shapes: list[BaseShape]) -> list[BaseShape]:
    """Rows top to bottom, each row left to right. A row starts at its highest shape and takes
    every shape whose top is within a quarter inch of it. Shapes without a position (possible
    for placeholders) count as top-left; the sort is stable, so ties keep z-order."""
    by_top = sorted(shapes, key=lambda shape: shape.top or 0)
    ordered: list[BaseShape] = []
    row: list[BaseShape] = []
    for shape in by_top:
        if row and (shape.top or 0) - (row[0].top or 0) > _BAND:
            ordered.extend(sorted(row, key=lambda s: s.left or 0))
            row = []
        row.append(shape)
    ordered.extend(sorted(row, key=lambda s: s.left or 0))
    return ordered


def table_rows(shape: BaseShape) -> list[str]:
    """One ``a | b | c`` line per table row; cells covered by a merge are skipped."""
    rows = []
    for row in shape.table.rows:
        cells = [" ".join(_clean(cell.text)) for cell in row.cells if not cell.is_spanned]
        if any(cells):
            rows.append(" | ".join(c.strip() for c in cells))
    return rows


def shape_lines(shape: BaseShape, depth: int = 0) -> list[str]:
    """The text a shape shows, in reading order: text frames, tables, groups, chart titles and
    the alt text of pictures (the only words a picture carries without OCR)."""
    if isinstance(shape, GroupShape):
        if depth >= _MAX_GROUP_DEPTH:
            return []
        lines: list[str] = []
        for child in _reading_order(list(shape.shapes)):
            lines.extend(shape_lines(child, depth + 1))
        return lines
    if getattr(shape, "has_table", False) and shape.has_table:
        return table_rows(shape)
    if getattr(shape, "has_chart", False) and shape.has_chart:
        return _chart_title(shape)
    if shape.has_text_frame:
        return _clean(shape.text_frame.text)
    if isinstance(shape, Picture):
        alt = shape._element.xpath("./p:nvPicPr/p:cNvPr/@descr")
        return [f"[image: {' '.join(_clean(alt[0]))}]"] if alt and alt[0].strip() else []
    return []


def _chart_title(shape: BaseShape) -> list[str]:
    """A chart's title, the one text of a chart worth reading out; a chart part python-pptx
    cannot read costs only its title, not the deck."""
    try:
        chart = shape.chart
        return _clean(chart.chart_title.text_frame.text) if chart.has_title else []
    except Exception:  # noqa: BLE001 - optional content from a separate, possibly broken part
        log.warning("skipping an unreadable chart on a slide")
        return []


def _slide_page(slide: Slide, index: int) -> Page:
    """One slide as a :class:`Page`: the title placeholder's text, then every other shape."""
    title_shape = slide.shapes.title
    title_lines = _clean(title_shape.text_frame.text) if title_shape is not None else []
    title_id = title_shape.shape_id if title_shape is not None else None
    body: list[str] = []
    for shape in _reading_order(list(slide.shapes)):
        if shape.shape_id != title_id:
            body.extend(shape_lines(shape))
    notes = ""
    if slide.has_notes_slide:
        frame = slide.notes_slide.notes_text_frame
        notes = "\n".join(_clean(frame.text)) if frame is not None else ""
    return Page(
        index=index,
        title=" ".join(line.strip() for line in title_lines),
        text="\n".join(title_lines + body),
        notes=notes,
    )


def read_pptx(path: Path, limits: Limits, deadline: Deadline) -> tuple[list[Page], list[bool]]:
    """(pages, hidden flags) of a PPTX whose ZIP already passed ``check_zip``.

    Any exception from python-pptx or lxml means a file it cannot read; it becomes one
    :class:`DeckError` line instead of a traceback from deep inside the parser.
    """
    try:
        prs = Presentation(str(path))
        slides = list(prs.slides)
    except MemoryError:
        raise  # a limit, not a damaged file: isolated ingestion reports it as such
    except Exception as exc:  # noqa: BLE001 - hostile input: every parser failure is "corrupt"
        if _out_of_memory(exc):
            raise MemoryError from None
        raise DeckError(f"corrupt PPTX: {_reason(exc)}", path=path) from None
    if not slides:
        raise DeckError("PPTX has no slides", path=path)
    if len(slides) > limits.max_pages:
        raise DeckError(f"{len(slides)} pages > limit {limits.max_pages}", path=path)
    pages, hidden = [], []
    for index, slide in enumerate(slides, start=1):
        deadline.check(f"at slide {index} of {len(slides)}")
        try:
            pages.append(_slide_page(slide, index))
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - a broken part inside one slide
            if _out_of_memory(exc):
                raise MemoryError from None
            raise DeckError(f"corrupt PPTX: slide {index}: {_reason(exc)}", path=path) from None
        hidden.append(slide._element.get("show") in ("0", "false"))
    return pages, hidden


def _out_of_memory(exc: BaseException) -> bool:
    """libxml2 reports a failed allocation as a syntax error ("Memory allocation failed")."""
    return "memory allocation failed" in str(exc).lower()


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
