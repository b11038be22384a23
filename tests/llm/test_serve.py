"""spawned_server: a server that cannot start is one lmforge error, not a RuntimeError."""

from __future__ import annotations

import io

import httpx
import pytest

from lmforge.errors import ConfigError, LLMConnectionError
from lmforge.llm import serve


class FakeProc:
    def __init__(self, returncode: int | None, output: str = "") -> None:
        self.returncode = returncode
        self.stdout = io.StringIO(output)
        self.terminated = False

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self.terminated = True

    def wait(self, timeout: float | None = None) -> int:
        return self.returncode or 0


def test_a_server_that_exits_is_a_config_error_with_its_last_line(monkeypatch):
    proc = FakeProc(2, "loading...\nerror: ConfigError: unknown model 'nope'\n\n")
    monkeypatch.setattr(serve.subprocess, "Popen", lambda *a, **k: proc)
    with pytest.raises(ConfigError) as caught, serve.spawned_server("nope"):
        pass
    assert str(caught.value) == (
        "serve-model nope exited with code 2: error: ConfigError: unknown model 'nope'"
    )
    assert "loading..." in caught.value.output and proc.terminated


def test_a_server_that_never_answers_is_a_connection_error(monkeypatch):
    proc = FakeProc(None)
    monkeypatch.setattr(serve.subprocess, "Popen", lambda *a, **k: proc)

    def refuse(*args, **kwargs):
        raise httpx.ConnectError("refused")

    monkeypatch.setattr(httpx, "get", refuse)
    unhealthy = pytest.raises(LLMConnectionError, match="did not become healthy in 0 s")
    with unhealthy, serve.spawned_server("embedded", startup_timeout=0):
        pass
    assert proc.terminated
