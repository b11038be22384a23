"""PPTX page images through LibreOffice: the subprocess contract is tested with a stand-in
``soffice`` on PATH (LibreOffice is rarely installed where tests run); a real LibreOffice run
is tested when one is installed and skipped with the reason otherwise."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from pptx import Presentation

from lmforge.classroom.ingest import Limits, find_soffice, load_deck

FAKE = """#!{python}
import os, sys, time
from pathlib import Path
args = sys.argv[1:]
Path(os.environ["FAKE_SOFFICE_LOG"]).write_text("\\n".join(args))
mode = os.environ.get("FAKE_SOFFICE_MODE", "ok")
if mode == "hang":
    time.sleep(60)
if mode == "fail":
    print("Error: source file could not be loaded")
    sys.exit(1)
import pypdfium2 as pdfium
src = Path(args[-1])
outdir = Path(args[args.index("--outdir") + 1])
pdf = pdfium.PdfDocument.new()
for _ in range(int(os.environ["FAKE_SOFFICE_PAGES"])):
    pdf.new_page(960, 540)
pdf.save(str(outdir / (src.stem + ".pdf")))
"""


def _deck(path: Path, slides: int, hidden: tuple[int, ...] = ()) -> Path:
    prs = Presentation()
    for i in range(1, slides + 1):
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        slide.shapes.title.text = f"Slide title {i}"
        if i in hidden:
            slide._element.set("show", "0")
    prs.save(str(path))
    return path


@pytest.fixture
def fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in ``soffice`` first on PATH; returns the file where it logs its arguments."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "soffice"
    exe.write_text(FAKE.format(python=sys.executable))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    log = tmp_path / "soffice-args.txt"
    monkeypatch.setenv("FAKE_SOFFICE_LOG", str(log))
    return log


def test_pptx_pages_get_images(tmp_path: Path, fake_soffice: Path, monkeypatch):
    monkeypatch.setenv("FAKE_SOFFICE_PAGES", "3")
    assert find_soffice() is not None
    deck = load_deck(_deck(tmp_path / "talk.pptx", 3), images_dir=tmp_path / "img")
    assert [p.image for p in deck.pages] == [
        tmp_path / "img" / f"talk-p{i:03d}.png" for i in (1, 2, 3)
    ]
    assert all(p.image.is_file() for p in deck.pages)
    args = fake_soffice.read_text().splitlines()
    assert "--headless" in args and args[args.index("--convert-to") + 1] == "pdf"
    assert any(a.startswith("-env:UserInstallation=file://") for a in args)


def test_hidden_slides_are_skipped_by_the_pdf(tmp_path: Path, fake_soffice: Path, monkeypatch):
    monkeypatch.setenv("FAKE_SOFFICE_PAGES", "2")  # LibreOffice leaves the hidden slide out
    deck = load_deck(_deck(tmp_path / "talk.pptx", 3, hidden=(2,)), images_dir=tmp_path)
    assert [p.image is not None for p in deck.pages] == [True, False, True]
    assert deck.page(3).image == tmp_path / "talk-p003.png"


def test_page_count_mismatch_keeps_text(tmp_path: Path, fake_soffice: Path, monkeypatch):
    monkeypatch.setenv("FAKE_SOFFICE_PAGES", "5")
    deck = load_deck(_deck(tmp_path / "talk.pptx", 3), images_dir=tmp_path)
    assert [p.image for p in deck.pages] == [None, None, None]
    assert deck.page(2).text == "Slide title 2"


def test_failing_soffice_keeps_text(tmp_path: Path, fake_soffice: Path, monkeypatch, caplog):
    monkeypatch.setenv("FAKE_SOFFICE_MODE", "fail")
    deck = load_deck(_deck(tmp_path / "talk.pptx", 2), images_dir=tmp_path)
    assert [p.image for p in deck.pages] == [None, None]
    assert "LibreOffice failed (exit 1): Error: source file could not be loaded" in caplog.text


def test_hanging_soffice_is_killed(tmp_path: Path, fake_soffice: Path, monkeypatch, caplog):
    monkeypatch.setenv("FAKE_SOFFICE_MODE", "hang")
    start = time.monotonic()
    deck = load_deck(
        _deck(tmp_path / "talk.pptx", 2), images_dir=tmp_path, limits=Limits(max_seconds=2)
    )
    assert time.monotonic() - start < 20  # killed at 2 s, not left to hang 60 s (load slack)
    assert [p.title for p in deck.pages] == ["Slide title 1", "Slide title 2"]
    assert all(p.image is None for p in deck.pages)
    assert "did not finish" in caplog.text


def test_without_libreoffice_text_still_works(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    assert find_soffice() is None
    deck = load_deck(_deck(tmp_path / "talk.pptx", 2), images_dir=tmp_path / "img")
    assert [p.image for p in deck.pages] == [None, None]
    assert deck.page(1).text == "Slide title 1"


@pytest.mark.slow
@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_real_libreoffice_render(test_data: Path, tmp_path: Path):
    path = test_data / "slides" / "py4e_umich" / "Pythonlearn-02-Expressions.pptx"
    deck = load_deck(path, images_dir=tmp_path, image_width=480)
    images = [p.image for p in deck.pages]
    assert len(images) == 34 and None not in images  # the deck has no hidden slides
    digests = set()
    for image in images:
        with Image.open(image) as im:
            assert im.width == 480
            assert ImageStat.Stat(im.convert("L")).stddev[0] > 10  # text drawn, not blank
            digests.add(hashlib.sha256(im.tobytes()).hexdigest())
    assert len(digests) == 34
