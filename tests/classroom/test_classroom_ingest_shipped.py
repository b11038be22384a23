"""Every real deck shipped in the shared data ingests completely, credit slides included."""

from __future__ import annotations

import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pptx import Presentation

from lmforge.classroom.ingest import format_pages, load_deck

DECKS = [
    "py4e_umich/Pythonlearn-02-Expressions.pptx",
    "py4e_umich/Pythonlearn-04-Functions.pdf",
    "elte_nlp/nlp_3-tokenization.pdf",
]


def _expected_pages(path: Path) -> int:
    if path.suffix == ".pptx":
        return len(Presentation(str(path)).slides)
    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


@pytest.mark.parametrize("name", DECKS)
def test_shipped_deck_ingests(test_data: Path, name: str):
    path = test_data / "slides" / name
    start = time.monotonic()
    deck = load_deck(path)
    per_page_ms = (time.monotonic() - start) * 1000 / len(deck.pages)
    assert len(deck.pages) == _expected_pages(path)
    assert [p.index for p in deck.pages] == list(range(1, len(deck.pages) + 1))
    assert deck.name == path.stem and deck.kind == path.suffix[1:]
    with_text = sum(1 for p in deck.pages if p.text.strip())
    assert with_text >= 0.9 * len(deck.pages)
    titled = sum(1 for p in deck.pages if p.title)
    assert titled >= 0.6 * len(deck.pages)
    assert per_page_ms < 200, per_page_ms  # about 1-8 ms measured; generous for a busy machine


@pytest.mark.parametrize("name", DECKS[:2])
def test_py4e_credit_slide_is_the_last_page(test_data: Path, name: str):
    deck = load_deck(test_data / "slides" / name)
    last = deck.pages[-1]
    assert last.title == "Acknowledgements / Contributions"
    assert "Creative Commons Attribution 4.0" in " ".join(last.text.split())
    assert "Severance" in last.text


def test_pptx_notes_and_reading_order(test_data: Path):
    deck = load_deck(test_data / "slides" / DECKS[0])
    assert deck.page(1).title == "Variables, Expressions, and Statements"
    assert "retain the acknowledgement" in deck.page(1).notes
    assert sum(1 for p in deck.pages if p.notes) == 1
    summary = next(p for p in deck.pages if p.title == "Summary").text.splitlines()
    assert summary.index("Operator precedence") < summary.index("Integer Division")  # columns


def test_beamer_navigation_bar_is_dropped(test_data: Path):
    deck = load_deck(test_data / "slides" / DECKS[2])
    page = deck.page(2)
    assert page.title == "Baseline: splitting on whitespace"
    assert page.text.splitlines()[0] == page.title
    assert "Byte Pair Encoding" not in page.text.splitlines()  # a navigation bar entry
    assert "2 / 31" not in page.text
    assert deck.pages[-1].title == "References"
    assert deck.page(1).title == "Natural Language Processing"  # the cover: no outline entry


def test_pdf_pages_rendered(test_data: Path, tmp_path: Path):
    deck = load_deck(test_data / "slides" / DECKS[1], images_dir=tmp_path, image_width=320)
    assert all(p.image is not None and p.image.is_file() for p in deck.pages)
    assert len(list(tmp_path.glob("*.png"))) == len(deck.pages)


def test_format_pages_ends_with_count(test_data: Path):
    deck = load_deck(test_data / "slides" / DECKS[1])
    lines = format_pages(deck)
    assert lines[-1] == "pages: 25"
    assert lines[0] == "=== page 1/25: Functions ==="
    assert sum(1 for line in lines if line.startswith("=== page ")) == 25
