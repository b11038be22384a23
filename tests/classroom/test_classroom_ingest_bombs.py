"""Decks within every file-level limit that still inflate to gigabytes: a PDF content stream of
zeros (3 MB on disk, 3 GiB decoded), a page that lists sixteen 63 MiB streams twice (1 MB on
disk, 2 GiB of content), and a PPTX whose one slide is 400 MB of ordinary-looking XML (about
10x compressed, so the ZIP ratio check passes). Each is built here in a second from repeated
deflate blocks, and each is refused through the real CLI with one line, fast and small."""

from __future__ import annotations

import base64
import json
import random
import re
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from pptx import Presentation

from lmforge.classroom.ingest import DeckError, Limits, load_deck

MIB = 1 << 20
_ADLER_MOD = 65521


def _zlib_zeros(out, mib: int) -> int:
    """Write a zlib stream of ``mib`` MiB of zero bytes to ``out``; returns its length.

    One MiB is compressed once and its full-flushed block repeated: after ``Z_FULL_FLUSH`` the
    compressor starts afresh, so every MiB compresses to the same bytes. The Adler-32 of n
    zeros is (n mod 65521) << 16 | 1, so the trailer needs no pass over the data either."""
    comp = zlib.compressobj(9)
    head = comp.compress(bytes(MIB)) + comp.flush(zlib.Z_FULL_FLUSH)
    block = head[2:]  # the same MiB again, without the 2-byte zlib header
    tail = comp.flush()[:-4] + struct.pack(">I", ((mib * MIB) % _ADLER_MOD) << 16 | 1)
    out.write(head)
    for _ in range(mib - 1):
        out.write(block)
    out.write(tail)
    return len(head) + (mib - 1) * len(block) + len(tail)


def write_stream_pdf(path: Path, streams_mib: list[int], contents: list[int]) -> Path:
    """A one-page PDF whose page lists ``contents`` (indexes into ``streams_mib``) as its
    content streams; stream k is ``streams_mib[k]`` MiB of zeros (PDF whitespace), Flate
    encoded. Offsets in the xref table are exact."""
    offsets: dict[int, int] = {}
    first = 4
    refs = " ".join(f"{first + k} 0 R" for k in contents)
    with path.open("wb") as out:
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        for num, body in (
            (1, b"<< /Type /Catalog /Pages 2 0 R >>"),
            (2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            (3, f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 720 405] /Contents [{refs}] >>"),
        ):
            offsets[num] = out.tell()
            out.write(
                b"%d 0 obj\n%s\nendobj\n"
                % (num, body if isinstance(body, bytes) else body.encode())
            )
        for k, mib in enumerate(streams_mib):
            num = first + k
            offsets[num] = out.tell()
            out.write(
                b"%d 0 obj\n<< /Length %d 0 R /Filter /FlateDecode >>\nstream\n"
                % (num, num + len(streams_mib))
            )
            length = _zlib_zeros(out, mib)
            out.write(b"\nendstream\nendobj\n")
            offsets[num + len(streams_mib)] = out.tell()
            out.write(b"%d 0 obj\n%d\nendobj\n" % (num + len(streams_mib), length))
        xref = out.tell()
        count = max(offsets) + 1
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % count)
        for num in range(1, count):
            out.write(b"%010d 00000 n \n" % offsets[num])
        out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref))
    return path


_SLIDE_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    b' xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
    b'<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/>'
    b"</p:nvGrpSpPr><p:grpSpPr/>"
)
_SLIDE_TAIL = b"</p:spTree></p:cSld></p:sld>"


def _shapes(size: int) -> bytes:
    """About ``size`` bytes of text boxes whose words are random hex: XML that deflates about
    10x, like a real slide's, not 1000x like a run of zeros."""
    rng = random.Random(13)
    parts, total, i = [], 0, 2
    while total < size:
        words = " ".join(f"{rng.getrandbits(40):010x}" for _ in range(3))
        shape = (
            f'<p:sp><p:nvSpPr><p:cNvPr id="{i}" name="Box {i}"/><p:cNvSpPr txBox="1"/><p:nvPr/>'
            f'</p:nvSpPr><p:spPr><a:xfrm><a:off x="{i % 9000}" y="0"/><a:ext cx="9" cy="9"/>'
            f"</a:xfrm></p:spPr><p:txBody><a:bodyPr/><a:p><a:r><a:t>{words}</a:t></a:r></a:p>"
            "</p:txBody></p:sp>"
        ).encode()
        parts.append(shape)
        total += len(shape)
        i += 1
    return b"".join(parts)


