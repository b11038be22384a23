"""lmforge.classroom.ingest: its exports, its error tree, the CLI's page listing, and that
importing it stays cheap."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from helpers import run_python
from lmforge.classroom.deck import Deck, Page
from lmforge.classroom.ingest import DeadlineError, DeckError, Limits, format_pages
from lmforge.pipeline.records import InputError


def test_every_public_name_resolves():
    module = importlib.import_module("lmforge.classroom.ingest")
    assert module.__all__ == sorted(
        ["DeadlineError", "DeckError", "Limits", "find_soffice", "format_pages", "load_deck"]
    )
    for name in module.__all__:
        assert getattr(module, name) is not None, name


def test_errors_are_input_errors():
    assert issubclass(DeckError, InputError) and issubclass(DeadlineError, DeckError)
    assert str(DeckError("encrypted PDF", path="a/b.pdf")) == "a/b.pdf: encrypted PDF"


def test_limits_defaults_and_validation():
    limits = Limits()
    assert (limits.max_pages, limits.max_unzipped_bytes) == (500, 512 << 20)
    with pytest.raises(ValueError):
        Limits(max_pages=0)


def test_format_pages():
    deck = Deck(
        name="intro",
        source=Path("intro.pptx"),
        kind="pptx",
        pages=[
            Page(index=1, title="Welcome", text="Welcome\nGoals", notes="Smile.\nBreathe."),
            Page(index=2, text="", image=Path("img/intro-p002.png")),
        ],
    )
    assert format_pages(deck) == [
        "=== page 1/2: Welcome ===",
        "Welcome",
        "Goals",
        "notes: Smile.",
        "notes: Breathe.",
        "",
        "=== page 2/2 ===",
        "(no text)",
        "image: img/intro-p002.png",
        "",
        "pages: 2",
    ]


def test_import_loads_no_parser():
    probe = (
        "import sys, lmforge.classroom.ingest; print(sorted(m for m in ('pptx', 'pypdfium2', "
        "'lxml', 'PIL') if m in sys.modules))"
    )
    out = run_python(probe).stdout
    assert out.strip() == "[]"


def test_image_width_must_be_sensible(tmp_path: Path):
    from lmforge.classroom.ingest import load_deck

    with pytest.raises(ValueError, match="image_width must be at least 16"):
        load_deck(str(tmp_path / "any.pdf"), images_dir=tmp_path, image_width=0)
