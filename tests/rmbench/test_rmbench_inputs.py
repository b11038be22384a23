"""`lmforge rmbench run|score` on hostile input: one `error:` line, exit 2, nothing written;
valid input that other readers accept (a BOM, U+2028 in a string, a pipe) is accepted here too."""

from __future__ import annotations

import json
import os
from functools import partial

import pytest

from helpers import lmforge_cli

lmforge = partial(lmforge_cli, "rmbench")

ROW = {
    "id": 1,
    "domain": "chat",
    "prompt": "What is two plus two?",
    "chosen": ["4.", "Two plus two is four.", "**4**."],
    "rejected": ["5.", "Two plus two is five!", "**5**."],
}
SCORES = {"score_chosen": [1, 2, 3], "score_rejected": [3, 2, 1]}


def one_error(result, name: str) -> str:
    """The single stderr line of a refused run, after checking the exit code."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {name}"), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def run(tmp_path, data, *extra):
    return lmforge("run", "-s", "length", "--data", data, "--no-report", "-q", *extra, cwd=tmp_path)


def test_a_bom_and_unicode_line_separators_are_data(tmp_path):
    bom = tmp_path / "bom.jsonl"
    bom.write_text(json.dumps(ROW) + "\n", encoding="utf-8-sig")
    seps = tmp_path / "seps.json"
    row = {**ROW, "id": 2, "prompt": "two\u2028plus\u0085two\u2029?"}
    seps.write_text(json.dumps([row], ensure_ascii=False), encoding="utf-8-sig")
    result = run(tmp_path, bom, "--data", seps)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("chat: ")
    (folder,) = (tmp_path / "runs" / "rmbench").iterdir()
    results = [json.loads(line) for line in (folder / "results.jsonl").open()]
    assert [r["id"] for r in results] == [1, 2]


def test_data_from_a_pipe(tmp_path):
    text = json.dumps({**ROW, "prompt": "a\u2028b"}, ensure_ascii=False) + "\n"
    result = lmforge(
        "run", "-s", "length", "--data", "/dev/stdin", "--no-report", "-q",
        cwd=tmp_path, stdin=text,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, ":1: invalid JSON (nested deeper than 100 levels)"),
        ('{"a": ' + "[" * 5000 + "]" * 5000 + "}\n", ":1: invalid JSON (nested deeper than"),
        ("[\n" + json.dumps(ROW) + ',\n{"id": NaN}]', ":3: invalid JSON (NaN is not a JSON"),
        (b"\xff\xfe[]", ": not UTF-8"),
        (json.dumps({**ROW, "id": 1.9}) + "\n", ":1: field 'id': missing or not an integer"),
        (json.dumps({**ROW, "prompt": None}) + "\n", ":1: field 'prompt': missing or empty"),
        (json.dumps({**ROW, "prompt": [1]}) + "\n", ":1: field 'prompt': expected a string"),
        (json.dumps({**ROW, "chosen": None}) + "\n", ":1: field 'chosen': expected a list of 3"),
        ("[" + json.dumps(ROW) + "] trailing", ":1: invalid JSON (extra data after the array)"),
        ("", ": no samples"),
        ("[1]", ":1: expected a JSON object, got int"),
    ],
    ids=[
        "deep-array", "deep-jsonl", "nan", "not-utf8", "id-float", "prompt-null", "prompt-list",
        "chosen-null", "trailing", "empty", "not-object",
    ],
)  # fmt: skip
def test_bad_data_is_one_line_and_nothing_is_written(tmp_path, content, message):
    path = tmp_path / "data.jsonl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    line = one_error(run(tmp_path, path), str(path))
    assert message in line
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("kind", ["fifo", "device", "missing"])
def test_data_that_is_not_a_regular_file(tmp_path, kind):
    path = {"fifo": tmp_path / "data.jsonl", "device": "/dev/zero", "missing": tmp_path / "no"}[
        kind
    ]
    if kind == "fifo":
        os.mkfifo(path)
    line = one_error(run(tmp_path, path), str(path))
    assert {"fifo": "named pipe", "device": "is a device", "missing": "no such file"}[kind] in line
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('{"score_chosen": [NaN, NaN, NaN], "score_rejected": [1, 2, 3]}', "invalid JSON (NaN"),
        ('{"score_chosen": [1e999, 1, 1], "score_rejected": [1, 2, 3]}', "is inf, not finite"),
        ('{"score_chosen": [1, 2], "score_rejected": [1, 2, 3]}', "'score_chosen': expected a"),
        ('{"score_chosen": [1, 2, "3"], "score_rejected": [1, 2, 3]}', "is str, not a number"),
        ('{"score_chosen": [1, 2, true], "score_rejected": [1, 2, 3]}', "is bool, not a number"),
        ('{"score_chosen": [1, 2, 3]}', "field 'score_rejected': missing"),
        ('{"correct": [["a", 1, 1], [1, 1, 1], [1, 1, 1]]}', "'correct': expected 0 or 1"),
        ('{"correct": [[1, 1, 1]]}', "'correct': expected a 3x3 matrix"),
    ],
    ids=["nan", "inf", "two", "string", "bool", "one-side", "correct-str", "correct-shape"],
)
def test_scores_must_be_three_finite_numbers_a_side(tmp_path, row, message):
    path = tmp_path / "scores.jsonl"
    path.write_text(json.dumps(SCORES) + "\n" + row + "\n")
    line = one_error(
        lmforge("score", "--scores", path, "--domain", "code", cwd=tmp_path), str(path)
    )
    assert line.startswith(f"error: {path}:2: ") and message in line


def test_score_flags_are_checked_when_truncated_responses_are_dropped(tmp_path):
    path = tmp_path / "scores.jsonl"
    path.write_text(json.dumps({**SCORES, "truncated_chosen": "yes"}) + "\n")
    result = lmforge("score", "--scores", path, "--domain", "code", "--truncated", "drop")
    assert "1: field 'truncated_chosen': expected a list of 3 true/false" in one_error(
        result, str(path)
    )
    ok = lmforge("score", "--scores", path, "--domain", "code")
    assert ok.returncode == 0 and ok.stdout.splitlines()[-1] == "overall: 33.3", ok.stderr
