"""What kind of file a deck is (by its bytes, never its name) and whether its ZIP is safe to open.

The extension says what the user believes; the magic bytes say what the parser will meet. A
PDF renamed ``.pptx`` is read as a PDF, random bytes are refused before any parser runs, and an
OLE2 file (legacy ``.ppt`` or a password-protected PPTX, which Office wraps in OLE2) gets its own
message because "corrupt" would send the user looking for the wrong problem.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Literal

from lmforge.classroom.ingest.limits import DeckError, Limits

__all__ = ["check_zip", "sniff"]

_PDF = b"%PDF-"
_ZIP = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_RATIO_EXEMPT = 1 << 20  # members this small cannot hurt whatever their ratio
_SLIDE_ID = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sldId\b")
_TYPE_ENTRY = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(Default|Override)\b([^>]*)>")
_ATTR = re.compile(rb"([A-Za-z]+)\s*=\s*[\"']([^\"']*)[\"']")


def sniff(path: Path, limits: Limits) -> Literal["pptx", "pdf"]:
    """The deck kind from the first bytes; raises :class:`DeckError` for anything else."""
    if not path.exists():
        raise DeckError("no such file", path=path)
    if not path.is_file():
        raise DeckError("not a regular file", path=path)
    size = path.stat().st_size
    if size == 0:
        raise DeckError("empty file: not a PPTX or PDF", path=path)
    if size > limits.max_file_bytes:
        raise DeckError(
            f"file is {size} bytes > limit {limits.max_file_bytes} (Limits.max_file_bytes)",
            path=path,
        )
    with path.open("rb") as fh:
        head = fh.read(1024)
    if head.startswith(_ZIP) or head.startswith(_EMPTY_ZIP):
        return "pptx"
    if _PDF in head:  # the PDF spec lets the header sit anywhere in the first 1024 bytes
        return "pdf"
    if head.startswith(_OLE2):
        raise DeckError(
            "an OLE2 file (legacy .ppt or a password-protected Office file), not a PPTX or PDF;"
            " save it as an unprotected .pptx",
            path=path,
        )
    raise DeckError(f"not a PPTX or PDF (starts with {head[:8]!r})", path=path)


def _end_record(path: Path) -> tuple[int, int]:
    """(entries, central directory size) from the ZIP end record, read from the file's tail."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - (_EOCD_SIZE + 0xFFFF)))
        tail = fh.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        raise DeckError("corrupt PPTX: no ZIP end record (truncated file?)", path=path)
    fields = struct.unpack("<4s4H2LH", tail[at : at + _EOCD_SIZE])
    return fields[4], fields[5]


def check_zip(path: Path, limits: Limits) -> None:
    """Refuse a ZIP that would cost too much to open, from its directory alone.

    Nothing is decompressed: the entry count comes from the end record (so a directory of a
    million entries is never parsed), the sizes from the central directory. ``zipfile`` later
    stops inflating a member at the size the directory declares, so a member that lies about its
    size cannot expand past what was checked here.
    """
    entries, _ = _end_record(path)
    if entries > limits.max_zip_entries:  # 0xFFFF (ZIP64) lands here too, far above any deck
        raise DeckError(f"ZIP has {entries} entries > limit {limits.max_zip_entries}", path=path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise DeckError(f"corrupt PPTX: {exc}", path=path) from None
    total = sum(info.file_size for info in infos)
    if total > limits.max_unzipped_bytes:
        raise DeckError(
            f"ZIP expands to {total} bytes > limit {limits.max_unzipped_bytes}", path=path
        )
    for info in infos:
        if info.file_size > _RATIO_EXEMPT:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise DeckError(
                    f"ZIP member {info.filename!r} expands {ratio:.0f}x"
                    f" ({info.file_size} bytes) > limit {limits.max_compression_ratio:g}x",
                    path=path,
                )
    types = next((i for i in infos if i.filename == "[Content_Types].xml"), None)
    if types is None:
        raise DeckError("not a PPTX: a ZIP archive without [Content_Types].xml", path=path)
    _check_xml_sizes(path, infos, _check_content_types(path, types), limits)
    _check_slide_count(path, infos, limits)


def _xml_members(infos: list[zipfile.ZipInfo], types: bytes) -> list[zipfile.ZipInfo]:
    """The members python-pptx may parse as XML: a content type ending in ``xml`` (by part
    name, else by extension), and anything named ``.xml`` or ``.rels`` whatever its type."""
    overrides: dict[str, str] = {}
    defaults: dict[str, str] = {}
    for kind, attrs in _TYPE_ENTRY.findall(types):
        fields = {k.decode().lower(): v.decode("utf-8", "replace") for k, v in _ATTR.findall(attrs)}
        content_type = fields.get("contenttype", "").strip().lower()
        if kind == b"Override":
            overrides[fields.get("partname", "").lstrip("/").lower()] = content_type
        else:
            defaults[fields.get("extension", "").lower()] = content_type
    found = []
    for info in infos:
        name = info.filename.lower()
        extension = name.rpartition(".")[2] if "." in name.rpartition("/")[2] else ""
        content_type = overrides.get(name, defaults.get(extension, ""))
        if content_type.endswith("xml") or extension in ("xml", "rels"):
            found.append(info)
    return found


def _check_xml_sizes(
    path: Path, infos: list[zipfile.ZipInfo], types: bytes, limits: Limits
) -> None:
    """Bound the XML python-pptx parses: lxml trees cost 15-20x the XML, so a 400 MB slide
    inside every ZIP limit once took 6 GB and five minutes."""
    total = 0
    for info in _xml_members(infos, types):
        if info.file_size > limits.max_xml_part_bytes:
            raise DeckError(
                f"XML part {info.filename!r} is {info.file_size} bytes uncompressed > limit"
                f" {limits.max_xml_part_bytes} (Limits.max_xml_part_bytes)",
                path=path,
            )
        total += info.file_size
    if total > limits.max_xml_bytes:
        raise DeckError(
            f"XML parts are {total} bytes uncompressed in all > limit {limits.max_xml_bytes}"
            " (Limits.max_xml_bytes)",
            path=path,
        )


def _check_content_types(path: Path, info: zipfile.ZipInfo) -> bytes:
    """A DOCX or XLSX is an OOXML ZIP too; its content types name no presentation part.
    Returns the ``[Content_Types].xml`` bytes."""
    if info.file_size > _RATIO_EXEMPT:
        raise DeckError("corrupt PPTX: [Content_Types].xml is over 1 MiB", path=path)
    try:
        with zipfile.ZipFile(path) as zf:
            types = zf.read(info)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
        raise DeckError(f"corrupt PPTX: [Content_Types].xml: {exc}", path=path) from None
    if b"presentationml" not in types:
        raise DeckError(
            "not a PPTX: an Office ZIP without a presentation part (a .docx or .xlsx?)", path=path
        )
    return types


def _check_slide_count(path: Path, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Count the slide list in ``ppt/presentation.xml`` before python-pptx parses every slide
    part (about half a millisecond per slide, so a 2,000-slide file costs a second)."""
    info = next((i for i in infos if i.filename == "ppt/presentation.xml"), None)
    if info is None or info.file_size > 16 * _RATIO_EXEMPT:
        return  # unusual layout: python-pptx finds the part, read_pptx counts the slides
    try:
        with zipfile.ZipFile(path) as zf:
            xml = zf.read(info)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
        raise DeckError(f"corrupt PPTX: ppt/presentation.xml: {exc}", path=path) from None
    count = len(_SLIDE_ID.findall(xml))
    if count > limits.max_pages:
        raise DeckError(f"{count} pages > limit {limits.max_pages}", path=path)
