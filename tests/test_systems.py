"""Adding a system is a declaration: the example system (examples/toy_system) shows up in
``--help``, ``lmforge benchmarks`` and the export checks with no core file or test list edited."""

import json
from functools import partial
from pathlib import Path

import pytest

from helpers import lmforge_cli, write_jsonl
from lmforge.registry import Registry
from lmforge.systems import System, discover

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TOY = {"PYTHONPATH": str(EXAMPLES), "LMFORGE_SYSTEMS": "toy_system"}


lmforge = partial(lmforge_cli, env=TOY)


def test_builtin_systems_are_declared():
    names = {s.name for s in discover()}
    assert {"crab", "longwriter", "rmbench", "classroom", "benchmarks"} <= names


def test_the_example_system_joins_by_declaration(tmp_path):
    help_text = lmforge("--help", cwd=tmp_path).stdout
    assert "toysys" in help_text and "one-stage example system" in help_text
    assert "toysys" not in lmforge("--help", cwd=tmp_path, env={}).stdout
    listed = lmforge("benchmarks", cwd=tmp_path).stdout
    assert "toy_titles: Toy titles: does the title reuse a word" in listed
    verb_help = lmforge("toysys", "title", "--help", cwd=tmp_path).stdout
    assert "JSONL rows with a ``text`` field." in verb_help  # the field docstring is the help
    rows = tmp_path / "in.jsonl"
    write_jsonl(rows, [{"id": str(i), "text": f"text {i}"} for i in "ab"])
    run = lmforge("toysys", "title", "-i", rows, "-m", "scripted", "--out", tmp_path / "r", "-q",
                  cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["titled: 2", "dropped: 0"]
    final = [json.loads(line) for line in (tmp_path / "r" / "final.jsonl").read_text().splitlines()]
    assert [r["title"] for r in final] == ["OK", "OK"]


def test_the_example_system_passes_the_export_check(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setenv("LMFORGE_SYSTEMS", "toy_system")
    toy = next(s for s in discover() if s.name == "toysys")
    module = __import__(toy.package)
    assert all(getattr(module, name) is not None for name in module.__all__)


def test_registry_refuses_a_second_owner_and_lists_help():
    reg: Registry[object] = Registry("widget")

    @reg.register("a")
    def first():
        """First widget."""

    reg.register("a")(first)  # the same object again (a re-import) is fine
    with pytest.raises(ValueError, match="already registered"):
        reg.add("a", lambda: None)
    assert reg.listing() == {"a": "First widget."}
    with pytest.raises(Exception, match=r"unknown widget 'b' \(known: a\)"):
        reg.get("b")


def test_a_duplicate_system_name_is_refused(monkeypatch, tmp_path):
    pkg = tmp_path / "dup_sys"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from lmforge.systems import System\n"
        "SYSTEM = System(name='crab', package='dup_sys', help='x')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("LMFORGE_SYSTEMS", "dup_sys")
    with pytest.raises(Exception, match="two systems are named 'crab'"):
        discover()
    assert isinstance(System, type)
