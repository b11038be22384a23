"""A fork server for running many ``lmforge`` commands without paying Python's start-up each time.

Why: the hostile suite runs ~1,600 commands, each a fresh ``python -m lmforge.cli`` that spends
0.3 CPU-s importing click, pydantic and the verb's modules before it refuses its input in a few
milliseconds. Here one server process imports all of that once; each command is a ``fork()`` of
it, so each still runs in its own process (its own cwd, environment, stdin/stdout/stderr pipes,
session and exit code; a crash, a leaked thread or ``os._exit`` touch nothing else) but starts
warm.

What a forked command shares with the server, and why that is safe: only imported modules. The
server imports lmforge's modules and refuses to serve if that started a thread or pulled in a
library that reads its environment at import time or keeps native thread pools (``DENIED``);
those load in the child, after its environment is set, as in a fresh process. The child resets
the signal handlers the server set, clears the settings cache, runs ``lmforge.cli.main(argv)``
and then leaves the way a fresh interpreter does (the ``SystemExit`` propagates to the top:
non-daemon threads are joined, ``atexit`` runs, streams are flushed; an uncaught exception
prints its traceback and exits 1).

Protocol (a Unix socket, one connection per command): the client sends a length-prefixed JSON
request (``argv``, ``cwd``, ``env``, ``fds``: the fd number each passed descriptor takes in the
child) with the descriptors themselves (``SCM_RIGHTS``: stdin, stdout, stderr, then extras); the
server answers ``pid N`` once forked, then ``exit CODE`` (as ``Popen.returncode``: ``-9`` when
killed) when the child is reaped.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DENIED = ("torch", "transformers", "huggingface_hub", "sentence_transformers", "xllamacpp")
"""Modules the server must not have imported: they read env vars at import (``HF_HUB_OFFLINE``)
or hold native thread pools that a fork would break; a command imports them itself."""
MAX_FDS = 8


# ----------------------------------------------------------------------------- server side


def _preload(modules: list[str]) -> None:
    """Import the CLI and each probed verb's config and function modules, then check the result."""
    import importlib

    for name in modules:
        importlib.import_module(name)
    from lmforge.probes import probed_verbs
    from lmforge.verbs import build_command

    for _, verb, _probe in probed_verbs():
        with contextlib.suppress(Exception):  # the child reports it as the CLI would
            build_command(verb)  # imports its modules, caches its fields' help (source parse)
    denied = [m for m in DENIED if m in sys.modules]
    if denied or threading.active_count() != 1:
        threads = threading.active_count()
        raise SystemExit(f"forkserver: unsafe to fork: modules {denied}, {threads} threads")


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, MAX_FDS)
    while len(data) < 4 or len(data) < 4 + struct.unpack("!I", data[:4])[0]:
        more = conn.recv(1 << 16)
        if not more:
            raise EOFError("the client went away mid-request")
        data += more
    return json.loads(data[4:]), list(fds)


def serve(path: str) -> tuple[dict[str, Any], list[int]] | None:
    """Accept requests until stdin closes; in a forked child, return its request instead."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(128)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "accept")
    sel.register(wake_r, selectors.EVENT_READ, "reap")
    sel.register(sys.stdin.fileno(), selectors.EVENT_READ, "stdin")
    children: dict[int, socket.socket] = {}
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            if key.data == "stdin":
                if not os.read(sys.stdin.fileno(), 1024):
                    for pid in children:
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(pid, signal.SIGKILL)
                    return None
            elif key.data == "reap":
                with contextlib.suppress(BlockingIOError):
                    while os.read(wake_r, 4096):
                        pass
                _reap(children)
            else:
                conn, _ = listener.accept()
                try:
                    request, fds = _receive(conn)
                except (OSError, EOFError, ValueError):
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    sel.close()
                    for closing in (listener, conn, *children.values()):
                        closing.close()
                    os.close(wake_r)
                    os.close(wake_w)
                    return request, fds
                for fd in fds:
                    os.close(fd)
                children[pid] = conn
                with contextlib.suppress(OSError):
                    conn.sendall(f"pid {pid}\n".encode())
        _reap(children)


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
            conn.close()


def _become(request: dict[str, Any], fds: list[int]) -> None:
    """In the child: take the request's descriptors, session, cwd and environment."""
    import fcntl

    os.setsid()
    targets = [0, 1, 2, *request["fds"]]
    floor = max([*targets, *fds]) + 1
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, floor) for fd in fds]
    for fd in fds:
        os.close(fd)
    for src, dst in zip(moved, targets, strict=True):
        os.dup2(src, dst)
    start = 3
    for fd in sorted(set(targets)):
        if fd >= start:
            os.closerange(start, fd)
            start = fd + 1
    os.closerange(start, os.sysconf("SC_OPEN_MAX"))
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["lmforge", *request["argv"]]
    from lmforge.config import get_settings

    get_settings.cache_clear()


