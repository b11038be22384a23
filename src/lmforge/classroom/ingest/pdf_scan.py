"""Refuse a PDF whose streams would inflate past the limits, before PDFium decodes any of them.

PDFium decodes a content stream whole before it parses it: a 3 MB file whose one content
stream is 3 GiB of zeros took 4.2 GB of memory, and a 1 MB page listing sixteen 63 MiB
streams twice took as much; neither breaks a file-level limit. :func:`check_pdf` measures
first, with the bounded decoders of :mod:`pdf_decode` and no PDFium:

- every stream but images (page content, forms, fonts, object and cross-reference streams)
  against ``Limits.max_pdf_stream_bytes``, and all object streams together too (the check
  keeps those in memory to read the objects packed in them);
- each page's content, its ``/Contents`` streams summed (one listed twice counts twice),
  against ``Limits.max_pdf_page_bytes``;
- the document: every page's content plus every other non-image stream, against
  ``Limits.max_pdf_decoded_bytes``, which bounds PDFium's parsing time as well;
- images by their declared ``/Width`` x ``/Height`` against ``Limits.max_pdf_image_pixels``
  (PDFium decodes them only to render a page).

Counting stops one byte past the limit, so a bomb costs a few milliseconds and a MiB of
memory. Objects are found as a repairing reader finds them (:mod:`pdf_objects`): a
cross-reference table pointing into the middle of another stream's data hides nothing.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator
from pathlib import Path

from lmforge.classroom.ingest.limits import Deadline, DeckError, Limits
from lmforge.classroom.ingest.pdf_decode import CHUNK, decoded_bytes, decoded_size
from lmforge.classroom.ingest.pdf_objects import Bad, Index, Ref, Stream, parse

__all__ = ["check_pdf"]


def _spelled(word: bytes) -> bytes:
    """A pattern for the name ``/word`` with any of its letters written as ``#xx``."""
    return b"/" + b"".join(
        b"(?:%s|#%x[%x%X])" % (re.escape(bytes([c])), c >> 4, c & 15, c & 15) for c in word
    )


_CONTENTS = re.compile(_spelled(b"Contents") + rb"(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])")
_INT = re.compile(rb"\d{1,10}")


def check_pdf(path: Path, limits: Limits, deadline: Deadline) -> None:
    """Raise :class:`DeckError` (naming the limit) if decoding the PDF would cost too much."""
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        _Scan(buf, path, limits, deadline).run()


class _Scan:
    def __init__(self, buf, path: Path, limits: Limits, deadline: Deadline) -> None:
        self.buf = buf
        self.path = path
        self.limits = limits
        self.deadline = deadline
        self.index = Index(buf, self._check)
        self.sizes: dict[int, int] = {}  # stream data start -> decoded size, once counted
        self.total = 0
        self.texts: list = [buf]  # where page dictionaries sit: the file, object streams

    def run(self) -> None:
        self._object_streams()
        self._pages()
        self._other_streams()

    def _check(self) -> None:
        self.deadline.check("measuring PDF streams")

    def _refuse(self, what: str, limit: int, field: str) -> DeckError:
        return DeckError(f"{what} more than {limit} bytes (Limits.{field})", path=self.path)

    def _object_streams(self) -> None:
        limit, held = self.limits.max_pdf_stream_bytes, 0
        for stream in self.index.streams:
            if stream.head is None or self.index.direct(stream.head.get("Type")) != "ObjStm":
                continue
            data = decoded_bytes(
                self._raw(stream), self._filters(stream), limit - held, self._check
            )
            if data is None:
                what = "PDF object streams inflate to" if held else f"{_name(stream)} inflates to"
                raise self._refuse(what, limit, "max_pdf_stream_bytes")
            held += len(data)
            self.sizes[stream.start] = len(data)
            self._add(len(data))
            first = self.index.direct(stream.head.get("First"))
            if isinstance(first, int) and 0 <= first <= len(data):
                self.index.add_packed(data, first, [int(n) for n in _INT.findall(data, 0, first)])
                self.texts.append(data)

    def _pages(self) -> None:
        """Every ``/Contents`` key anywhere (page dictionaries, wherever they are stored)."""
        page_limit = self.limits.max_pdf_page_bytes
        for text in self.texts:
            for match in _CONTENTS.finditer(text):
                try:
                    value, _ = parse(text, match.end())
                except Bad:
                    continue
                page = 0
                for definitions in self._content_streams(value):
                    page += max(self._size(s) for s in definitions)
                    if page > page_limit:
                        raise self._refuse(
                            "a PDF page's content streams inflate to",
                            page_limit,
                            "max_pdf_page_bytes",
                        )
                self._add(page)

    def _content_streams(self, value: object) -> list[list[Stream]]:
        """The streams a ``/Contents`` value lists (each with every definition of its
        number); a string (an annotation's ``/Contents``) lists none."""
        by_num = self.index.by_num
        if isinstance(value, Ref):
            if value.num in by_num:
                return [by_num[value.num]]
            value = next((v for v in self.index.resolve(value) if isinstance(v, list)), None)
        if not isinstance(value, list):
            return []
        return [by_num[v.num] for v in value if isinstance(v, Ref) and v.num in by_num]

    def _other_streams(self) -> None:
        for stream in self.index.streams:
            if stream.start in self.sizes:
                continue
            if stream.head is not None and self.index.direct(stream.head.get("Subtype")) == "Image":
                self._check_image(stream)
            else:
                self._add(self._size(stream))

    def _check_image(self, stream: Stream) -> None:
        """An image is decoded only to render its page, row by row: its declared size is
        what counts, not its data."""
        assert stream.head is not None
        width = self.index.direct(stream.head.get("Width"))
        height = self.index.direct(stream.head.get("Height"))
        limit = self.limits.max_pdf_image_pixels
        if isinstance(width, int) and isinstance(height, int) and width * height > limit:
            raise DeckError(
                f"{_name(stream)} is a {width}x{height} image > limit {limit} pixels"
                " (Limits.max_pdf_image_pixels)",
                path=self.path,
            )

    def _size(self, stream: Stream) -> int:
        """One stream's decoded size (counted once; later calls are free)."""
        if stream.start not in self.sizes:
            limit = self.limits.max_pdf_stream_bytes
            n = decoded_size(self._raw(stream), self._filters(stream), limit, self._check)
            if n > limit:
                raise self._refuse(f"{_name(stream)} inflates to", limit, "max_pdf_stream_bytes")
            self.sizes[stream.start] = n
        return self.sizes[stream.start]

    def _add(self, n: int) -> None:
        self.total += n
        limit = self.limits.max_pdf_decoded_bytes
        if self.total > limit:
            raise self._refuse("PDF streams inflate to", limit, "max_pdf_decoded_bytes")
        self._check()

    def _filters(self, stream: Stream) -> list[str]:
        """The ``/Filter`` names; a stream whose dictionary did not parse is tried as Flate."""
        if stream.head is None:
            return ["FlateDecode"]
        value = self.index.direct(stream.head.get("Filter"))
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [v for v in map(self.index.direct, value) if isinstance(v, str)]
        return []

    def _raw(self, stream: Stream) -> Iterator[bytes]:
        end = self.index.end(stream)
        for at in range(stream.start, end, CHUNK):
            yield self.buf[at : min(at + CHUNK, end)]


def _name(stream: Stream) -> str:
    if stream.num is None:
        return f"PDF stream at byte {stream.start}"
    return f"PDF stream (object {stream.num})"
