"""Isolated ingestion: the child process gives the same deck as in-process loading, and every
way the child can fail (error, hang, death by signal, garbage) becomes one DeckError line."""

from __future__ import annotations

import stat
import sys
import time
from pathlib import Path

import pytest
from pptx import Presentation

from lmforge.classroom.ingest import DeadlineError, DeckError, Limits, load_deck
from lmforge.classroom.ingest import isolated as iso


@pytest.fixture
def small_deck(tmp_path: Path) -> Path:
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[1])
    slide.shapes.title.text = "Isolation"
    slide.placeholders[1].text_frame.text = "One child process per deck"
    slide.notes_slide.notes_text_frame.text = "Mention the memory cap."
    path = tmp_path / "iso.pptx"
    prs.save(str(path))
    return path


def test_same_deck_as_in_process(small_deck: Path):
    deck = load_deck(small_deck, isolated=True)
    assert deck == load_deck(small_deck)
    assert deck.page(1).notes == "Mention the memory cap."


def test_child_errors_come_back_unchanged(tmp_path: Path, small_deck: Path):
    junk = tmp_path / "junk.pptx"
    junk.write_bytes(b"hello, not a deck")
    with pytest.raises(DeckError) as info:
        load_deck(junk, isolated=True)
    assert str(info.value) == f"{junk}: not a PPTX or PDF (starts with b'hello, n')"
    with pytest.raises(DeadlineError, match=r"iso\.pptx: ingestion took longer than"):
        load_deck(small_deck, isolated=True, limits=Limits(max_seconds=1e-9))


def _fake_python(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-python"
    script.write_text(f"#!{sys.executable}\nimport os, signal, sys, time\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_hung_child_is_killed(tmp_path: Path, small_deck: Path, monkeypatch):
    monkeypatch.setattr(iso, "STARTUP_SECONDS", 0.5)
    python = _fake_python(tmp_path, "time.sleep(60)")
    start = time.monotonic()
    with pytest.raises(DeadlineError, match=r"iso\.pptx: ingestion process killed after 1\.5 s"):
        iso.load_isolated(small_deck, None, Limits(max_seconds=1), 1280, python=python)
    assert time.monotonic() - start < 20  # killed at 1.5 s, not left to hang 60 s (load slack)


def test_child_killed_by_signal(tmp_path: Path, small_deck: Path):
    python = _fake_python(tmp_path, "os.kill(os.getpid(), signal.SIGKILL)")
    with pytest.raises(DeckError, match=r"iso\.pptx: ingestion process died \(SIGKILL\)"):
        iso.load_isolated(small_deck, None, Limits(), 1280, python=python)


def test_child_garbage_output(tmp_path: Path, small_deck: Path):
    python = _fake_python(tmp_path, "print('Traceback: boom', file=sys.stderr); sys.exit(3)")
    with pytest.raises(DeckError, match=r"ingestion process failed \(exit 3\): Traceback: boom"):
        iso.load_isolated(small_deck, None, Limits(), 1280, python=python)
