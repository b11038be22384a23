"""PDF ingestion: hand-written PDFs give the expected text, titles and images; encrypted,
corrupt and oversized PDFs are refused fast with one clear line."""

from __future__ import annotations

import io
import resource
import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from lmforge.classroom.ingest import DeckError, Limits, load_deck


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(
    pages: list[list[str]],
    *,
    outline: list[tuple[int, str]] | None = None,
    encrypt: bool = False,
    size: tuple[int, int] = (720, 405),
) -> bytes:
    """A small valid PDF written by hand: one Helvetica line per string, an optional outline
    of (0-based page, title), and optionally an /Encrypt dictionary whose user password is not
    empty (random /O and /U), which any reader must refuse without the password."""
    objs: dict[int, bytes] = {}
    n = len(pages)
    page_ids = [4 + 2 * i for i in range(n)]
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    outline_id = 4 + 2 * n
    catalog = b"<< /Type /Catalog /Pages 2 0 R"
    catalog += f" /Outlines {outline_id} 0 R >>".encode() if outline else b" >>"
    objs[1] = catalog
    objs[2] = f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode()
    objs[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 20 Tf", f"40 {size[1] - 60} Td", "24 TL"]
        ops += [f"({_escape(line)}) Tj T*" for line in lines]
        stream = "\n".join([*ops, "ET"]).encode("latin-1")
        objs[page_ids[i]] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {size[0]} {size[1]}]"
            f" /Resources << /Font << /F1 3 0 R >> >> /Contents {page_ids[i] + 1} 0 R >>"
        ).encode()
        objs[page_ids[i] + 1] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
    if outline:
        items = [outline_id + 1 + k for k in range(len(outline))]
        objs[outline_id] = (
            f"<< /Type /Outlines /First {items[0]} 0 R /Last {items[-1]} 0 R /Count {len(items)} >>"
        ).encode()
        for k, (page, title) in enumerate(outline):
            links = f" /Prev {items[k - 1]} 0 R" if k else ""
            links += f" /Next {items[k + 1]} 0 R" if k + 1 < len(items) else ""
            objs[items[k]] = (
                f"<< /Title ({_escape(title)}) /Parent {outline_id} 0 R"
                f" /Dest [{page_ids[page]} 0 R /Fit]{links} >>"
            ).encode()
    trailer = ""
    if encrypt:
        enc = max(objs) + 1
        objs[enc] = (
            b"<< /Filter /Standard /V 1 /R 2 /O <" + b"ab" * 32 + b"> /U <" + b"cd" * 32
        ) + b"> /P -44 >>"
        trailer = f" /Encrypt {enc} 0 R /ID [<{'12' * 16}> <{'12' * 16}>]"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = {}
    for num in sorted(objs):
        offsets[num] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (num, objs[num]))
    xref = out.tell()
    size_ = max(objs) + 1
    out.write(f"xref\n0 {size_}\n0000000000 65535 f \n".encode())
    for num in range(1, size_):
        out.write(f"{offsets[num]:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {size_} /Root 1 0 R{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


PAGES = [
    ["Tokenization", "Lecture 3", "1 / 4"],
    ["Byte pair encoding", "Merge the most frequent pair", "3 / 8", "2 / 4"],
    ["WordPiece", "3 / 4", "Likelihood, not frequency"],
    ["Credits", "CC BY 4.0, keep this page", "4 / 4"],
]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_text_and_outline_titles(tmp_path: Path):
    outline = [(0, "Tokenization"), (1, "Slide 2"), (3, "Credits")]
    path = _write(tmp_path, "tok.pdf", make_pdf(PAGES, outline=outline))
    deck = load_deck(path)
    assert (deck.name, deck.kind, len(deck.pages)) == ("tok", "pdf", 4)
    # "Slide 2" is PowerPoint's name for an untitled slide; page 3 has no entry: first line
    assert [p.title for p in deck.pages] == ["Tokenization", "", "WordPiece", "Credits"]
    assert deck.page(1).text == "Tokenization\nLecture 3"  # the "n / 4" page numbers are dropped
    assert deck.page(2).text == "Byte pair encoding\nMerge the most frequent pair\n3 / 8"
    assert deck.page(3).text == "WordPiece\nLikelihood, not frequency"
    assert deck.page(4).text == "Credits\nCC BY 4.0, keep this page"
    assert all(p.notes == "" and p.image is None for p in deck.pages)


def test_without_outline_first_line_is_title(tmp_path: Path):
    deck = load_deck(_write(tmp_path, "plain.pdf", make_pdf(PAGES)))
    assert [p.title for p in deck.pages] == [
        "Tokenization",
        "Byte pair encoding",
        "WordPiece",
        "Credits",
    ]


def test_short_decks_keep_every_line(tmp_path: Path):
    deck = load_deck(_write(tmp_path, "two.pdf", make_pdf([["A", "1 / 2"], ["B", "2 / 2"]])))
    assert [p.text for p in deck.pages] == ["A\n1 / 2", "B\n2 / 2"]


def test_repeated_lines_are_dropped_but_titles_kept(tmp_path: Path):
    pages = [[f"Topic {i}", "Navigation bar", "Topic 1", f"body {i}"] for i in range(1, 6)]
    outline = [(i, f"Topic {i + 1}") for i in range(5)]
    deck = load_deck(_write(tmp_path, "nav.pdf", make_pdf(pages, outline=outline)))
    assert deck.page(1).text == "Topic 1\nbody 1"  # its title once, the bar's copy dropped
    assert deck.page(3).text == "Topic 3\nbody 3"


def test_images_rendered_per_page(tmp_path: Path):
    path = _write(tmp_path, "tok.pdf", make_pdf(PAGES))
    deck = load_deck(path, images_dir=tmp_path / "img", image_width=320)
    assert [p.image for p in deck.pages] == [
        tmp_path / "img" / f"tok-p{i:03d}.png" for i in (1, 2, 3, 4)
    ]
    with Image.open(deck.page(1).image) as img:
        assert img.size == (320, 180)


def test_huge_page_render_stays_within_pixel_limit(tmp_path: Path):
    path = _write(tmp_path, "wide.pdf", make_pdf([["wide"]], size=(14400, 14400)))
    deck = load_deck(path, images_dir=tmp_path, limits=Limits(max_image_pixels=250_000))
    with Image.open(deck.page(1).image) as img:
        assert img.size[0] * img.size[1] <= 250_000 and img.size[0] >= 490


def _refused(path: Path, pattern: str) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu_start = time.monotonic(), time.process_time()
    with pytest.raises(DeckError, match=pattern) as info:
        load_deck(path)
    # Fast is CPU time (a loaded CI machine stretches the wall clock); wall only catches a hang.
    assert time.process_time() - cpu_start < 3.0 and time.monotonic() - start < 30
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 100
    assert "\n" not in str(info.value) and str(info.value).startswith(str(path))


def test_encrypted_pdf(tmp_path: Path):
    path = _write(tmp_path, "locked.pdf", make_pdf(PAGES, encrypt=True))
    _refused(path, r"locked\.pdf: encrypted PDF: a password is required$")


def test_two_thousand_pages(tmp_path: Path):
    pdf = pdfium.PdfDocument.new()
    for _ in range(2000):
        pdf.new_page(612, 792)
    path = tmp_path / "long.pdf"
    pdf.save(str(path))
    pdf.close()
    _refused(path, r"long\.pdf: 2000 pages > limit 500$")


def test_corrupt_and_empty_pdfs(tmp_path: Path):
    _refused(_write(tmp_path, "junk.pdf", b"%PDF-1.7\n" + bytes(5000)), "corrupt PDF")
    _refused(_write(tmp_path, "none.pdf", make_pdf([])), r"(corrupt|unreadable) PDF")


def test_truncated_pdf_is_repaired_or_refused(tmp_path: Path):
    data = make_pdf(PAGES)
    path = _write(tmp_path, "cut.pdf", data[: len(data) * 2 // 3])
    try:
        deck = load_deck(path)
    except DeckError as exc:
        assert str(exc).startswith(str(path))
    else:  # PDFium rebuilds a lost xref table; what it recovers must still be a valid deck
        assert 1 <= len(deck.pages) <= len(PAGES)