def _deflate_member(head: bytes, chunk: bytes, times: int, tail: bytes) -> tuple[list, int, int]:
    """Raw-deflate pieces of ``head + chunk * times + tail`` (the middle piece repeats), with
    the CRC-32 and size of the whole."""
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    first = comp.compress(head + chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    assert comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH) == block
    last = comp.compress(tail) + comp.flush()
    crc = zlib.crc32(head + chunk)
    for _ in range(times - 1):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + times * len(chunk) + len(tail)
    return [(first, 1), (block, times - 1), (last, 1)], crc, size


def write_pptx_with_slide(path: Path, template: Path, slide_mib: int) -> Path:
    """``template`` (a python-pptx deck) with ``ppt/slides/slide1.xml`` replaced by a slide of
    about ``slide_mib`` MiB of text boxes; the ZIP is written by hand so the big member streams
    out as repeated deflate blocks."""
    members = []
    with zipfile.ZipFile(template) as zf:
        for info in zf.infolist():
            if info.filename == "ppt/slides/slide1.xml":
                chunk = _shapes(MIB)
                pieces, crc, size = _deflate_member(_SLIDE_HEAD, chunk, slide_mib, _SLIDE_TAIL)
            else:
                data = zf.read(info)
                comp = zlib.compressobj(6, zlib.DEFLATED, -15)
                pieces, crc, size = (
                    [(comp.compress(data) + comp.flush(), 1)],
                    zlib.crc32(data),
                    len(data),
                )
            members.append((info.filename.encode(), pieces, crc, size))
    central = []
    with path.open("wb") as out:
        for name, pieces, crc, size in members:
            offset, csize = out.tell(), sum(len(p) * n for p, n in pieces)
            out.write(
                struct.pack(
                    "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 33, crc, csize, size, len(name), 0
                )
            )
            out.write(name)
            for piece, n in pieces:
                for _ in range(n):
                    out.write(piece)
            central.append(
                struct.pack(
                    "<4s6H3L5H2L",
                    b"PK\x01\x02",
                    20,
                    20,
                    0,
                    8,
                    0,
                    33,
                    crc,
                    csize,
                    size,
                    len(name),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + name
            )
        start = out.tell()
        directory = b"".join(central)
        out.write(directory)
        out.write(
            struct.pack(
                "<4s4H2LH",
                b"PK\x05\x06",
                0,
                0,
                len(central),
                len(central),
                len(directory),
                start,
                0,
            )
        )
    return path


# --- the three bombs, through the real CLI --------------------------------------------------

_PEAK = """
import json, resource, subprocess, sys, time
start = time.monotonic()
proc = subprocess.run(
    [sys.executable, "-m", "lmforge.cli", "classroom", "pages", sys.argv[1]],
    capture_output=True, text=True, timeout=60,
)
print(json.dumps({
    "rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr,
    "seconds": time.monotonic() - start,
    "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


def _pages_cli(deck: Path) -> dict:
    """``lmforge classroom pages DECK`` run from a fresh helper process, whose children's
    peak RSS (the CLI and the ingestion child under it) is what the helper reports."""
    helper = subprocess.run(
        [sys.executable, "-c", _PEAK, str(deck)], capture_output=True, text=True, timeout=120
    )
    assert helper.returncode == 0, helper.stderr
    return json.loads(helper.stdout)


def _assert_refused(deck: Path, reason: str) -> str:
    run = _pages_cli(deck)
    lines = run["stderr"].strip().splitlines()
    assert run["rc"] == 2, run["stderr"][-2000:]
    assert run["stdout"] == ""
    assert len(lines) == 1 and "Traceback" not in run["stderr"], run["stderr"][-2000:]
    assert lines[0].startswith(f"error: {deck}: ")
    assert re.search(reason, lines[0]), lines[0]
    assert run["seconds"] < 10, run
    assert run["peak_kib"] < 500 * 1024, run  # ru_maxrss is in KiB on Linux
    return lines[0]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[1])
    slide.shapes.title.text = "Bombs"
    slide.placeholders[1].text_frame.text = "A slide python-pptx wrote"
    path = tmp_path_factory.mktemp("template") / "template.pptx"
    prs.save(str(path))
    return path


def test_content_stream_of_3_gib_is_refused(tmp_path: Path):
    deck = write_stream_pdf(tmp_path / "stream.pdf", [3072], [0])
    assert deck.stat().st_size < 4 * MIB
    _assert_refused(
        deck,
        r"PDF stream \(object 4\) inflates to more than 67108864 bytes"
        r" \(Limits\.max_pdf_stream_bytes\)$",
    )


def test_page_listing_2_gib_of_content_is_refused(tmp_path: Path):
    """Each stream is under the per-stream limit; the page joins 32 of them."""
    deck = write_stream_pdf(tmp_path / "page.pdf", [63] * 16, list(range(16)) * 2)
    assert deck.stat().st_size < 1.5 * MIB
    _assert_refused(
        deck,
        r"a PDF page's content streams inflate to more than 67108864 bytes"
        r" \(Limits\.max_pdf_page_bytes\)$",
    )


def test_slide_of_400_mb_xml_is_refused(tmp_path: Path, template: Path):
    deck = write_pptx_with_slide(tmp_path / "slide.pptx", template, 400)
    with zipfile.ZipFile(deck) as zf:  # inside every ZIP limit: size, ratio, entries
        info = zf.getinfo("ppt/slides/slide1.xml")
        assert info.file_size > 400 * MIB and info.file_size / info.compress_size < 20
    assert deck.stat().st_size < Limits().max_file_bytes
    _assert_refused(
        deck,
        r"XML part 'ppt/slides/slide1\.xml' is \d+ bytes uncompressed > limit 16777216"
        r" \(Limits\.max_xml_part_bytes\)$",
    )


def test_cli_still_reads_a_pdf(tmp_path: Path):
    deck = tmp_path / "fine.pdf"
    deck.write_bytes(_pdf({3: _page(5), 5: _stream(b"BT /F1 20 Tf 40 300 Td (Fine) Tj ET")}))
    run = _pages_cli(deck)
    assert run["rc"] == 0, run["stderr"]
    assert run["stdout"].splitlines()[-1] == "pages: 1" and "Fine" in run["stdout"]


# --- hand-made PDFs for each way a stream can hide its size ---------------------------------


def _pdf(objs: dict[int, bytes], *, kids: tuple[int, ...] = (3,)) -> bytes:
    """A PDF of ``objs`` (number -> body) under a catalog (1) and a page tree (2) whose pages
    are ``kids``; one Helvetica font (99); the xref table is exact."""
    refs = " ".join(f"{k} 0 R" for k in kids)
    objs = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode(),
        99: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        **objs,
    }
    out, offsets = bytearray(b"%PDF-1.7\n"), {}
    for num in sorted(objs):
        offsets[num] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, objs[num])
    size = max(objs) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        out += b"%010d 00000 n \n" % offsets[num] if num in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def _page(*contents: int, key: bytes = b"/Contents") -> bytes:
    refs = " ".join(f"{c} 0 R" for c in contents).encode()
    return (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 720 405]"
        b" /Resources << /Font << /F1 99 0 R >> >> %s [%s] >>" % (key, refs)
    )


def _stream(data: bytes, filters: bytes = b"", extra: bytes = b"") -> bytes:
    head = b"<< /Length %d %s%s >>" % (len(data), b"/Filter " + filters if filters else b"", extra)
    return head + b"\nstream\n" + data + b"\nendstream"


def _lzw(data: bytes) -> bytes:
    """A plain LZW encoder (EarlyChange 1) for the test's bomb."""
    table, width, bits, nbits, out = {bytes([i]): i for i in range(256)}, 9, 0, 0, bytearray()

    def emit(code: int) -> None:
        nonlocal bits, nbits
        bits, nbits = (bits << width) | code, nbits + width
        while nbits >= 8:
            nbits -= 8
            out.append((bits >> nbits) & 255)
        bits &= (1 << nbits) - 1

    emit(256)
    word = b""
    for byte in data:
        longer = word + bytes([byte])
        if longer in table:
            word = longer
            continue
        emit(table[word])
        if len(table) + 2 < 4095:
            table[longer] = len(table) + 2
            if len(table) + 2 >= 1 << width and width < 12:
                width += 1
        word = bytes([byte])
    emit(table[word])
    emit(257)
    return bytes(out) + (bytes([(bits << (8 - nbits)) & 255]) if nbits else b"")


_SMALL = Limits(max_pdf_stream_bytes=MIB, max_pdf_page_bytes=MIB, max_pdf_decoded_bytes=2 * MIB)
_TWO_MIB = bytes(2 * MIB)
_OVER_STREAM = (
    r"PDF stream \(object 5\) inflates to more than 1048576 bytes \(Limits\.max_pdf_stream_bytes\)$"
)


def _refused(tmp_path: Path, pdf: bytes, reason: str, limits: Limits = _SMALL) -> None:
    path = tmp_path / "deck.pdf"
    path.write_bytes(pdf)
    start, cpu_start = time.monotonic(), time.process_time()
    with pytest.raises(DeckError) as info:
        load_deck(path, limits=limits)
    # Fast is CPU time (a loaded CI machine stretches the wall clock); wall only catches a hang.
    assert time.process_time() - cpu_start < 2 and time.monotonic() - start < 30
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert re.search(reason, message), message


@pytest.mark.parametrize(
    ("filters", "data"),
    [
        (b"/FlateDecode", zlib.compress(_TWO_MIB)),
        (b"/Fl", zlib.compress(_TWO_MIB)),
        (b"[/ASCII85Decode /FlateDecode]", base64.a85encode(zlib.compress(_TWO_MIB)) + b"~>"),
        (b"[/AHx /Fl]", zlib.compress(_TWO_MIB).hex().encode() + b">"),
        (b"[/FlateDecode /FlateDecode]", zlib.compress(zlib.compress(_TWO_MIB))),
        (b"/RunLengthDecode", b"\x81\x00" * (2 * MIB // 128) + b"\x80"),
        (b"/LZWDecode", _lzw(_TWO_MIB)),
        (b"/Fl#61teDecode", zlib.compress(_TWO_MIB)),
    ],
    ids=["flate", "fl", "a85-flate", "ahx-flate", "flate-flate", "runlength", "lzw", "escaped"],
)
def test_every_filter_is_measured(tmp_path: Path, filters: bytes, data: bytes):
    _refused(tmp_path, _pdf({3: _page(5), 5: _stream(data, filters)}), _OVER_STREAM)


def test_indirect_length_and_escaped_contents_key(tmp_path: Path):
    data = zlib.compress(bytes(600 << 10))
    body = b"<< /Length 6 0 R /Filter /FlateDecode >>\nstream\n" + data + b"\nendstream"
    pdf = _pdf({3: _page(5, 5, key=b"/Cont#65nts"), 5: body, 6: b"%d" % len(data)})
    _refused(tmp_path, pdf, r"a PDF page's content streams inflate to more than 1048576 bytes")


def test_page_in_an_object_stream(tmp_path: Path):
    """The page dictionary is packed in an object stream: its /Contents are found there."""
    page = _page(5, 5)
    packed = zlib.compress(b"3 0 " + page)
    objstm = _stream(packed, b"/FlateDecode", b" /Type /ObjStm /N 1 /First 4")
    content = _stream(zlib.compress(bytes(600 << 10)), b"/FlateDecode")
    _refused(tmp_path, _pdf({5: content, 7: objstm}), r"a PDF page's content streams inflate")


def test_object_stream_bomb(tmp_path: Path):
    objstm = _stream(
        zlib.compress(b"3 0 " + bytes(2 * MIB)), b"/Fl", b" /Type /ObjStm /N 1 /First 4"
    )
    _refused(tmp_path, _pdf({3: _page(), 5: objstm}), _OVER_STREAM)


def test_stream_hidden_in_another_streams_data(tmp_path: Path):
    """Object 5 sits inside object 4's data, where a crafted xref table could point; the scan
    reads every ``obj`` header in the file, not only those the xref lists."""
    hidden = b"5 0 obj\n" + _stream(zlib.compress(_TWO_MIB), b"/FlateDecode") + b"\nendobj\n"
    _refused(tmp_path, _pdf({3: _page(4), 4: _stream(b"% " + hidden)}), _OVER_STREAM)


def test_total_over_pages(tmp_path: Path):
    content = _stream(zlib.compress(bytes(900 << 10)), b"/FlateDecode")
    objs = {3: _page(5), 4: _page(5), 6: _page(5), 5: content}
    _refused(
        tmp_path,
        _pdf(objs, kids=(3, 4, 6)),
        r"PDF streams inflate to more than 2097152 bytes \(Limits\.max_pdf_decoded_bytes\)$",
    )


def test_huge_declared_image(tmp_path: Path):
    image = _stream(b"\xff\xd8junk", b"/DCTDecode", b" /Subtype /Image /Width 20000 /Height 20000")
    _refused(
        tmp_path,
        _pdf({3: _page(), 5: image}),
        r"PDF stream \(object 5\) is a 20000x20000 image > limit 100000000 pixels"
        r" \(Limits\.max_pdf_image_pixels\)$",
        Limits(),
    )


def test_within_limits_reads_as_before(tmp_path: Path):
    """A damaged Flate stream and a mid-size one pass the scan; PDFium reads the page."""
    text = b"BT /F1 20 Tf 40 300 Td (Measured) Tj ET\n"
    objs = {
        3: _page(5, 6),
        5: _stream(zlib.compress(text + bytes(500 << 10)), b"/FlateDecode"),
        6: _stream(b"x\x9cnot zlib at all", b"/FlateDecode"),
    }
    path = tmp_path / "fine.pdf"
    path.write_bytes(_pdf(objs))
    assert "Measured" in load_deck(path, limits=_SMALL).page(1).text


# --- PPTX XML bounds ------------------------------------------------------------------------


def test_all_xml_parts_together(tmp_path: Path):
    prs = Presentation()
    for i in range(3):
        prs.slides.add_slide(prs.slide_layouts[1]).shapes.title.text = f"Slide {i}"
    path = tmp_path / "three.pptx"
    prs.save(str(path))
    with zipfile.ZipFile(path) as zf:
        xml = sum(i.file_size for i in zf.infolist() if i.filename.endswith((".xml", ".rels")))
    with pytest.raises(DeckError) as info:
        load_deck(path, limits=Limits(max_xml_bytes=xml - 1))
    assert str(info.value) == (
        f"{path}: XML parts are {xml} bytes uncompressed in all > limit {xml - 1}"
        " (Limits.max_xml_bytes)"
    )
    assert len(load_deck(path, limits=Limits(max_xml_bytes=xml)).pages) == 3


def test_xml_part_known_by_content_type_not_name(tmp_path: Path):
    """A slide stored as ``.dat`` is still XML to python-pptx if its content type says so;
    a big image is not XML whatever its size."""
    rng = random.Random(5)
    noise = bytes(rng.getrandbits(8) for _ in range(2 * MIB))
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="png" ContentType="image/png"/>'
        '<Override PartName="/ppt/slides/slide1.DAT" ContentType="application/vnd.openxml'
        'formats-officedocument.presentationml.slide+xml"/></Types>'
    )
    limits = Limits(max_xml_part_bytes=MIB)
    for name, message in [
        ("ppt/slides/slide1.dat", "XML part 'ppt/slides/slide1.dat' is"),
        ("ppt/media/image1.png", "corrupt PPTX"),
    ]:
        path = tmp_path / "typed.pptx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("[Content_Types].xml", types)
            zf.writestr(name, noise)
        with pytest.raises(DeckError, match=re.escape(message)):
            load_deck(path, limits=limits)
