"""`lmforge classroom ...` through the real entry point, as a teacher or student runs it."""

import json
import os
import subprocess
import sys
from functools import partial

from helpers import lmforge_cli
from lmforge.classroom.agenda import Agenda
from lmforge.classroom.prepare import save_agenda
from lmforge.classroom.teach.simulated import sample_agenda

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


run = partial(lmforge_cli, "classroom", timeout=600)


def _deck(tmp_path):
    subprocess.run(
        [
            sys.executable,
            os.path.join(ROOT, "examples", "classroom", "make_deck.py"),
            str(tmp_path / "plants.pptx"),
        ],
        check=True,
        capture_output=True,
    )
    return tmp_path / "plants.pptx"


def test_pages_ends_with_the_page_count(tmp_path):
    result = run("pages", _deck(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "pages: 7"
    assert "What Plants Need" in result.stdout and "Carbon dioxide from the air" in result.stdout


def test_pages_of_a_non_deck_is_one_line(tmp_path):
    bogus = tmp_path / "notes.pptx"
    bogus.write_bytes(b"just some text, not a zip")
    result = run("pages", bogus)
    assert result.returncode == 2
    assert "not a PPTX or PDF" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_prepare_then_lecture_with_a_scripted_class(tmp_path):
    deck = _deck(tmp_path)
    out = tmp_path / "plants.lecture.json"
    folder = tmp_path / "prep"
    result = run("prepare", deck, "--model", "scripted", "--out", out, "--run-dir", folder, "-q")
    assert result.returncode == 0, result.stderr
    assert "pages: 7" in result.stdout and "problems: 0" in result.stdout
    assert out.exists()
    summary = json.loads((folder / "summary.json").read_text())  # where --run-dir said
    assert summary["agenda"] == str(out) and summary["pages"] == 7
    before = out.read_text()
    result = run("regenerate", out, deck, "--page", "2", "--what", "script", "--model", "scripted")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("script: ")
    old, new = Agenda.model_validate_json(before), Agenda.model_validate_json(out.read_text())
    assert [p.index for p in old.pages()] == [p.index for p in new.pages()]
    for a, b in zip(old.pages(), new.pages(), strict=True):
        if a.index != 2:
            assert a == b  # only the asked page changes

    agenda = tmp_path / "quiz.json"
    save_agenda(sample_agenda(2), agenda)
    typed = "What does this mean?\n\n\nA\n\n\n"
    result = run("lecture", agenda, "--model", "scripted", stdin=typed)
    assert result.returncode == 0, result.stderr
    assert "--- slide 2 ---" in result.stdout and "The lecture is over." in result.stdout
    assert "quiz: 1/1 correct" in result.stderr


def test_lecture_with_a_simulated_student(tmp_path):
    agenda = tmp_path / "quiz.json"
    save_agenda(sample_agenda(3), agenda)
    result = run(
        "lecture", agenda, "--model", "scripted", "--student", "off_topic", "--mode", "continuous"
    )
    assert result.returncode == 0, result.stderr
    assert "[off_topic student]" in result.stdout
    assert "finished: True" in result.stderr
    bad = run("lecture", agenda, "--model", "scripted", "--student", "nobody")
    assert bad.returncode == 2


def test_prepare_takes_config_overrides_and_rejects_bad_ones(tmp_path):
    deck = _deck(tmp_path)
    out = tmp_path / "plants.lecture.json"
    result = run(
        "prepare",
        deck,
        "--model",
        "scripted",
        "--out",
        out,
        "--quiet",
        "--set",
        "outline_config.answer=trace",
        "--set",
        "plan.max_sentences=1",
    )
    assert result.returncode == 0, result.stderr
    assert "problems: 0" in result.stdout
    # trace answers: the model is asked for every page until it is dropped (4 pages x 3 tries);
    # the default choice answers would skip the forced pages (9 calls)
    assert "calls=12 fallbacks=7" in result.stderr
    result = run(
        "prepare",
        deck,
        "--model",
        "scripted",
        "--out",
        out,
        "--quiet",
        "--set",
        "outline_config.answer=guess",
    )
    assert result.returncode == 2
    assert "answer" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_seed_alone_decides_which_classmates_join(tmp_path):
    """The terminal session's id is fixed, so a lecture is the same on every run of one seed
    (CI once saw the Class Clown join at random and the typed lines land on the wrong prompts)."""
    agenda = tmp_path / "quiz.json"
    save_agenda(sample_agenda(2), agenda)
    typed = "\n\n\nA\n\n\n\n\n"

    def lecture(seed):
        result = run(
            "lecture",
            agenda,
            "--model",
            "scripted",
            "--activation",
            "high",
            "--seed",
            seed,
            stdin=typed,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    joined = lecture(2)
    assert "[Class Clown]" in joined and lecture(2) == joined
    assert "[Class Clown]" not in lecture(0)
