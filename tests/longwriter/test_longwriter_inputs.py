"""LongWriter's commands behind the input gate: rows checked before any model or run folder."""

from __future__ import annotations

import json

import pytest

from helpers import lmforge_cli, refused, write_jsonl
from lmforge.errors import InputError
from lmforge.longwriter import load_predictions


@pytest.mark.parametrize("length", ["100", 1.9, True, 0, -5, None, [100]])
def test_length_must_be_a_positive_whole_number(tmp_path, length):
    path = write_jsonl(tmp_path / "p.jsonl", [{"prompt": "p", "length": length, "response": "r"}])
    with pytest.raises(InputError, match=r"p.jsonl:1: field 'length'"):
        load_predictions(path)


def test_a_whole_float_length_is_a_length(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [{"prompt": "p", "length": 100.0, "response": "r"}])
    assert load_predictions(path)[0]["length"] == 100


def test_bench_nan_length_is_one_line_and_no_run_folder(tmp_path):
    path = tmp_path / "preds.jsonl"
    path.write_text('{"prompt":"p","length":NaN,"response":"r"}\n')
    result = lmforge_cli("longwriter", "bench", "--predictions", path, cwd=tmp_path)
    refused(result, "preds.jsonl:1", "NaN")
    assert not (tmp_path / "runs").exists()


def test_bench_checks_data_before_it_builds_a_model_or_a_run_folder(tmp_path):
    """The model spec would fail if built (nothing listens on port 9): the row is refused first."""
    data = write_jsonl(tmp_path / "lbw.jsonl", [{"prompt": "p", "type": "t", "length": 1.9}])
    result = lmforge_cli(
        "longwriter", "bench", "--data", data, "--model", "openai:m@http://127.0.0.1:9/v1",
        cwd=tmp_path,
    )  # fmt: skip
    refused(result, "lbw.jsonl:1", "field 'length'")
    assert not (tmp_path / "runs").exists()


def test_ruler_non_utf8_is_one_line_and_no_run_folder(tmp_path):
    path = tmp_path / "ruler.jsonl"
    path.write_bytes(b'{"prompt": "\xff", "length": 1000}\n')
    result = lmforge_cli("longwriter", "ruler", "--data", path, "--model", "scripted", cwd=tmp_path)
    refused(result, "ruler.jsonl:1", "UTF-8")
    assert not (tmp_path / "runs").exists()


def test_write_refuses_a_prompt_that_is_not_text(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [{"prompt": ["x", 1]}])
    result = lmforge_cli(
        "longwriter", "write", "--input", path, "--model", "scripted", cwd=tmp_path
    )
    refused(result, "in.jsonl:1", "field 'prompt'")
    assert not (tmp_path / "runs").exists()


def test_ruler_reads_prompts_from_stdin(tmp_path):
    row = {"prompt": "Write\u2028about the\u0085sea.", "length": 1000}
    result = lmforge_cli(
        "longwriter", "ruler", "--data", "/dev/stdin", "--model", "scripted", "-q",
        cwd=tmp_path, stdin=json.dumps(row, ensure_ascii=False) + "\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "n: 1" in result.stdout.split("\n")


def test_report_rows_keep_unicode_separators_inside_strings(tmp_path):
    """The report reads our own JSONL through the gate: U+2028 in a prompt is not a line end,
    and a torn last line (a killed run) is skipped."""
    from lmforge.longwriter.report import _jsonl

    path = tmp_path / "agentwrite.jsonl"
    row = {"id": "a", "prompt": "one\u2028two\u0085three"}
    path.write_text(json.dumps(row, ensure_ascii=False) + '\n{"id": "b", "pro', encoding="utf-8")
    assert _jsonl(path) == [row]
    assert _jsonl(tmp_path / "missing.jsonl") == []
