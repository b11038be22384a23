"""IFEval and FollowBench data behind the input gate: typed rows, one-line errors."""

from __future__ import annotations

import json

import pytest

from helpers import lmforge_cli, refused, write_jsonl
from lmforge.benchmarks.followbench import CATEGORIES, load_fb_responses, load_followbench
from lmforge.errors import InputError

ITEM = {
    "example_id": 1,
    "category": "content",
    "source": "E2E",
    "level": 1,
    "instruction": "Describe the restaurant.",
    "target": "",
}


def _data(tmp_path, items, name="content_constraints.json"):
    path = tmp_path / name
    path.write_text(json.dumps(items))
    return path


@pytest.mark.parametrize("level", [1.9, "1", True, None])
def test_followbench_response_level_is_a_typed_int(tmp_path, level):
    """``level: 1.9`` was truncated to level 1 by ``int()``."""
    data = _data(tmp_path, [ITEM])
    rows = [{"category": "content", "example_id": 1, "level": level, "response": "r"}]
    responses = write_jsonl(tmp_path / "resp.jsonl", rows)
    result = lmforge_cli("crab", "followbench", "--data", data, "--responses", responses)
    refused(result, "resp.jsonl:1")


def test_followbench_non_utf8_data_file_is_one_line(tmp_path):
    folder = tmp_path / "fb"
    folder.mkdir()
    for category in CATEGORIES:
        _data(folder, [{**ITEM, "category": category}], f"{category}_constraints.json")
    (folder / "content_constraints.json").write_bytes(b'[{"instruction": "\xff"}]')
    responses = write_jsonl(
        tmp_path / "r.jsonl", [{"category": "content", "example_id": 1, "level": 1, "response": ""}]
    )
    result = lmforge_cli(
        "crab", "followbench", "--data", folder, "--responses", responses, cwd=tmp_path
    )
    refused(result, "content_constraints.json", "UTF-8")


@pytest.mark.parametrize(
    ("change", "field"),
    [({"level": 1.9}, "level"), ({"level": 6}, "level"), ({"example_id": "1"}, "example_id")],
)
def test_followbench_items_are_typed(tmp_path, change, field):
    data = _data(tmp_path, [ITEM, {**ITEM, **change}])
    with pytest.raises(InputError, match=rf"content_constraints.json item:2: field '{field}'"):
        load_followbench(data)


def test_followbench_data_may_be_one_file(tmp_path):
    """A file named for its category, or any name when its items name one of the six."""
    mixed = {**ITEM, "example_id": 2, "category": "format, content"}
    named = load_followbench(_data(tmp_path, [ITEM, mixed]))
    assert [i.category for i in named] == ["content", "content"]
    assert named[1].constraint_types == "format, content"
    other = load_followbench(_data(tmp_path, [ITEM], name="items.json"))
    assert [i.key for i in other] == [("content", 1, 1)]
    assert load_followbench(_data(tmp_path, [ITEM], name="x.json"), ("style",)) == []
    with pytest.raises(InputError, match="field 'category'.*<category>_constraints.json"):
        load_followbench(_data(tmp_path, [{**ITEM, "category": "mixed?"}], name="y.json"))
    with pytest.raises(InputError, match="empty list"):
        load_followbench(_data(tmp_path, []))


def test_a_null_followbench_answer_stays_a_missing_one(tmp_path):
    items = load_followbench(_data(tmp_path, [ITEM]))
    rows = [{"category": "content", "example_id": 1, "level": 1, "response": None}]
    assert load_fb_responses(write_jsonl(tmp_path / "r.jsonl", rows), items) == {}


def test_ifeval_prompt_with_unicode_separators_joins_its_response(tmp_path):
    """U+2028 inside a prompt is text in both files, so the response is found for it."""
    prompt = "Answer\u2028without\u0085commas."
    inputs = tmp_path / "in.jsonl"
    row = {"prompt": prompt, "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}
    inputs.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    responses = tmp_path / "resp.jsonl"
    answer = {"prompt": prompt, "response": "Yes sure"}
    responses.write_bytes(b"\xef\xbb\xbf" + json.dumps(answer).encode() + b"\r\n")
    result = lmforge_cli("crab", "ifeval", "--inputs", inputs, "--responses", responses)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "prompt_level_strict: 100.00"
