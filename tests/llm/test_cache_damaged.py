"""A call cache file that cannot serve (garbage, truncated, torn pages, a folder, no permission):
one line naming the file and the fix, exit code 2, never a traceback; `lmforge cache clear`
moves a damaged file aside and starts an empty cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lmforge.errors import InputError
from lmforge.llm.cache import CacheDamagedError, CallCache
from lmforge.llm.types import Completion

# nothing listens on port 9: a model command that got past the cache would fail differently
MODEL = "openai:m@http://127.0.0.1:9/v1"


def filled(path: Path, n: int = 400) -> Path:
    cache = CallCache(path)
    for i in range(n):
        cache.put(f"k{i}", "m", Completion(text="x" * 400, finish_reason="stop"))
    cache.close()
    for extra in path.parent.glob(path.name + "-*"):  # checkpointed on close; WAL files gone
        extra.unlink()
    return path


def garbage(path: Path) -> Path:
    path.write_bytes(os.urandom(4096))
    return path


def truncated(path: Path) -> Path:
    filled(path)
    os.truncate(path, path.stat().st_size // 2)
    return path


def torn(path: Path) -> Path:
    """A file of the right size whose middle pages are garbage: found only when read."""
    filled(path)
    with path.open("r+b") as f:
        f.seek(8 * 4096)
        f.write(os.urandom(20 * 4096))
    return path


def folder(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize("damage", [garbage, truncated])
def test_a_damaged_file_is_one_input_error_when_opened(damage, tmp_path):
    path = damage(tmp_path / "calls.sqlite")
    with pytest.raises(CacheDamagedError) as info:
        CallCache(path)
    message = str(info.value)
    assert isinstance(info.value, InputError) and info.value.path == str(path)
    assert message.startswith(f"{path}: the call cache is damaged (")
    assert "lmforge cache clear" in message and "\n" not in message


def test_torn_pages_found_on_read_are_the_same_error(tmp_path):
    cache = CallCache(torn(tmp_path / "calls.sqlite"))
    with pytest.raises(CacheDamagedError, match="damaged"):
        for i in range(400):
            cache.get(f"k{i}")


def test_a_folder_at_the_cache_path(tmp_path):
    path = folder(tmp_path / "calls.sqlite")
    with pytest.raises(InputError) as info:
        CallCache(path)
    assert not isinstance(info.value, CacheDamagedError)
    assert str(info.value).startswith(f"{path}: is a folder, not a call cache file")
    assert "LMFORGE_CACHE_PATH" in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file(tmp_path):
    path = filled(tmp_path / "calls.sqlite")
    path.chmod(0)
    try:
        with pytest.raises(InputError, match="cannot open the call cache") as info:
            CallCache(path)
        assert str(path) in str(info.value)
    finally:
        path.chmod(0o600)


def test_a_cache_path_under_a_file(tmp_path):
    parent = tmp_path / "not-a-folder"
    parent.write_text("x")
    with pytest.raises(InputError, match="cannot open the call cache") as info:
        CallCache(parent / "calls.sqlite")
    assert str(info.value).startswith(f"{parent / 'calls.sqlite'}: ")


def test_an_empty_file_is_an_empty_cache(tmp_path):
    path = tmp_path / "calls.sqlite"
    path.touch()
    assert CallCache(path).stats().entries == 0


@pytest.fixture
def cache_at(monkeypatch, tmp_path):
    """Point LMFORGE_CACHE_PATH at a file the test damages."""
    from lmforge.config import get_settings
    from lmforge.llm import registry

    path = tmp_path / "calls.sqlite"
    monkeypatch.setenv("LMFORGE_CACHE_PATH", str(path))
    get_settings.cache_clear()
    yield path
    registry._CACHES.pop(path, None)
    get_settings.cache_clear()


def cli(capsys, *args: str) -> tuple[int, str, str]:
    from lmforge.cli import main

    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return info.value.code, out, err


@pytest.mark.parametrize("damage", [garbage, truncated, folder])
@pytest.mark.parametrize(
    "command",
    [
        ("generate", "-m", MODEL, "hi"),
        ("cache", "stats"),
        ("cache", "clear", "--model", MODEL),
    ],
    ids=["generate", "stats", "clear-model"],
)
def test_model_commands_stop_with_one_line_and_exit_2(damage, command, cache_at, capsys):
    damage(cache_at)
    code, out, err = cli(capsys, *command)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {cache_at}: ") and err.count("\n") == 1
    if damage is not folder:
        assert "lmforge cache clear" in err
        assert "without --model" in err if "--model" in command else "damaged" in err


def test_batch_stops_before_any_call(cache_at, capsys, tmp_path):
    garbage(cache_at)
    rows = tmp_path / "in.jsonl"
    rows.write_text('{"prompt": "hi"}\n')
    code, _, err = cli(capsys, "batch", "-m", MODEL, "-i", str(rows), "--quiet")
    assert code == 2 and "the call cache is damaged" in err and err.count("\n") == 1


@pytest.mark.parametrize("damage", [garbage, truncated, torn])
def test_cache_clear_moves_a_damaged_file_aside(damage, cache_at, capsys):
    damage(cache_at)
    before = cache_at.read_bytes()
    code, out, err = cli(capsys, "cache", "clear")
    assert (code, err) == (0, "")
    moved = [p for p in cache_at.parent.iterdir() if ".damaged-" in p.name]
    assert len(moved) == 1 and moved[0].read_bytes() == before  # kept, not deleted
    assert out.splitlines() == [
        f"damaged cache moved to: {moved[0]}",
        "deleted: all (an empty cache is in its place)",
    ]
    code, out, _ = cli(capsys, "cache", "stats")
    assert code == 0 and "entries: 0" in out


def test_cache_clear_does_not_move_a_folder(cache_at, capsys):
    folder(cache_at)
    code, _, err = cli(capsys, "cache", "clear")
    assert code == 2 and "is a folder" in err and cache_at.is_dir()


def test_generate_in_a_subprocess_prints_no_traceback(tmp_path):
    path = garbage(tmp_path / "calls.sqlite")
    env = {**os.environ, "LMFORGE_CACHE_PATH": str(path)}
    result = subprocess.run(
        [sys.executable, "-m", "lmforge.cli", "generate", "-m", MODEL, "hi"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {path}: the call cache is damaged (file is not a database); run 'lmforge "
        "cache clear' to move it aside and start an empty one, or set LMFORGE_CACHE_PATH to "
        "another file, or LMFORGE_CACHE=0 to run without the cache"
    ]
    # the fix it names works: without the cache the command runs
    result = subprocess.run(
        [sys.executable, "-m", "lmforge.cli", "generate", "-m", "embedded-tiny"]
        + ["--max-tokens", "2", "hi"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "LMFORGE_CACHE": "0"},
    )
    assert result.returncode == 0 and result.stdout.strip(), result.stderr
