"""How many bytes a PDF stream's filters make of it, counted in bounded steps and never kept.

PDFium decodes a stream whole before it parses it, and a Flate stream of zeros decodes about
1,000x (LZW of a repeated string about 2,500x). :func:`decoded_size` runs the same filter chain
as PDFium's ``PDF_DataDecode`` over the raw bytes one MiB at a time and stops as soon as the
count passes the limit, so measuring a 3 GiB stream costs one MiB of memory and a few
milliseconds. The chain stops where PDFium's does: at an image codec (DCT, JPX, JBIG2, CCITT,
whose data goes to the image decoder, not into memory whole) or a name it does not know.
"""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Callable, Iterable, Iterator

__all__ = ["CHUNK", "decoded_bytes", "decoded_size"]

CHUNK = 1 << 20
"""Largest piece any decoder yields at once."""

Chunks = Iterable[bytes | memoryview]

_ALIASES = {
    "Fl": "FlateDecode",
    "LZW": "LZWDecode",
    "RL": "RunLengthDecode",
    "AHx": "ASCIIHexDecode",
    "A85": "ASCII85Decode",
}
_NOT_HEX = re.compile(rb"[^0-9A-Fa-f]")
_PDF_SPACE = re.compile(rb"[\x00\t\n\x0c\r ]")
_A85_GROUPS = re.compile(rb"(?:z|[!-u]{5})*")


def decoded_size(
    raw: Chunks, filters: list[str], limit: int, check: Callable[[], None] | None = None
) -> int:
    """Bytes ``filters`` (the stream's ``/Filter`` names, in order) make of ``raw``; counting
    stops past ``limit``, so a result above ``limit`` means "more than ``limit``".

    A damaged stream counts what decodes before the damage (PDFium keeps that much too).
    ``check`` runs after every counted piece (a deadline)."""
    total = 0
    for chunk in _chain(raw, filters):
        total += len(chunk)
        if total > limit:
            break
        if check is not None:
            check()
    return total


def decoded_bytes(
    raw: Chunks, filters: list[str], limit: int, check: Callable[[], None] | None = None
) -> bytes | None:
    """What ``filters`` make of ``raw``, or None once that passes ``limit`` bytes."""
    parts, total = [], 0
    for chunk in _chain(raw, filters):
        total += len(chunk)
        if total > limit:
            return None
        parts.append(bytes(chunk))
        if check is not None:
            check()
    return b"".join(parts)


def _chain(raw: Chunks, filters: list[str]) -> Iterator[bytes | memoryview]:
    chunks: Iterator[bytes | memoryview] = iter(raw)
    for name in filters:
        decoder = _DECODERS.get(_ALIASES.get(name, name))
        if decoder is None:  # an image codec or an unknown name: PDFium stops decoding here
            break
        chunks = decoder(chunks)
    return chunks


def _flate(chunks: Iterator[bytes | memoryview]) -> Iterator[bytes]:
    """zlib data; a stream without the zlib header is tried as raw deflate."""
    first = next(chunks, b"")
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(first, CHUNK)
        except zlib.error:
            continue
        yield from _inflate(inflater, out, chunks)
        return


def _inflate(inflater, out: bytes, chunks: Iterator[bytes | memoryview]) -> Iterator[bytes]:
    """Go on from the first piece's output, at most one MiB per step."""
    data = inflater.unconsumed_tail
    while True:
        if out:
            yield out
        if inflater.eof:
            return
        if not data and len(out) < CHUNK:  # this input is used up: take the next piece
            data = next(chunks, None)
            if data is None:
                return
        try:
            out = inflater.decompress(data, CHUNK)
        except zlib.error:
            return
        data = inflater.unconsumed_tail


def _lzw(chunks: Iterator[bytes | memoryview], early: int = 1) -> Iterator[bytes]:
    """LZW as PDF writes it: 9- to 12-bit codes, MSB first, 256 clears, 257 ends."""
    table: list[bytes] = [bytes([i]) for i in range(256)] + [b"", b""]
    width, prev, bits, nbits = 9, b"", 0, 0
    out = bytearray()
    for chunk in chunks:
        for byte in bytes(chunk):
            bits, nbits = (bits << 8) | byte, nbits + 8
            while nbits >= width:
                nbits -= width
                code, bits = bits >> nbits, bits & ((1 << nbits) - 1)
                if code == 256:
                    del table[258:]
                    width, prev = 9, b""
                    continue
                if code == 257:
                    yield bytes(out)
                    return
                if code < len(table):
                    entry = table[code]
                elif code == len(table) and prev:
                    entry = prev + prev[:1]
                else:
                    yield bytes(out)  # a code the table does not hold yet: damaged
                    return
                if prev and len(table) < 4096:
                    table.append(prev + entry[:1])
                    if len(table) + early >= 1 << width and width < 12:
                        width += 1
                out += entry
                prev = entry
            if len(out) >= CHUNK:
                yield bytes(out)
                out.clear()
    yield bytes(out)


def _run_length(chunks: Iterator[bytes | memoryview]) -> Iterator[bytes]:
    """RunLengthDecode: a length byte, then 1-128 literal bytes or one byte repeated 2-128x."""
    rest = b""
    for chunk in chunks:
        data, at, out = rest + bytes(chunk), 0, bytearray()
        while at < len(data):
            n = data[at]
            if n == 128:
                yield bytes(out)
                return
            if n < 128:
                if at + n + 2 > len(data):
                    break
                out += data[at + 1 : at + n + 2]
                at += n + 2
            else:
                if at + 2 > len(data):
                    break
                out += data[at + 1 : at + 2] * (257 - n)
                at += 2
            if len(out) >= CHUNK:
                yield bytes(out)
                out = bytearray()
        rest = data[at:]
        yield bytes(out)


def _ascii_hex(chunks: Iterator[bytes | memoryview]) -> Iterator[bytes]:
    """Hex digits up to ``>``; anything else is skipped; an odd last digit is followed by 0."""
    odd = b""
    for chunk in chunks:
        data = bytes(chunk)
        end = data.find(b">")
        digits = odd + _NOT_HEX.sub(b"", data if end < 0 else data[:end])
        even = len(digits) & ~1
        yield bytes.fromhex(digits[:even].decode())
        odd = digits[even:]
        if end >= 0:
            break
    if odd:
        yield bytes.fromhex((odd + b"0").decode())


def _ascii85(chunks: Iterator[bytes | memoryview]) -> Iterator[bytes]:
    """Base-85 groups (``z`` for four zeros) up to ``~>`` or a character outside base 85; a
    last partial group (at most 4 bytes) is not counted."""
    rest = b""
    for chunk in chunks:
        data = rest + _PDF_SPACE.sub(b"", bytes(chunk))
        end = data.find(b"~")
        if end >= 0:
            data = data[:end]
        whole = _A85_GROUPS.match(data).end()
        try:
            yield base64.a85decode(data[:whole])
        except ValueError:  # a group above 2**32 - 1
            return
        rest = data[whole:]
        if end >= 0 or len(rest) >= 5:
            return


_DECODERS: dict[str, Callable[[Iterator[bytes | memoryview]], Iterator[bytes]]] = {
    "FlateDecode": _flate,
    "LZWDecode": _lzw,
    "RunLengthDecode": _run_length,
    "ASCIIHexDecode": _ascii_hex,
    "ASCII85Decode": _ascii85,
}
