"""PPTX ingestion: decks built here with python-pptx give the expected text, and hostile ZIPs
(truncated, random, bombs, other Office files) are refused fast with one clear line."""

from __future__ import annotations

import io
import resource
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Inches, Pt

from lmforge.classroom.ingest import DeadlineError, DeckError, Limits, load_deck
from lmforge.pipeline.records import InputError


def _layout(prs, name: str):
    return next(layout for layout in prs.slide_layouts if layout.name == name)


def _png(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (8, 8), "red").save(path)
    return path


def build_deck(path: Path) -> Path:
    """Five slides: bullets + notes, a table, two columns drawn right-first, a group with a
    picture, and a hidden slide."""
    prs = Presentation()
    s1 = prs.slides.add_slide(_layout(prs, "Title and Content"))
    s1.shapes.title.text = "Tokenization"
    body = s1.placeholders[1].text_frame
    body.text = "Split text into tokens"
    sub = body.add_paragraph()
    sub.text = "Whitespace is a baseline"
    sub.level = 1
    s1.notes_slide.notes_text_frame.text = "Say hello first.\nThen the definition."

    s2 = prs.slides.add_slide(_layout(prs, "Title Only"))
    s2.shapes.title.text = "Results"
    table = s2.shapes.add_table(3, 3, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, row in enumerate([["model", "F1", "notes"], ["BPE", "0.91", ""], ["merged", "", ""]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(2, 0).merge(table.cell(2, 2))
    table.cell(2, 0).text = "all together"

    s3 = prs.slides.add_slide(_layout(prs, "Blank"))
    right = s3.shapes.add_textbox(Inches(5), Inches(1), Inches(3), Inches(1))
    right.text_frame.text = "right column"
    left = s3.shapes.add_textbox(Inches(1), Inches(1.05), Inches(3), Inches(1))
    left.text_frame.text = "left column\nsecond line"
    below = s3.shapes.add_textbox(Inches(1), Inches(4), Inches(3), Inches(1))
    below.text_frame.text = "footer line"

    s4 = prs.slides.add_slide(_layout(prs, "Title Only"))
    s4.shapes.title.text = "Grouped"
    group = s4.shapes.add_group_shape()
    second = group.shapes.add_textbox(Inches(1), Inches(3), Inches(2), Inches(1))
    second.text_frame.text = "inside group, lower"
    first = group.shapes.add_textbox(Inches(1), Inches(2), Inches(2), Inches(1))
    first.text_frame.text = "inside group, upper"
    pic = s4.shapes.add_picture(str(_png(path.with_suffix(".png"))), Inches(5), Inches(5))
    pic._element.nvPicPr.cNvPr.set("descr", "a red square")
    code = s4.shapes.add_textbox(Inches(1), Inches(6), Inches(4), Inches(1)).text_frame
    code.text = "def f():\n    return 1"
    code.paragraphs[0].runs[0].font.size = Pt(12)

    s5 = prs.slides.add_slide(_layout(prs, "Title Only"))
    s5.shapes.title.text = "Backup slide"
    s5._element.set("show", "0")
    prs.save(str(path))
    return path


@pytest.fixture
def deck_path(tmp_path: Path) -> Path:
    return build_deck(tmp_path / "lecture.pptx")


def test_built_deck_text_titles_notes(deck_path: Path):
    deck = load_deck(deck_path)
    assert (deck.name, deck.kind, deck.source) == ("lecture", "pptx", deck_path)
    assert [p.index for p in deck.pages] == [1, 2, 3, 4, 5]
    assert [p.title for p in deck.pages] == [
        "Tokenization",
        "Results",
        "",
        "Grouped",
        "Backup slide",
    ]
    first = deck.page(1)
    assert first.text == "Tokenization\nSplit text into tokens\nWhitespace is a baseline"
    assert first.notes == "Say hello first.\nThen the definition."
    assert deck.page(2).text == "Results\nmodel | F1 | notes\nBPE | 0.91 | \nall together"
    assert deck.page(2).notes == ""
    assert all(p.image is None for p in deck.pages)


def test_reading_order_columns_groups_pictures(deck_path: Path):
    deck = load_deck(deck_path)
    assert deck.page(3).text == "left column\nsecond line\nright column\nfooter line"
    assert deck.page(4).text.splitlines() == [
        "Grouped",
        "inside group, upper",
        "inside group, lower",
        "[image: a red square]",
        "def f():",
        "    return 1",
    ]


def test_chart_title_is_read(tmp_path: Path):
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE

    prs = Presentation()
    slide = prs.slides.add_slide(_layout(prs, "Title Only"))
    slide.shapes.title.text = "Scores"
    data = CategoryChartData()
    data.categories = ["BPE", "WordPiece"]
    data.add_series("F1", (0.9, 0.8))
    frame = slide.shapes.add_chart(
        XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(2), Inches(4), Inches(3), data
    )
    frame.chart.has_title = True
    frame.chart.chart_title.text_frame.text = "F1 by tokenizer"
    prs.save(str(tmp_path / "chart.pptx"))
    assert load_deck(tmp_path / "chart.pptx").page(1).text == "Scores\nF1 by tokenizer"


def test_hidden_slide_is_kept_as_a_page(deck_path: Path):
    assert load_deck(deck_path).page(5).text == "Backup slide"


def test_detection_by_bytes_not_extension(deck_path: Path, tmp_path: Path):
    renamed = tmp_path / "slides.pdf"
    renamed.write_bytes(deck_path.read_bytes())
    deck = load_deck(renamed)
    assert deck.kind == "pptx" and len(deck.pages) == 5


def test_page_limit_and_deadline(deck_path: Path):
    with pytest.raises(DeckError, match=r"lecture\.pptx: 5 pages > limit 3$"):
        load_deck(deck_path, limits=Limits(max_pages=3))
    with pytest.raises(DeadlineError, match="took longer than the 1e-09 s limit"):
        load_deck(deck_path, limits=Limits(max_seconds=1e-9))


# --- hostile inputs -------------------------------------------------------------------------


def _refused(path: Path, pattern: str, limits: Limits | None = None) -> str:
    """Assert one clear error line, fast and without a memory spike; return the message."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu_start = time.monotonic(), time.process_time()
    with pytest.raises(DeckError, match=pattern) as info:
        load_deck(path, limits=limits)
    # Fast is CPU time (a loaded 2-core CI machine stretches the wall clock, not the work);
    # the wall bound only catches a hang.
    elapsed, wall = time.process_time() - cpu_start, time.monotonic() - start
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    message = str(info.value)
    assert isinstance(info.value, InputError)
    assert "\n" not in message and message.startswith(str(path))
    assert elapsed < 3.0 and wall < 30, (elapsed, wall)
    assert grown_mib < 100, grown_mib
    return message


def test_truncated_pptx(deck_path: Path, tmp_path: Path):
    data = deck_path.read_bytes()
    cut = tmp_path / "cut.pptx"
    cut.write_bytes(data[: len(data) // 2])
    _refused(cut, r"corrupt PPTX: no ZIP end record \(truncated file\?\)")


def test_damaged_member_inside_intact_zip(deck_path: Path, tmp_path: Path):
    with zipfile.ZipFile(deck_path) as zf:
        info = zf.getinfo("ppt/slides/slide1.xml")
    data = bytearray(deck_path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start : start + info.compress_size] = bytes(info.compress_size)  # zeroed deflate data
    broken = tmp_path / "broken.pptx"
    broken.write_bytes(bytes(data))
    _refused(broken, r"corrupt PPTX: ")


def test_random_bytes_named_pptx(tmp_path: Path):
    junk = tmp_path / "junk.pptx"
    junk.write_bytes(bytes(range(256)) * 40)
    _refused(junk, r"not a PPTX or PDF \(starts with b'\\x00\\x01")
    empty = tmp_path / "empty.pptx"
    empty.write_bytes(b"")
    _refused(empty, "empty file")


def test_missing_file_and_ole2(tmp_path: Path):
    _refused(tmp_path / "nope.pptx", "no such file")
    ole = tmp_path / "old.ppt"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000))
    _refused(ole, r"OLE2 file \(legacy \.ppt or a password-protected Office file\)")


def test_other_zips_are_not_pptx(tmp_path: Path):
    plain = tmp_path / "plain.pptx"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("hello.txt", "hi")
    _refused(plain, r"not a PPTX: a ZIP archive without \[Content_Types\]\.xml")
    docx = tmp_path / "letter.pptx"
    with zipfile.ZipFile(docx, "w") as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<Types><Override ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
    _refused(docx, r"not a PPTX: an Office ZIP without a presentation part")


def _zeros_deflated(mib: int) -> bytes:
    """Raw deflate of ``mib`` MiB of zeros in O(1 MiB) work: after a full flush the compressor
    starts afresh, so every further MiB compresses to the same block, which is repeated."""
    chunk = bytes(1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    return first + again * (mib - 1) + comp.flush()


def _zip_with(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A ZIP of already-deflated members (name, data, crc, uncompressed size), by hand."""
    out, central = io.BytesIO(), []
    for name, data, crc, size in members:
        offset = out.tell()
        raw = name.encode()
        out.write(
            struct.pack(
                "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), size, len(raw), 0
            )
            + raw
            + data
        )
        central.append(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(data),
                size,
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw
        )
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(
        struct.pack(
            "<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), start, 0
        )
    )
    return out.getvalue()


def _zero_crc(mib: int) -> int:
    crc, chunk = 0, bytes(1 << 20)
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return crc


@pytest.fixture(scope="module")
def content_types() -> tuple[str, bytes, int, int]:
    xml = (
        b'<Types><Default ContentType="application/vnd.openxmlformats-officedocument.'
        b'presentationml.presentation.main+xml"/></Types>'
    )
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    return ("[Content_Types].xml", comp.compress(xml) + comp.flush(), zlib.crc32(xml), len(xml))


def test_zip_bomb_total_size(tmp_path: Path, content_types):
    mib = 1024
    member = ("ppt/slides/slide1.xml", _zeros_deflated(mib), _zero_crc(mib), mib << 20)
    bomb = tmp_path / "bomb.pptx"
    bomb.write_bytes(_zip_with([content_types, member]))
    assert bomb.stat().st_size < 2 << 20  # about 1 MiB on disk, 1 GiB inflated
    with zipfile.ZipFile(bomb) as zf:  # an honest archive: only the size gives it away
        assert zf.getinfo("ppt/slides/slide1.xml").file_size == 1 << 30
    message = _refused(bomb, r"ZIP expands to \d+ bytes > limit 536870912$")
    assert "1073741" in message


def test_zip_bomb_ratio(tmp_path: Path, content_types):
    member = ("ppt/media/image1.png", _zeros_deflated(64), _zero_crc(64), 64 << 20)
    bomb = tmp_path / "ratio.pptx"
    bomb.write_bytes(_zip_with([content_types, member]))
    _refused(
        bomb, r"ZIP member 'ppt/media/image1\.png' expands \d+x \(67108864 bytes\) > limit 200x"
    )


def test_too_many_zip_entries(tmp_path: Path):
    many = tmp_path / "many.pptx"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(60):
            zf.writestr(f"f{i}", b"")
    _refused(many, r"ZIP has 60 entries > limit 50", Limits(max_zip_entries=50))


def test_xml_entity_bomb(deck_path: Path, tmp_path: Path):
    levels = "".join(
        f'<!ENTITY {chr(98 + k)} "{("&" + chr(97 + k) + ";") * 10}">' for k in range(8)
    )
    dtd = f'<!DOCTYPE p:sld [<!ENTITY a "lol">{levels}]>'
    bomb = tmp_path / "laughs.pptx"
    with (
        zipfile.ZipFile(deck_path) as zin,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "ppt/slides/slide1.xml":
                text = data.decode()
                head = text.index("?>") + 2
                text = text[:head] + dtd + text[head:].replace("Split text into tokens", "&i;")
                data = text.encode()
            zout.writestr(info.filename, data)
    _refused(bomb, r"corrupt PPTX: XMLSyntaxError: Maximum entity amplification")


def test_two_thousand_slides_refused_before_parsing(deck_path: Path, tmp_path: Path):
    """presentation.xml lists 2,000 slides (the parts need not exist: it is counted first)."""
    big = tmp_path / "long.pptx"
    with zipfile.ZipFile(deck_path) as zin, zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "ppt/presentation.xml":
                ids = "".join(f'<p:sldId id="{256 + i}" r:id="rId{900 + i}"/>' for i in range(2000))
                text = data.decode()
                start, end = text.index("<p:sldIdLst>"), text.index("</p:sldIdLst>")
                data = (text[: start + len("<p:sldIdLst>")] + ids + text[end:]).encode()
            zout.writestr(info.filename, data)
    _refused(big, r"long\.pptx: 2000 pages > limit 500$")


def test_isolated_memory_cap_stops_a_bomb_the_checks_let_through(tmp_path: Path, content_types):
    """With the ZIP checks switched off, python-pptx would inflate 512 MiB; the child's address
    space cap stops it and the parent gets one clear line."""
    mib = 512
    member = ("ppt/media/image1.bin", _zeros_deflated(mib), _zero_crc(mib), mib << 20)
    bomb = tmp_path / "bomb.pptx"
    bomb.write_bytes(_zip_with([content_types, member]))
    loose = Limits(
        max_unzipped_bytes=1 << 40, max_compression_ratio=1e9, max_memory_bytes=320 << 20
    )
    start = time.monotonic()
    with pytest.raises(DeckError, match=r"bomb\.pptx: (needs more than 335544320 bytes|ingestion)"):
        load_deck(bomb, limits=loose, isolated=True)
    assert time.monotonic() - start < 20
