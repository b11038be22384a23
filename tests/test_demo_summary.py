"""The `make demo` closing screen: its readers fed small run folders, its step list, its loop."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest
from rich.console import Console

from lmforge.systems import discover

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))
demo = importlib.import_module("demo")
ds = importlib.import_module("demo_summary")


def write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else json.dumps(data)
    path.write_text(text, encoding="utf-8")
    return path


def summary(**fields: object) -> dict:
    base = {"total": 2, "done": 2, "skipped": 0, "dropped": 0, "failed": 0, "drops": {}}
    return {**base, "failures": {}, "llm_calls": 4, "cached_calls": 0, **fields}


def step(kind: str, out: Path | None = None) -> ds.Step:
    return ds.Step("sys", kind, f"a {kind} step", ["true"], out=out, kind=kind)


def test_backtranslate_with_nothing_kept_says_why(tmp_path: Path) -> None:
    out = tmp_path / "crab"
    write(out / "config.yaml", "model: embedded\n")
    drops = {"no LLM-written constraint survived": 2}
    write(out / "summary.json", summary(done=0, dropped=2, drops=drops, kept=0, rows=0))
    changes = {"A": {"before": "x", "after": None}, "B": {"before": "y", "after": None}}
    rows = [
        {"id": "a", "_meta": {"check_changes": changes, "refine_rejected": ["echoed the prompt"]}},
        {"id": "b", "_meta": {"check_changes": {"C": {"before": "z", "after": None}}}},
    ]
    write(out / "dedupe-1" / "records.dropped.jsonl", "\n".join(json.dumps(r) for r in rows))
    o = ds.summarise(step("backtranslate", out), "", tmp_path)
    assert o.produced.startswith("0 of 2 pairs kept")
    assert "0 kept: no constraint by the 0.5B default model survived" in o.note
    assert "its own check deleted all 3 it wrote" in o.note
    assert "1 refined instruction echoed the prompt" in o.note
    assert "dropped" not in o.note  # the note already says why


def test_backtranslate_whose_pairs_all_failed_says_so(tmp_path: Path) -> None:
    out = tmp_path / "crab"
    write(out / "config.yaml", "model: embedded\n")
    errors = str(out / "write-1" / "records.errors.jsonl")
    s = summary(done=0, failed=2, failures={"ServerError": 2}, kept=0, error_rows=[errors])
    write(out / "summary.json", s)
    o = ds.summarise(step("backtranslate", out), "", tmp_path)
    assert o.note == "0 kept: every pair failed (2 failed: ServerError ×2)"
    assert Path(errors) in o.where


def test_backtranslate_that_kept_items_lists_their_constraints(tmp_path: Path) -> None:
    out = tmp_path / "crab"
    write(out / "config.yaml", "model: embedded\n")
    write(out / "summary.json", summary(kept=2, constraint_types={"Keyword": 2, "Digit": 1}))
    o = ds.summarise(step("backtranslate", out), "", tmp_path)
    assert o.produced == "2 of 2 pairs kept, constraints: Keyword ×2, Digit; 4 model calls"
    assert o.note == ""


def test_rmbench_reads_the_table_and_finds_the_report(tmp_path: Path) -> None:
    out = tmp_path / "rmbench"
    scores = {"overall": 60.25, "easy": 22.2, "normal": 75.0, "hard": 83.3, "chat": 59.3}
    write(out / "summary.json", summary(rows=10, scores=scores, domains_missing=["math"]))
    write(out / "report.html", "<html></html>")
    o = ds.summarise(step("rmbench", out), "", tmp_path)
    assert "10 samples: accuracy 60.2 (easy 22.2 / normal 75.0 / hard 83.3; chat 59.3)" in (
        o.produced
    )
    assert o.note == "no math samples in the example data"
    assert out / "report.html" in o.where


def test_failed_records_are_counted_with_their_error_rows(tmp_path: Path) -> None:
    out = tmp_path / "ifeval"
    errors = str(out / "x" / "records.errors.jsonl")
    s = summary(failed=1, failures={"timeout": 1}, error_rows=[errors], scores={"n": 4})
    write(out / "summary.json", s)
    o = ds.summarise(step("ifeval", out), "", tmp_path)
    assert o.note == "1 failed: timeout"
    assert o.where == [out, Path(errors)]  # no report.html: the folder


def test_prepare_finds_its_summary_and_explains_limits_and_fallbacks(tmp_path: Path) -> None:
    agenda = write(tmp_path / "run" / "deck.lecture.json", "{}")
    older = tmp_path / "runs" / "classroom-prepare" / "20250101-000000"
    write(older / "summary.json", summary(agenda=str(tmp_path / "other.json")))
    folder = tmp_path / "runs" / "classroom-prepare" / "20250101-000001"
    write(folder / "config.yaml", "limit: 2\nmodel: embedded-tiny\n")
    stages = [{"stage": "outline", "fallbacks": 0}, {"stage": "questions", "fallbacks": 1}]
    problems = ["P3 is missing", "P4 is missing", "P2 has no script"]
    s = summary(agenda=str(agenda), pages=2, sections=1, questions=3, problems=3)
    write(folder / "summary.json", {**s, "stages": stages, "problem_list": problems})
    o = ds.summarise(step("prepare", agenda), "", tmp_path)
    assert o.produced.startswith("2 pages -> 1 sections, 3 questions; 3 problems")
    assert "2 of the problems are pages past --limit" in o.note
    assert "SmolLM2-135M wrote no usable quiz for 1 section: rule-made questions" in o.note
    assert o.where == [agenda, folder]


def test_lecture_and_generate_are_read_from_their_stdout() -> None:
    text = "--- slide 1 ---\n[Teacher] Hi\n[Class Clown] Ha\n[Teacher] Quiz time! Q\n"
    text += "--- slide 2 ---\n[Teacher] Bye\n"
    o = ds.summarise(step("lecture"), text, Path("."))
    assert o.produced == "2 slides, turns: Teacher ×3, Class Clown; 1 quizzes"
    assert ds.summarise(step("generate"), "", Path(".")).note == "the model wrote nothing"


def test_a_missing_output_is_said_not_raised(tmp_path: Path) -> None:
    o = ds.summarise(step("pipeline", tmp_path / "nothing"), "", tmp_path)
    assert o.produced == "?"
    assert o.note.startswith("could not read its output: FileNotFoundError")


def test_resume_that_recomputed_records_says_so(tmp_path: Path) -> None:
    out = tmp_path / "toy"
    stages = [{"stage": "a", "total": 5, "skipped": 5}, {"stage": "b", "total": 5, "skipped": 3}]
    write(out / "summary.json", summary(llm_calls=2, stages=stages))
    o = ds.summarise(step("resume", out), "", tmp_path)
    assert o.produced == "8 of 10 stage records skipped (done before); 2 model calls"
    assert o.note == "2 recomputed: the rerun did not resume"


def test_the_table_shows_every_step_once_with_exit_3(tmp_path: Path) -> None:
    results = [
        ds.Result(ds.Step("core", "models", "t", ["x"]), 0, 0.4, ds.Outcome("7 model specs")),
        ds.Result(
            ds.Step("CRAB", "back-translate", "t", ["x"]),
            3,
            12.0,
            ds.Outcome("0 of 2 pairs kept", "0 kept: every pair failed", [tmp_path / "r" / "x"]),
        ),
    ]
    console = Console(record=True, width=100)
    console.print(ds.summary_table(results, tmp_path / "r", 12.4, tmp_path))
    screen = console.export_text()
    assert "lmforge demo: 2 steps, 12 s; outputs in r/" in screen
    assert "back-translate" in screen and "exit 3" in screen and "-> x" in screen


def test_every_demo_step_has_a_reader_and_shows_progress(tmp_path: Path, monkeypatch) -> None:
    deck = tmp_path / "data" / "slides" / "py4e_umich" / "Pythonlearn-04-Functions.pdf"
    write(deck, "%PDF")
    for shared in (tmp_path / "data", tmp_path / "none"):
        monkeypatch.setenv("LMFORGE_TEST_DATA", str(shared))
        steps = demo.steps(tmp_path)
        assert {s.kind for s in steps} <= set(ds.READERS), shared
        for s in steps:
            assert "--quiet" not in s.cmd and "-q" not in s.cmd, s.title
        shown = {s.system for s in steps}
        assert {DEMO_NAMES[s.name] for s in discover()} <= shown, shown


DEMO_NAMES = {
    "benchmarks": "CRAB",  # IFEval and FollowBench are shown by CRAB's step
    "classroom": "Slide2Lecture",
    "crab": "CRAB",
    "distill": "distillation",
    "longcite": "LongCite",
    "longreward": "LongReward",
    "longwriter": "LongWriter",
    "mavenfact": "MAVEN-Fact",
    "openep": "OpenEP",
    "rmbench": "RM-Bench",
}
"""Each declared system's name in the demo's table: a new system without an entry fails here."""


def test_the_shared_deck_replaces_the_example_deck(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LMFORGE_TEST_DATA", str(tmp_path / "none"))
    kinds = [s.kind for s in demo.steps(tmp_path)]
    assert kinds.count("deck") == 1 and kinds.count("prepare") == 1
    deck = tmp_path / "data" / "slides" / "py4e_umich" / "Pythonlearn-04-Functions.pdf"
    write(deck, "%PDF")
    monkeypatch.setenv("LMFORGE_TEST_DATA", str(tmp_path / "data"))
    prepare = [s for s in demo.steps(tmp_path) if s.kind == "prepare"]
    assert "deck" not in [s.kind for s in demo.steps(tmp_path)]
    assert prepare[0].cmd[prepare[0].cmd.index("--limit") + 1] == str(demo.SHIPPED_PAGES)


@pytest.mark.parametrize(("codes", "expected", "ran"), [((3, 0), 0, 2), ((0, 1, 0), 1, 2)])
def test_exit_3_goes_on_and_other_codes_stop(
    tmp_path: Path, monkeypatch, capsys, codes: tuple[int, ...], expected: int, ran: int
) -> None:
    def steps(run: Path) -> list[ds.Step]:
        return [
            ds.Step("s", f"step{i}", "t", [sys.executable, "-c", f"print({i}); exit({code})"])
            for i, code in enumerate(codes)
        ]

    monkeypatch.setattr(demo, "ROOT", tmp_path)
    monkeypatch.setattr(demo, "steps", steps)
    assert demo.main() == expected
    out = capsys.readouterr().out
    assert out.count("\n=== [") == ran
    assert f"lmforge demo: {ran} steps" in out
