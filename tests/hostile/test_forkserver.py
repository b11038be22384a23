"""The fork server the hostile suite runs most cases in gives what a fresh ``lmforge`` gives.

Same exit code, stdout and stderr as ``python -m lmforge.cli`` for a success, a usage error,
a refused input read from stdin and a refused environment setting; a passed descriptor keeps its
number; a hang is killed at the timeout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.forkserver import ForkServer

ROWS = b'{"prompt": "What is 2+2?"}\n'
BAD = b'{"prompt": 1}\n'


@pytest.fixture(scope="module")
def server():
    started = ForkServer(dict(os.environ))
    yield started
    started.close()


def _fresh(argv: list[str], cwd: Path, env: dict[str, str], stdin: bytes | None):
    done = subprocess.run(
        [sys.executable, "-m", "lmforge.cli", *argv],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    ("argv", "stdin", "env"),
    [
        (["models"], None, {}),
        (["nonsense"], None, {}),
        (["batch", "--input", "/dev/stdin", "--model", "scripted", "-q"], BAD, {}),
        (["batch", "--input", "in.jsonl", "--model", "scripted"], None, {"LMFORGE_CACHE": "x"}),
    ],
    ids=["success", "usage", "stdin-refused", "env-refused"],
)
def test_a_fork_answers_as_a_fresh_process(server, tmp_path, argv, stdin, env):
    (tmp_path / "in.jsonl").write_bytes(ROWS)
    full = {**os.environ, "LMFORGE_CACHE_PATH": str(tmp_path / "c.sqlite"), **env}
    forked = server.run(argv, tmp_path, full, stdin)
    assert not forked.timed_out
    assert (forked.rc, forked.stdout, forked.stderr) == _fresh(argv, tmp_path, full, stdin)
    assert forked.rc in (0, 2)


def test_a_passed_pipe_keeps_its_number_and_a_hang_is_killed(server, tmp_path):
    reader, writer = os.pipe()
    os.write(writer, ROWS)
    os.close(writer)
    argv = ["batch", "--input", f"/dev/fd/{reader}", "--model", "scripted", "-q", "-o", "o.jsonl"]
    done = server.run(argv, tmp_path, dict(os.environ), pass_fds=(reader,))
    assert done.rc == 0, done.stderr
    assert (tmp_path / "o.jsonl").read_text().count("\n") == 1
    reader, writer = os.pipe()  # the writer stays open here: the command waits for the end
    argv[2] = f"/dev/fd/{reader}"
    try:
        hung = server.run(argv, tmp_path, dict(os.environ), pass_fds=(reader,), timeout=2)
    finally:
        os.close(writer)
    assert hung.timed_out and hung.rc == -9, (hung.rc, hung.stderr)
