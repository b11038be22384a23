"""The embedded model's threads and OpenMP wait policy: what the settings say reaches llama.cpp."""

import subprocess
import sys

import pytest

from lmforge.config import get_settings
from lmforge.llm import embedded


@pytest.fixture
def captured(monkeypatch):
    """``load_server`` with xllamacpp's real ``CommonParams``, a ``Server`` that only keeps them."""
    xllamacpp = embedded.import_xllamacpp()
    seen: list = []
    monkeypatch.setattr(xllamacpp, "Server", lambda params: seen.append(params) or params)
    monkeypatch.setattr(embedded, "_SERVERS", {})
    yield seen
    get_settings.cache_clear()


def test_default_threads_is_one_per_cpu_the_process_may_use(monkeypatch, captured):
    monkeypatch.delenv("LMFORGE_THREADS", raising=False)
    get_settings.cache_clear()
    monkeypatch.setattr(embedded.os, "sched_getaffinity", lambda pid: {0, 2, 5})
    assert embedded.cpu_count() == 3
    params = embedded.load_server("embedded-tiny")
    assert params.cpuparams.n_threads == 3 and params.cpuparams_batch.n_threads == 3


def test_lmforge_threads_reaches_both_thread_counts(monkeypatch, captured):
    monkeypatch.setenv("LMFORGE_THREADS", "1")
    get_settings.cache_clear()
    params = embedded.load_server("embedded-tiny")
    assert params.cpuparams.n_threads == 1 and params.cpuparams_batch.n_threads == 1
    assert embedded.load_server("embedded-tiny", threads=2).cpuparams.n_threads == 2
    assert len(captured) == 2  # one server per settings


def test_negative_threads_is_refused(monkeypatch):
    from lmforge.errors import InputError

    monkeypatch.setenv("LMFORGE_THREADS", "-1")
    get_settings.cache_clear()
    try:
        with pytest.raises(InputError, match="LMFORGE_THREADS"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_openmp_environment_yields_to_the_user():
    assert embedded.openmp_environment({}) == {"GOMP_SPINCOUNT": "300"}
    assert embedded.openmp_environment({"GOMP_SPINCOUNT": "5"}) == {}
    assert embedded.openmp_environment({"OMP_WAIT_POLICY": "ACTIVE"}) == {}


PROBE = """
import ctypes, os
from lmforge.llm.embedded import import_xllamacpp
import_xllamacpp()
print("left in environ:", os.environ.get("GOMP_SPINCOUNT"), flush=True)
ctypes.CDLL("libgomp.so.1").omp_display_env(1)
"""


def libgomp_settings(env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """What libgomp says it runs with, once lmforge imported xllamacpp in a fresh process."""
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_", "LMFORGE_"))}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env={**base, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    shown = {}
    for line in out.stderr.splitlines():
        key, sep, value = line.strip().partition(" = ")
        if sep:
            shown[key] = value.strip("'")
    return out.stdout.strip(), shown


def test_waiting_threads_spin_briefly_and_the_environment_is_left_as_it_was():
    left, shown = libgomp_settings({})
    assert left == "left in environ: None"
    assert shown["GOMP_SPINCOUNT"] == str(embedded.SPIN_COUNT)


def test_a_wait_policy_or_spin_count_the_user_set_wins():
    left, shown = libgomp_settings({"GOMP_SPINCOUNT": "300000"})
    assert left == "left in environ: 300000" and shown["GOMP_SPINCOUNT"] == "300000"
    _, shown = libgomp_settings({"OMP_WAIT_POLICY": "PASSIVE"})
    assert shown["OMP_WAIT_POLICY"] == "PASSIVE" and shown["GOMP_SPINCOUNT"] == "0"


RACE = """
import threading
from lmforge.llm.embedded import import_xllamacpp
seen = []
start = threading.Barrier(8)
def worker():
    start.wait()
    seen.append(hasattr(import_xllamacpp(), "CommonParams"))
threads = [threading.Thread(target=worker) for _ in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
print(sorted(seen))
"""


def test_threads_importing_at_once_all_get_the_finished_module():
    """The first calls of a fresh run import xllamacpp from several worker threads at once."""
    out = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str([True] * 8)