def child_main(request: dict[str, Any], fds: list[int]) -> None:
    """Run the command, then leave as the interpreter would, less the module teardown.

    A fresh interpreter's exit joins non-daemon threads, runs ``atexit``, flushes the standard
    streams, then tears every module down; that last step touches every page the server
    imported (copy-on-write faults, a quarter of a warm command's time) and only matters for
    objects still open at exit, so the child does the first three and ``os._exit``s. The
    commands that must show a real interpreter's exit run fresh (``fresh=True`` in the suite).
    """
    import atexit
    import traceback

    _become(request, fds)
    from lmforge.cli import main

    code: int = 0
    try:
        main(request["argv"])
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = int(exc.code or 0)
        else:  # as the interpreter does: the message on stderr, exit 1
            sys.stderr.write(f"{exc.code}\n")
            code = 1
    except BaseException:  # noqa: BLE001 - an uncaught error: its traceback, exit 1
        traceback.print_exc()
        code = 1
    threading._shutdown()  # type: ignore[attr-defined]  # the interpreter's own join
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


# ----------------------------------------------------------------------------- client side


class NotStarted(RuntimeError):
    """The request did not reach a forked child (the connection failed before the fork): no
    part of the command ran, so the caller may run it elsewhere."""


@dataclass
class Result:
    rc: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool


class ForkServer:
    """The client: starts the server (``env`` is its environment at import time) and runs
    commands in it from any number of threads."""

    def __init__(self, env: dict[str, str], preload: tuple[str, ...] = ("lmforge.cli",)) -> None:
        self._dir = tempfile.mkdtemp(prefix="lmforge-fork-")
        self.path = str(Path(self._dir) / "s")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, self.path, *preload],
            env=env,
            cwd=self._dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != b"ready":
            err = self.proc.stderr.read().decode() if self.proc.stderr else ""
            raise RuntimeError(f"the fork server did not start: {line!r} {err}")

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
            os.rmdir(self._dir)

    def run(
        self,
        argv: list[str],
        cwd: Path,
        env: dict[str, str],
        stdin: bytes | None = None,
        pass_fds: tuple[int, ...] = (),
        timeout: float = 60,
    ) -> Result:
        """Run ``lmforge ARGV`` in a forked child; a descriptor in ``pass_fds`` keeps its number
        there and is closed here once sent (as ``Popen`` callers close a pipe end they gave)."""
        own: list[int] = list(pass_fds)
        if stdin is not None:
            in_r, in_w = os.pipe()
            own.append(in_r)
        else:
            in_r, in_w = os.open(os.devnull, os.O_RDONLY), -1
            own.append(in_r)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        own += [out_w, err_w]
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(self.path)
            body = json.dumps(
                {"argv": argv, "cwd": str(cwd), "env": env, "fds": list(pass_fds)}
            ).encode()
            message = struct.pack("!I", len(body)) + body
            sent = socket.send_fds(conn, [message[:4096]], [in_r, out_w, err_w, *pass_fds])
            conn.sendall(message[sent:])
        except OSError as exc:  # the server forks only once it has the whole request
            for fd in (out_r, err_r, in_w):
                if fd >= 0:
                    os.close(fd)
            conn.close()
            raise NotStarted(f"the fork server did not take the command: {exc}") from exc
        finally:
            for fd in own:
                os.close(fd)
        reader = conn.makefile("rb")
        first = reader.readline().split()
        if first[:1] != [b"pid"]:
            for fd in (out_r, err_r, in_w):
                if fd >= 0:
                    os.close(fd)
            conn.close()
            raise NotStarted(f"the fork server refused the command: {first!r}")
        pid = int(first[1])
        out, err, timed_out = _communicate(pid, in_w, stdin, out_r, err_r, timeout)
        last = reader.readline().split()
        reader.close()
        conn.close()
        rc = int(last[1]) if last[:1] == [b"exit"] else None
        return Result(rc, out, err, timed_out)


def _communicate(
    pid: int, in_w: int, data: bytes | None, out_r: int, err_r: int, timeout: float
) -> tuple[bytes, bytes, bool]:
    """Feed stdin, read both streams to their end; past ``timeout`` kill the child's session."""
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    sel = selectors.DefaultSelector()
    sel.register(out_r, selectors.EVENT_READ)
    sel.register(err_r, selectors.EVENT_READ)
    view = memoryview(data or b"")
    if in_w >= 0:
        if view:
            os.set_blocking(in_w, False)
            sel.register(in_w, selectors.EVENT_WRITE)
        else:
            os.close(in_w)
            in_w = -1
    deadline = time.monotonic() + timeout
    timed_out = False
    while sel.get_map():
        left = deadline - time.monotonic()
        if left <= 0 and not timed_out:
            timed_out = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        for key, _ in sel.select(timeout=max(left, 0.05) if not timed_out else 1.0):
            fd = key.fd
            if fd == in_w:
                try:
                    view = view[os.write(fd, view[:65536]) :]
                except BrokenPipeError:
                    view = view[:0]
                if not view:
                    sel.unregister(fd)
                    os.close(fd)
                    in_w = -1
                continue
            chunk = os.read(fd, 65536)
            if chunk:
                chunks[fd].append(chunk)
            else:
                sel.unregister(fd)
                os.close(fd)
    if in_w >= 0:
        os.close(in_w)
    sel.close()
    return b"".join(chunks[out_r]), b"".join(chunks[err_r]), timed_out


if __name__ == "__main__":
    os.chdir(os.path.dirname(sys.argv[1]))
    _preload(sys.argv[2:])
    import gc

    gc.freeze()  # the children's collections skip what the server imported (no page copies)
    got = serve(sys.argv[1])
    if got is None:
        sys.exit(0)
    child_main(*got)
