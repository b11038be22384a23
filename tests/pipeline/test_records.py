import json
from pathlib import Path

import pytest

from lmforge.errors import InputError
from lmforge.pipeline.records import (
    JsonlAppender,
    content_id,
    iter_jsonl,
    preference,
    read_jsonl,
    record_id,
    sft_messages,
    write_jsonl,
)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_broken_line_names_file_and_line(tmp_path):
    p = write(tmp_path / "in.jsonl", b'{"a": 1}\n\n{"a": 2\n')
    with pytest.raises(InputError) as err:
        read_jsonl(p)
    assert str(err.value).startswith(f"{p}:3: invalid JSON")


def test_missing_field_is_named(tmp_path):
    p = write(tmp_path / "in.jsonl", b'{"prompt": "x"}\n{"text": "y"}\n')
    with pytest.raises(InputError) as err:
        read_jsonl(p, required=["prompt"])
    assert str(err.value) == f"{p}:2: field 'prompt': missing required field"
    assert err.value.line == 2 and err.value.field == "prompt"


def test_empty_file_and_non_utf8(tmp_path):
    with pytest.raises(InputError, match="file is empty"):
        read_jsonl(write(tmp_path / "e.jsonl", b"\n  \n"))
    with pytest.raises(InputError, match=r":2: not UTF-8 \(byte 0xff"):
        read_jsonl(write(tmp_path / "u.jsonl", b'{"a": 1}\n{"a": "\xff"}\n'))
    with pytest.raises(InputError, match="expected a JSON object, got list"):
        read_jsonl(write(tmp_path / "l.jsonl", b"[1, 2]\n"))


def test_ids_are_given_or_stable_content_hashes():
    assert record_id({"id": 7, "x": 1}) == "7"
    a = record_id({"x": 1, "y": [1, 2]})
    assert a == record_id({"y": [1, 2], "x": 1})  # key order does not matter
    assert a == record_id({"x": 1, "y": [1, 2], "_meta": {"usage": 3}})  # metadata does not count
    assert a != record_id({"x": 2, "y": [1, 2]})
    assert len(content_id({"x": 1})) == 16


def test_torn_tail_is_cut_before_appending(tmp_path):
    p = write(tmp_path / "out.jsonl", b'{"id": "a"}\n{"id": "b", "tor')
    assert [r["id"] for _, r in iter_jsonl(p, tolerate_torn_tail=True)] == ["a"]
    with JsonlAppender(p) as out:
        out.write({"id": "c"})
    assert [json.loads(line)["id"] for line in p.read_text().splitlines()] == ["a", "c"]


def test_write_jsonl_is_atomic_and_unicode(tmp_path):
    p = tmp_path / "o.jsonl"
    assert write_jsonl(p, [{"t": "中文"}, {"t": "b"}]) == 2
    assert "中文" in p.read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".*tmp"))


def test_trl_formats():
    row = sft_messages("q", "a", system="s")
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
    pref = preference("q", "good", "bad")
    assert pref["chosen"][0]["content"] == "good" and pref["rejected"][0]["role"] == "assistant"


def test_bom_is_accepted_and_deep_nesting_is_a_clear_error(tmp_path):
    p = write(tmp_path / "bom.jsonl", '\ufeff{"a": 1}\n'.encode())
    assert read_jsonl(p) == [{"a": 1}]
    deep = write(tmp_path / "deep.jsonl", b'{"a": 1}\n' + b"[" * 100_000 + b"\n")
    with pytest.raises(
        InputError, match=r"deep.jsonl:2: invalid JSON \(nested deeper than 100 levels\)"
    ):
        read_jsonl(deep)


async def test_per_turn_rows_reach_the_file_once_per_loop_turn(tmp_path):
    import asyncio

    from lmforge.pipeline.records import JsonlAppender

    path = tmp_path / "out.jsonl"
    with JsonlAppender(path, per_turn=True) as out:
        out.write({"id": "a"})
        out.write({"id": "b"})
        assert path.read_text() == ""  # both wait for the turn's one flush
        await asyncio.sleep(0)
        assert [r["id"] for r in read_jsonl(path)] == ["a", "b"]
        out.write({"id": "c"})
    assert [r["id"] for r in read_jsonl(path)] == ["a", "b", "c"]  # closing flushes


def test_per_turn_off_the_loop_flushes_each_row(tmp_path):
    from lmforge.pipeline.records import JsonlAppender

    path = tmp_path / "out.jsonl"
    out = JsonlAppender(path, per_turn=True)
    out.write({"id": "a"})
    assert [r["id"] for r in read_jsonl(path)] == ["a"]
    out.close()
