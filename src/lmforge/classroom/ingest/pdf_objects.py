"""Just enough of PDF's object syntax to read stream dictionaries and page ``/Contents``.

:mod:`pdf_scan` measures a PDF before PDFium opens it, so it cannot ask PDFium where the
objects are; it reads them from the bytes the way a repairing reader does: every ``N G obj``
header and every ``stream`` keyword in the file, wherever they sit (also inside another
stream's data, where a cross-reference table may point). This module holds the object parser
(dictionaries, arrays, names with ``#xx`` escapes, numbers, references, strings) and that index.
A parse never reads more than :data:`MAX_OBJECT_BYTES` past its start, nor nests deeper than
:data:`MAX_DEPTH`: hostile bytes cost bounded time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["MAX_DEPTH", "MAX_OBJECT_BYTES", "Bad", "Index", "Ref", "Stream", "parse"]

MAX_DEPTH = 32
MAX_OBJECT_BYTES = 4 << 20

_SPACE = b"\x00\t\n\x0c\r "
_SKIP = re.compile(rb"(?:[\x00\t\n\x0c\r ]+|%[^\r\n]*)*")
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)")
_REF = re.compile(
    rb"[\x00\t\n\x0c\r ]+(\d{1,10})[\x00\t\n\x0c\r ]+R(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])"
)
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)")
_WORD = re.compile(rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]+")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STRING_STOP = re.compile(rb"[()\\]")
_HEADER = re.compile(rb"(\d{1,10})[\x00\t\n\x0c\r ]+(\d{1,5})[\x00\t\n\x0c\r ]+$")
_ENDSTREAM = re.compile(rb"[\x00\t\n\x0c\r ]*endstream")
_KEYWORDS = {b"true": True, b"false": False, b"null": None}
_DICT_SEARCH = 1 << 20  # how far before a ``stream`` keyword its ``obj`` header may be
_HEADER_TRIES = 8


class Bad(Exception):
    """No PDF object at this offset (or one past the parse bounds)."""


class Ref(NamedTuple):
    """An indirect reference ``num gen R``."""

    num: int
    gen: int


def _eol(buf, pos: int) -> int:
    """Length of the end-of-line after ``stream`` (PDFium takes none as well)."""
    if buf[pos : pos + 2] == b"\r\n":
        return 2
    return 1 if buf[pos : pos + 1] in (b"\r", b"\n") else 0


def _name(raw: bytes) -> str:
    return _ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), raw).decode("latin-1")


def parse(buf, pos: int) -> tuple[object, int]:
    """The object at ``pos`` of ``buf`` (bytes or mmap) and the offset after it.

    Dictionaries are ``dict[str, object]``, arrays ``list``, names ``str`` (escapes decoded),
    strings ``bytes`` (undecoded), references :class:`Ref`, keywords ``True``/``False``/``None``
    (any other keyword is ``bytes`` too). Raises :class:`Bad`."""
    return _Parser(buf, pos + MAX_OBJECT_BYTES).value(pos, 0)


class _Parser:
    def __init__(self, buf, stop: int) -> None:
        self.buf = buf
        self.stop = min(stop, len(buf))

    def skip(self, pos: int) -> int:
        pos = _SKIP.match(self.buf, pos, self.stop).end()
        if pos >= self.stop:
            raise Bad
        return pos

    def value(self, pos: int, depth: int) -> tuple[object, int]:
        if depth > MAX_DEPTH:
            raise Bad
        pos = self.skip(pos)
        buf = self.buf
        two = buf[pos : pos + 2]
        if two == b"<<":
            return self._dict(pos + 2, depth)
        first = two[:1]
        if first == b"[":
            out: list[object] = []
            pos = self.skip(pos + 1)
            while buf[pos : pos + 1] != b"]":
                item, pos = self.value(pos, depth + 1)
                out.append(item)
                pos = self.skip(pos)
            return out, pos + 1
        if first == b"/":
            m = _NAME.match(buf, pos, self.stop)
            return _name(m[1]), m.end()
        if first == b"(":
            return self._string(pos)
        if first == b"<":
            end = buf.find(b">", pos, self.stop)
            if end < 0:
                raise Bad
            return bytes(buf[pos + 1 : end]), end + 1
        return self._atom(pos)

    def _dict(self, pos: int, depth: int) -> tuple[dict[str, object], int]:
        out: dict[str, object] = {}
        pos = self.skip(pos)
        while self.buf[pos : pos + 2] != b">>":
            m = _NAME.match(self.buf, pos, self.stop)
            if m is None:
                raise Bad
            out[_name(m[1])], pos = self.value(m.end(), depth + 1)
            pos = self.skip(pos)
        return out, pos + 2

    def _string(self, pos: int) -> tuple[bytes, int]:
        depth, at = 0, pos
        while (m := _STRING_STOP.search(self.buf, at, self.stop)) is not None:
            at = m.end()
            if m[0] == b"\\":
                at += 1
                continue
            depth += 1 if m[0] == b"(" else -1
            if depth == 0:
                return bytes(self.buf[pos + 1 : at - 1]), at
        raise Bad

    def _atom(self, pos: int) -> tuple[object, int]:
        m = _NUMBER.match(self.buf, pos, self.stop)
        if m is not None:
            text = m[0]
            try:
                if b"." in text:
                    return float(text), m.end()
                number = int(text)
            except ValueError:  # thousands of digits
                raise Bad from None
            ref = _REF.match(self.buf, m.end(), self.stop)
            if ref is not None:
                return Ref(number, int(ref[1])), ref.end()
            return number, m.end()
        m = _WORD.match(self.buf, pos, self.stop)
        if m is None:
            raise Bad
        return _KEYWORDS.get(m[0], m[0]), m.end()


@dataclass
class Stream:
    """A ``stream`` keyword: its object number and dictionary when its header parsed (else
    None, None), and where its data starts; :meth:`Index.end` finds where the data ends."""

    num: int | None
    head: dict[str, object] | None
    start: int


class Index:
    """Every object header and stream of a PDF's bytes, and the objects packed in object
    streams once :meth:`add_packed` has read them. Definitions are lists: an object number
    defined twice (an incremental update, or a copy hidden in stream data) keeps both."""

    def __init__(self, buf, check: Callable[[], None]) -> None:
        self.buf = buf
        self.objects: dict[int, list[int]] = {}
        self.packed: dict[int, list[tuple[bytes, int]]] = {}
        self.streams: list[Stream] = []
        self.by_num: dict[int, list[Stream]] = {}
        self._headers(check)
        self._streams(check)

    def _headers(self, check: Callable[[], None]) -> None:
        buf, pos, seen = self.buf, 0, 0
        while (at := buf.find(b"obj", pos)) >= 0:
            pos = at + 3
            if buf[at - 3 : at] == b"end" or buf[pos : pos + 1] not in _SPACE + b"<[/(%":
                continue
            m = _HEADER.search(buf, max(0, at - 24), at)
            if m is not None:
                self.objects.setdefault(int(m[1]), []).append(pos)
                seen += 1
                if seen % 4096 == 0:
                    check()

    def _streams(self, check: Callable[[], None]) -> None:
        buf, pos = self.buf, 0
        while (at := buf.find(b"stream", pos)) >= 0:
            pos = at + 6
            if buf[at - 3 : at] == b"end" or buf[at - 1 : at] not in _SPACE + b">":
                continue
            start = pos + _eol(buf, pos)
            num, head = self._owner(at)
            stream = Stream(num, head, start)
            self.streams.append(stream)
            if num is not None:
                self.by_num.setdefault(num, []).append(stream)
            if len(self.streams) % 1024 == 0:
                check()

    def _owner(self, at: int) -> tuple[int | None, dict[str, object] | None]:
        """The ``N G obj << ... >>`` right before the ``stream`` keyword at ``at``."""
        buf, end = self.buf, at
        for _ in range(_HEADER_TRIES):
            obj = buf.rfind(b"obj", max(0, at - _DICT_SEARCH), end)
            if obj < 0:
                break
            end = obj
            m = _HEADER.search(buf, max(0, obj - 24), obj)
            if m is None or buf[obj - 3 : obj] == b"end":
                continue
            try:
                head, after = parse(buf, obj + 3)
            except Bad:
                continue
            if isinstance(head, dict) and _SKIP.match(buf, after).end() == at:
                return int(m[1]), head
        return None, None

    def add_packed(self, data: bytes, first: int, pairs: list[int]) -> None:
        """The objects of one decoded object stream: ``pairs`` is its ``num offset`` header."""
        for k in range(0, len(pairs) - 1, 2):
            self.packed.setdefault(pairs[k], []).append((data, first + pairs[k + 1]))

    def resolve(self, ref: Ref) -> list[object]:
        """Every definition of ``ref`` that parses (for a stream: its dictionary)."""
        found: list[object] = []
        spots = [(self.buf, at) for at in self.objects.get(ref.num, [])]
        for buf, at in spots + self.packed.get(ref.num, []):
            try:
                found.append(parse(buf, at)[0])
            except Bad:
                continue
        return found

    def direct(self, value: object) -> object:
        """``value``, or for a reference the first definition that is not one."""
        if isinstance(value, Ref):
            return next((v for v in self.resolve(value) if not isinstance(v, Ref)), None)
        return value

    def end(self, stream: Stream) -> int:
        """Where the data ends, as PDFium decides: after ``/Length`` bytes if ``endstream``
        follows there (the longest such length when the object is defined twice), else at
        the first ``endstream`` (else the end of the file)."""
        length = stream.head.get("Length") if stream.head else None
        lengths = self.resolve(length) if isinstance(length, Ref) else [length]
        ends = [
            stream.start + n
            for n in lengths
            if isinstance(n, int)
            and 0 <= n <= len(self.buf) - stream.start
            and _ENDSTREAM.match(self.buf, stream.start + n)
        ]
        if ends:
            return max(ends)
        found = self.buf.find(b"endstream", stream.start)
        return found if found >= 0 else len(self.buf)
