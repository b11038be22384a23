"""`lmforge classroom pages|prepare|regenerate|lecture|leceval` on hostile input, through the
real CLI: one `error:` line, exit 2, nothing written (no run folder, no agenda touched), before a
model is built; a valid agenda with a BOM is accepted."""

from __future__ import annotations

import json
import os
import zipfile
from functools import partial
from pathlib import Path

import pytest

from helpers import lmforge_cli, text_pdf

run = partial(lmforge_cli, "classroom")

RATED = {
    "transcript": "Let us see how plants make sugar. Do you know where?",
    "rate": {
        "content_relevance": [4, 5, 4],
        "expressive_clarity": [4, 4, 5],
        "logical_structure": [3, 4, 4],
        "audience_engagement": [5, 4, 4],
    },
}

PAGES = ("Tokens", "Splitting text")
"""The two pages of the test deck (and of its agenda)."""


def agenda(pages: int = 2) -> dict:
    return {
        "deck": "deck.pdf",
        "root": {
            "type": "node",
            "title": "deck",
            "children": [
                {
                    "type": "ppt",
                    "index": i,
                    "description": f"Page {i}.",
                    "functions": [
                        {"call": "ShowFile", "page": i},
                        {"call": "ReadScript", "script": f"On page {i} we split text."},
                    ],
                }
                for i in range(1, pages + 1)
            ],
        },
    }


def one_error(result, name: str | Path) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert str(name) in lines[0] and "Traceback" not in result.stderr
    return lines[0]


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"deck": "\xff"}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 100 levels"),
        (b'{"deck": "d", "root": {"title": "t", "children": [{"index": NaN}]}}', "NaN"),
        (b"[1]", "expected a JSON object (an agenda), got list"),
        (
            json.dumps({**agenda(), "root": {"title": "t", "children": [{"index": "x"}]}}).encode(),
            "field 'root.children.0.index': Input should be a valid integer",
        ),
        (
            json.dumps(
                {**agenda(), "root": {"title": "t", "children": [{"type": "slide"}]}}
            ).encode(),
            "field 'root.children.0': expected a section ('type': 'node') or a page",
        ),
        (json.dumps({"root": agenda()["root"]}).encode(), "field 'deck': Field required"),
    ],
    ids=["not-utf8", "deep", "nan", "not-object", "index", "child-type", "no-deck"],
)
def test_a_bad_agenda_is_one_line_before_any_model(tmp_path, content, message):
    path = tmp_path / "lecture.json"
    path.write_bytes(content)
    # no --model: the default names a backend that does not exist, so building the model
    # first would fail with another message
    result = run(
        "lecture", path, "--student", "silent", cwd=tmp_path,
        env={"LMFORGE_MODEL": "no-such-backend:x"},
    )  # fmt: skip
    assert message in one_error(result, path)
    assert files(tmp_path) == {"lecture.json"}


def test_an_agenda_with_a_bom_is_taught(tmp_path):
    path = tmp_path / "lecture.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(agenda(), indent=1).encode())
    result = run(
        "lecture", path, "--model", "scripted", "--student", "silent", "--mode", "continuous",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "On page 2 we split text." in result.stdout


def junk_pptx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("junk.txt", "not a presentation\n")
    return path


@pytest.mark.parametrize("kind", ["folder", "fifo", "device", "missing", "empty", "text", "zip"])
def test_prepare_refuses_a_non_deck_before_its_run_folder(tmp_path, kind):
    deck = tmp_path / "deck.pdf"
    if kind == "folder":
        deck.mkdir()
    elif kind == "fifo":
        os.mkfifo(deck)
    elif kind == "device":
        deck = Path("/dev/null")
    elif kind == "empty":
        deck.write_bytes(b"")
    elif kind == "text":
        deck.write_text("just some notes\n")
    elif kind == "zip":
        deck = junk_pptx(tmp_path / "deck.pptx")
    before = files(tmp_path)
    result = run("prepare", deck, "--model", "scripted", "-q", cwd=tmp_path, timeout=60)
    one_error(result, deck)
    assert files(tmp_path) == before  # no runs/, no agenda


def test_prepare_refuses_an_agenda_path_that_is_a_folder(tmp_path):
    deck = text_pdf(tmp_path / "deck.pdf", PAGES)
    (tmp_path / "out").mkdir()
    result = run("prepare", deck, "--model", "scripted", "--out", tmp_path / "out", cwd=tmp_path)
    one_error(result, tmp_path / "out")
    assert files(tmp_path) == {"deck.pdf", "out"}


def test_pages_of_a_folder_and_a_device(tmp_path):
    one_error(run("pages", tmp_path, cwd=tmp_path), tmp_path)
    assert "is a device" in one_error(run("pages", "/dev/zero", cwd=tmp_path), "/dev/zero")
    deck = text_pdf(tmp_path / "deck.pdf", PAGES)
    (tmp_path / "file").write_text("x")
    line = one_error(run("pages", deck, "--images", tmp_path / "file" / "png"), "file")
    assert "not a folder" in line


def test_regenerate_leaves_the_agenda_alone_on_bad_input(tmp_path):
    path = tmp_path / "lecture.json"
    path.write_text(json.dumps(agenda()))
    before = path.read_bytes()
    deck = tmp_path / "deck.pdf"
    deck.write_text("not a deck")
    one_error(run("regenerate", path, deck, "--page", "1", "--model", "scripted"), deck)
    text_pdf(deck, PAGES)
    line = one_error(run("regenerate", path, deck, "--page", "9", "--model", "scripted"), path)
    assert "field 'page': page 9 is not in the agenda" in line
    assert path.read_bytes() == before
    ok = run("regenerate", path, deck, "--page", "2", "--model", "scripted")
    assert ok.returncode == 0 and ok.stdout.startswith("script: "), ok.stderr


def test_leceval_takes_one_file_and_checks_its_rows(tmp_path):
    path = tmp_path / "mine.jsonl"
    low = {**RATED, "rate": {k: [1, 2, 2] for k in RATED["rate"]}, "transcript": "Sugar."}
    path.write_text("".join(json.dumps(r) + "\n" for r in (RATED, low, RATED)))
    ok = run("leceval", "--data", path, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("Spearman vs human means")
    path.write_text(json.dumps({**RATED, "slide_text": 3}) + "\n")
    line = one_error(run("leceval", "--data", path, cwd=tmp_path), path)
    assert line.endswith(":1: field 'slide_text': not a string")
    rate = {**RATED["rate"], "logical_structure": [4, 1e999]}
    path.write_text(json.dumps({**RATED, "rate": rate}).replace("Infinity", "1e999") + "\n")
    line = one_error(run("leceval", "--data", path, cwd=tmp_path), path)
    assert ":1: field 'rate.logical_structure': expected a non-empty list of finite" in line
