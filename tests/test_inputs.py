"""The input gate (``lmforge.inputs``) and the config loader that reads through it."""

from __future__ import annotations

import os
import threading

import pytest
from pydantic import BaseModel

from lmforge.config import get_settings, load_config
from lmforge.errors import InputError
from lmforge.inputs import (
    check_file,
    iter_lines,
    loads_json,
    loads_yaml,
    read_json,
    source,
)
from lmforge.pipeline.jobs import JobConfig
from lmforge.pipeline.records import read_jsonl

BOMB = "\n".join(
    [
        "a: &a [x, x, x, x, x, x, x, x, x]",
        *(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def test_paths_that_are_not_regular_files_are_refused(tmp_path):
    fifo = tmp_path / "f.jsonl"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    cases = {
        tmp_path: "is a folder",
        fifo: "named pipe",
        tmp_path / "none.jsonl": "no such file",
        loop: "symbolic link loop",
    }
    cases[type(tmp_path)("/dev/zero")] = "is a device"
    for path, message in cases.items():
        with pytest.raises(InputError, match=message):
            check_file(path)


def test_a_pipe_is_read_once_and_kept(tmp_path):
    """``--input <(cat f)``: validation and the run both read it; a pipe gives its bytes once."""
    read, write = os.pipe()
    body = b'{"a": 1}\n{"a": 2}\n'
    writer = threading.Thread(target=lambda: (os.write(write, body), os.close(write)))
    writer.start()
    path = f"/dev/fd/{read}"
    try:
        assert [r["a"] for r in read_jsonl(path)] == [1, 2]
        assert [r["a"] for r in read_jsonl(path)] == [1, 2]  # a second read: the kept copy
        assert source(path).read_bytes() == body
    finally:
        writer.join()
        os.close(read)


def test_strict_json(tmp_path):
    for text, message in [
        ('{"x": NaN}', "NaN is not a JSON number"),
        ('{"x": -Infinity}', "-Infinity is not a JSON number"),
        ("[" * 150 + "]" * 150, "nested deeper than 100 levels"),
        ("[" * 100_000, "nested deeper than 100 levels"),
        ('{"x": 1', "invalid JSON"),
    ]:
        with pytest.raises(InputError, match=message):
            loads_json(text, "f.json", 3)
    assert loads_json("[" * 50 + "]" * 50, "f.json") is not None
    assert loads_json('{"x": NaN}', "f.json", allow_nan=True)["x"] != 0


def test_unicode_separators_and_bom_are_data(tmp_path):
    path = tmp_path / "u.jsonl"
    path.write_bytes('\ufeff{"t": "a\u2028b\u0085c"}\r\n{"t": "d"}\n'.encode())
    assert [r["t"] for r in read_jsonl(path)] == ["a\u2028b\u0085c", "d"]
    whole = tmp_path / "u.json"
    whole.write_bytes('\ufeff{"t": "a\u2028b"}'.encode())
    assert read_json(whole) == {"t": "a\u2028b"}


def test_long_lines_are_refused_without_reading_them_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("LMFORGE_MAX_LINE_BYTES", "100")
    path = tmp_path / "long.jsonl"
    path.write_text('{"a": 1}\n{"a": "' + "x" * 500 + '"}\n')
    with pytest.raises(InputError, match=r"long.jsonl:2: line longer than 100 bytes"):
        read_jsonl(path)
    assert next(iter_lines(path))[:2] == (1, b'{"a": 1}')  # lines before it are fine
    monkeypatch.setenv("LMFORGE_MAX_LINE_BYTES", "0")
    with pytest.raises(InputError, match="LMFORGE_MAX_LINE_BYTES='0': expected a positive"):
        read_jsonl(path)


def test_yaml_alias_bombs_are_refused_quickly():
    with pytest.raises(InputError, match="more than 32 aliases"):
        loads_yaml(BOMB, "c.yaml")
    small = "a: &a [x, x]\nb: [*a, *a]\n"
    assert loads_yaml(small) == {"a": ["x", "x"], "b": [["x", "x"], ["x", "x"]]}
    with pytest.raises(InputError, match="more than 32 aliases"):
        load_config(JobConfig, overrides=[f"limit=[{BOMB.replace(chr(10), ', ')}]"])


class Inner(BaseModel):
    max_tokens: int = 1


class Cmd(JobConfig):
    generation: Inner = Inner()
    options: dict = {}


def test_unknown_keys_are_refused_with_the_nearest_name(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("limit: 2\nconcurency: 4\n")
    with pytest.raises(InputError) as err:
        load_config(Cmd, path)
    assert str(err.value) == (
        f"{path}:2: field 'concurency': unknown key (did you mean 'concurrency'?)"
    )
    with pytest.raises(InputError, match=r"did you mean 'generation.max_tokens'"):
        load_config(Cmd, overrides=["generation.max_token=3"])
    config = load_config(Cmd, overrides=["options.anything=3", "generation.max_tokens=5"])
    assert config.options == {"anything": 3} and config.generation.max_tokens == 5


def test_config_files_that_are_not_yaml_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"limit: \xff\n")
    with pytest.raises(InputError, match=r"bad.yaml: not UTF-8"):
        load_config(Cmd, bad)
    with pytest.raises(InputError, match="is a folder"):
        load_config(Cmd, tmp_path)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n")
    with pytest.raises(InputError, match="config must be a mapping"):
        load_config(Cmd, listed)
    bom = tmp_path / "bom.yaml"
    bom.write_bytes("\ufefflimit: 3\n".encode())
    assert load_config(Cmd, bom).limit == 3


def test_a_bad_environment_value_is_one_line(monkeypatch):
    monkeypatch.setenv("LMFORGE_CACHE", "maybe")
    get_settings.cache_clear()
    with pytest.raises(InputError, match=r"environment variable LMFORGE_CACHE='maybe'"):
        get_settings()
