"""`lmforge longwriter write|ruler` as a user runs them (scripted model; no inference)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

LMFORGE = [sys.executable, "-m", "lmforge.cli", "longwriter"]


def run(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        LMFORGE + list(args), capture_output=True, text=True, timeout=timeout, env={**os.environ}
    )


def test_write_one_instruction_prints_the_text_and_writes_the_run(tmp_path):
    out = tmp_path / "sft.jsonl"
    result = run(
        "write",
        "--model",
        "scripted",
        "--output",
        str(out),
        "--out",
        str(tmp_path / "run"),
        "--quiet",
        "--set",
        "options.min_length_ratio=0",
        "Write a haiku about rain.",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"  # the scripted model plans "OK" and writes "OK"
    assert "kept: 1" in result.stderr and "run: " in result.stderr
    row = json.loads(out.read_text())
    assert row == {
        "messages": [
            {"role": "user", "content": "Write a haiku about rain."},
            {"role": "assistant", "content": "OK"},
        ]
    }
    for name in (
        "config.yaml",
        "summary.json",
        "agentwrite.jsonl",
        "paragraphs.jsonl",
    ):
        assert (tmp_path / "run" / name).exists(), name
    assert not (tmp_path / "run" / "final.jsonl").exists()  # written once: to --output


def test_write_input_errors_are_one_line(tmp_path):
    bad = tmp_path / "in.jsonl"
    bad.write_text('{"prompt": "ok"}\n{"text": "no prompt"}\n')
    result = run(
        "write", "--model", "scripted", "--input", str(bad), "--out", str(tmp_path / "run")
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {bad}:2: field 'prompt': missing required field"
    result = run("write", "--model", "scripted", "--out", str(tmp_path / "run2"))
    assert result.returncode == 2 and "either an instruction or --input" in result.stderr


def test_ruler_prints_name_value_lines(tmp_path):
    result = run(
        "ruler",
        "--model",
        "scripted",
        "--lengths",
        "1000",
        "--out",
        str(tmp_path / "run"),
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["max_output_length: 1", "length_score: 0.0000", "n: 4"]
    bad = run("ruler", "--model", "scripted", "--lengths", "10k")
    assert bad.returncode == 2 and "--lengths" in bad.stderr


def test_help_lists_the_three_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("write", "bench", "ruler"):
        assert command in result.stdout
