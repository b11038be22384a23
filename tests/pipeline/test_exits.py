"""Honest ends through the real CLI: exit 3 with the way out when records failed, retries
counted, Ctrl-C that is neither swallowed nor silent, output paths refused before any work,
stale temp files swept, and shards that keep their own config and summary."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers import lmforge_cli, write_jsonl

ENV = {"LMFORGE_CACHE": "0", "COLUMNS": "200"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeServer:
    """An OpenAI-compatible endpoint whose answer depends on the prompt: ``fail`` is a 400
    (permanent), ``flaky`` a 503 the first time, ``hang`` waits until ``release`` is set (or the
    server stops); anything else is answered ``echo: PROMPT``."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.fixed = False  # once set, ``fail`` answers too
        self.seen: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][-1]["content"]
                server.seen[prompt] = server.seen.get(prompt, 0) + 1
                if "hang" in prompt:
                    server.release.wait(30)
                if "fail" in prompt and not server.fixed:
                    return self._send(400, {"error": {"message": "bad prompt"}})
                if "flaky" in prompt and server.seen[prompt] == 1:
                    return self._send(503, {"error": {"message": "busy"}})
                message = {"role": "assistant", "content": f"echo: {prompt}"}
                usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
                choice = {"index": 0, "message": message, "finish_reason": "stop"}
                self._send(200, {"model": "x", "choices": [choice], "usage": usage})

            def _send(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.model = f"openai:x@http://127.0.0.1:{self.httpd.server_port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    fake = FakeServer()
    yield fake
    fake.close()


def prompts(tmp_path: Path, *texts: str) -> Path:
    return write_jsonl(tmp_path / "in.jsonl", [{"id": t, "prompt": t} for t in texts])


def batch(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    return lmforge_cli("batch", *args, cwd=cwd, env=ENV, timeout=60)


def test_every_record_failing_is_exit_3_with_the_error_rows_and_the_rerun(tmp_path):
    src, run, out = prompts(tmp_path, "a", "b"), tmp_path / "run", tmp_path / "out.jsonl"
    model = f"openai:x@http://127.0.0.1:{closed_port()}/v1"
    result = batch(
        "-i", src, "-o", out, "--out", run, "-m", model, "--generation.max-retries", "0", "-q",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "failed: 2" in result.stdout  # the command's own figures still come first
    last = result.stderr.strip().splitlines()[-1]
    errors = run / "records.errors.jsonl"
    assert last == (
        f"error: 2 of 2 records failed; error rows: {errors}; rerun with --out {run} to retry them"
    )
    assert [json.loads(line)["id"] for line in errors.read_text().splitlines()] == ["a", "b"]
    assert json.loads((run / "summary.json").read_text())["error_rows"] == [str(errors)]


def test_retries_are_counted_per_record_in_the_summary_and_the_table(tmp_path, server):
    src, run = prompts(tmp_path, "ok", "flaky", "fail"), tmp_path / "run"
    result = batch("-i", src, "--out", run, "-m", server.model, cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "1 of 3 records failed" in result.stderr
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["retries"], summary["stages"][0]["retries"], summary["failed"]) == (1, 1, 1)
    rows = {r["id"]: r for r in map(json.loads, (run / "records.jsonl").read_text().splitlines())}
    assert rows["flaky"]["_meta"]["retries"] == 1 and rows["ok"]["_meta"]["retries"] == 0
    (error,) = map(json.loads, (run / "records.errors.jsonl").read_text().splitlines())
    assert error["id"] == "fail" and error["_meta"]["retries"] == 0
    header = next(line for line in result.stderr.splitlines() if "retries" in line)
    assert header.index("cached") < header.index("retries") < header.index("tokens")

    server.fixed = True  # the rerun retries the failed record only
    again = batch("-i", src, "--out", run, "-m", server.model, "-q", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert server.seen == {"ok": 1, "flaky": 2, "fail": 2}
    assert not (run / "records.errors.jsonl").exists()


BLOCKING = textwrap.dedent(
    """
    import asyncio, faulthandler, signal, sys, time
    from pathlib import Path

    # As a user's shell starts a command: SIGINT at its default, not blocked. Done here, not in
    # a preexec_fn (unsafe in the test process, which has threads: a forked child can deadlock).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.default_int_handler)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # the test asks where it hangs
    from lmforge.llm.registry import backend
    from lmforge.llm.scripted import ScriptedLLM

    class Blocking(ScriptedLLM):
        async def _generate(self, messages, config):
            if "slow" in messages[-1].content:
                def work():  # a model call busy in a thread (llama.cpp, transformers)
                    Path(sys.argv[1]).write_text("busy")
                    time.sleep(30)
                await asyncio.to_thread(work)
            return await super()._generate(messages, config)

    @backend("blocking")
    def _blocking(spec):
        "answers OK, but takes 30 s in a thread for a prompt with 'slow'"
        return Blocking(["OK"], cycle=True)

    from lmforge.cli import main
    main(sys.argv[2:])
    """
)


def _signal_state(pid: int) -> str:
    """Each thread of ``pid``: its state and its blocked, ignored, caught and pending signals
    (``/proc``), to tell a Ctrl-C that never reached the main thread from one it ignored."""
    lines = []
    for task in sorted(Path(f"/proc/{pid}/task").glob("*")):
        try:
            fields = dict(
                line.split(":\t", 1) for line in (task / "status").read_text().splitlines()
            )
        except (OSError, ValueError):
            continue
        keys = ("Name", "State", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")
        lines.append(" ".join(f"{k}={fields.get(k, '?').strip()}" for k in keys))
    return "; ".join(lines) or "(gone)"


def _hung(proc: subprocess.Popen, before: str) -> str:
    """What a command that did not end on Ctrl-C was doing: its threads' signal state when the
    Ctrl-C was sent and now, and every thread's Python stack (faulthandler on SIGUSR1)."""
    now = _signal_state(proc.pid)
    proc.send_signal(signal.SIGUSR1)
    time.sleep(1)
    proc.kill()
    out, err = proc.communicate()
    return f"threads at Ctrl-C: {before}\nthreads after: {now}\nstderr:\n{err[-6000:]}"


def test_ctrl_c_during_a_call_in_a_thread_ends_at_once_and_says_how_to_resume(tmp_path):
    src = prompts(tmp_path, "a", "b", "slow", "c")
    run, busy = tmp_path / "run", tmp_path / "busy"
    command = [sys.executable, "-c", BLOCKING, busy, "batch", "-i", src, "-m", "blocking"]
    proc = subprocess.Popen(
        [*map(str, command), "--out", str(run), "--concurrency", "1", "-q"],
        cwd=tmp_path,
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120  # start-up and two records: slow on a loaded machine
    while not busy.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if not busy.exists():  # a Ctrl-C now would test something else: say what happened
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"the slow call never started (exit {proc.returncode}): {err}")
    before = _signal_state(proc.pid)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)  # one Ctrl-C, while the thread has 30 s to go
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"Ctrl-C did not end the command\n{_hung(proc, before)}") from None
    assert proc.returncode == 130, err
    assert time.monotonic() - start < 10  # not swallowed until the call ends
    assert out == ""  # no figures of a run that did not finish
    assert f"interrupted: what finished is kept in {run}" in err
    assert "batch: 2 of 4 records finished and kept (2 in this run)" in err
    assert f"resume: rerun the same command with --out {run}" in err
    kept = [json.loads(line)["id"] for line in (run / "records.jsonl").read_text().splitlines()]
    assert kept == ["a", "b"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "folder"], "folder: is a folder; expected a file path to write the output to"),
        (["-o", "file.txt/out.jsonl"], "file.txt/out.jsonl: file.txt is a file, not a folder"),
        (["-o", "read-only.jsonl"], "read-only.jsonl: file is read-only"),
        (["--out", "file.txt"], "file.txt: is a file; --out takes a run folder"),
        (["--out", "file.txt/run"], "file.txt/run: file.txt is a file, not a folder"),
    ],
    ids=["output-is-a-folder", "output-under-a-file", "output-read-only", "out-is-a-file",
         "out-under-a-file"],
)  # fmt: skip
def test_an_output_path_that_cannot_be_written_is_refused_before_any_work(tmp_path, args, message):
    src = prompts(tmp_path, "a")
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "read-only.jsonl").write_text("")
    (tmp_path / "read-only.jsonl").chmod(0o444)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    model = f"openai:x@http://127.0.0.1:{closed_port()}/v1"  # never asked
    result = batch("-i", src, "-m", model, *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {message}"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written


def test_a_resumed_run_sweeps_the_temp_files_of_dead_writers(tmp_path):
    src, run, out = prompts(tmp_path, "a", "b"), tmp_path / "run", tmp_path / "out.jsonl"
    args = ("-i", src, "-m", "scripted", "--out", run, "-o", out, "-q")
    assert batch(*args, cwd=tmp_path).returncode == 0
    dead = 2**22 + 12345  # above any pid_max: no such process
    stale = [run / f".records.jsonl.{dead}.tmp", tmp_path / f".out.jsonl.{dead}.tmp"]
    live = run / f".records.jsonl.{os.getpid()}.tmp"  # this test is alive: not touched
    foreign = tmp_path / f".notes.txt.{dead}.tmp"  # not a file of this run: not touched
    recent = run / f".summary.json.{dead}.tmp"  # a shard elsewhere may be writing it now
    for path in [*stale, live, foreign, recent]:
        path.write_text("half a file")
        if path is not recent:
            os.utime(path, (time.time() - 120, time.time() - 120))  # a kill 2 minutes ago
    result = batch(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [p.exists() for p in stale] == [False, False]
    assert live.exists() and foreign.exists() and recent.exists()


def test_shards_sharing_a_folder_keep_their_own_summary_and_config(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": str(i), "prompt": f"p{i}"} for i in range(8)])
    run = tmp_path / "run"
    for i in range(2):
        result = batch(
            "-i", src, "-m", "scripted", "--out", run, "--shard", f"{i}/2", "-q", cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr
    parts = [json.loads((run / f"summary.shard-{i}-of-2.json").read_text()) for i in range(2)]
    assert [p["output"] for p in parts] == [
        str(run / f"final.shard-{i}-of-2.jsonl") for i in (0, 1)
    ]
    assert sum(p["total"] for p in parts) == 8
    configs = [(run / f"config.shard-{i}-of-2.yaml").read_text() for i in range(2)]
    assert "- 0\n- 2" in configs[0] and "- 1\n- 2" in configs[1]
    assert not (run / "config.yaml").exists()
    combined = json.loads((run / "summary.json").read_text())
    assert (combined["total"], combined["done"], combined["failed"]) == (8, 8, 0)
    assert combined["shards"] == ["0/2", "1/2"] and combined["complete"] is True
    assert combined["what"] == "batch" and "output" not in combined

    merged = lmforge_cli("merge", run, "-o", tmp_path / "all.jsonl", cwd=tmp_path, env=ENV)
    assert merged.returncode == 0 and "8 records" in merged.stdout, merged.stderr
    report = lmforge_cli("report", run, cwd=tmp_path, env=ENV)
    assert report.returncode == 0, report.stderr
    page = (run / "report.html").read_text()
    assert "batch" in page and "0/2" in page


FAILING_BENCHMARK = textwrap.dedent(
    """
    import sys
    from lmforge.evaluation.benchmark import Benchmark, benchmark, prompt_solver

    def score(row, ctx):
        if row["id"] == "b":
            raise ValueError("cannot score this one")
        return {"ok": 1}

    @benchmark("exit-test")
    def _make():
        "three prompts, one that cannot be scored"
        rows = [{"id": i, "prompt": i} for i in "abc"]
        return Benchmark("exit-test", lambda: rows, prompt_solver("prompt"), score)

    from lmforge.cli import main
    main(sys.argv[1:])
    """
)


def test_eval_with_records_that_failed_scoring_exits_3(tmp_path):
    run = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-c", FAILING_BENCHMARK, "eval", "exit-test", "-m", "scripted",
         "--out", str(run), "-q"],
        cwd=tmp_path, env={**os.environ, **ENV}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "ok: 1.0000" in result.stdout and f"report: {run / 'report.html'}" in result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: 1 of 3 records failed; error rows: ")
    assert "score-" in last and last.endswith(f"rerun with --out {run} to retry them")
