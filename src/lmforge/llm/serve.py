"""``lmforge serve-model``: a model behind an OpenAI-compatible HTTP server.

Embedded models get llama.cpp's own server through xllamacpp (continuous batching,
``/v1/chat/completions``, ``/v1/models``, ``/health``). Any other spec (``hf:PATH``, above all
image-text models llama.cpp cannot run) is served by the small FastAPI app in
``openai_server.py`` with the same endpoints, so clients and ``spawned_server`` cannot tell.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from lmforge.errors import ConfigError, LLMConnectionError

from .embedded import load_server
from .models import EMBEDDED_MODELS


def serve_forever(
    model: str = "embedded",
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    parallel: int | None = None,
    n_ctx: int | None = None,
) -> None:
    """Serve until SIGTERM or Ctrl-C; ``parallel`` and ``n_ctx`` apply to embedded models only
    (a transformers model decodes one request at a time, within its own context)."""
    if model not in EMBEDDED_MODELS:
        from .openai_server import serve_app

        serve_app(model, host=host, port=port)
        return
    server = load_server(model, port=port, host=host, parallel=parallel, n_ctx=n_ctx)
    print(f"serving {model} at {server.listening_address}/v1 (Ctrl-C to stop)", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    sys.stdout.flush()


def _exited(model: str, proc: subprocess.Popen) -> ConfigError:
    """One line for a server that died while starting: its exit code and last output line (the
    error, usually: an unknown model, a missing file); ``output`` keeps all it printed."""
    output = proc.stdout.read() if proc.stdout else ""
    last = next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "")
    error = ConfigError(f"serve-model {model} exited with code {proc.returncode}: {last or '-'}")
    error.output = output  # type: ignore[attr-defined]
    return error


@contextmanager
def spawned_server(
    model: str = "embedded",
    *,
    parallel: int = 4,
    n_ctx: int = 4096,
    startup_timeout: float = 120.0,
) -> Iterator[str]:
    """Run ``lmforge serve-model`` in a subprocess on a free loopback port; yield its ``/v1`` URL.

    For tests, benchmarks and notebooks that need a real OpenAI-compatible server for a while.
    ``model`` is an embedded model or any other spec, e.g. ``hf:PATH`` (then a vision model's
    URL takes images: ``get_llm(f"openai:NAME@{url}#vision")`` with NAME from ``/v1/models``).
    """
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "lmforge.cli",
        "serve-model",
        "--model",
        model,
        "--port",
        str(port),
        "--parallel",
        str(parallel),
        "--ctx",
        str(n_ctx),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + startup_timeout
    try:
        while True:
            if proc.poll() is not None:
                raise _exited(model, proc)
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise LLMConnectionError(
                    f"serve-model {model} did not become healthy in {startup_timeout} s"
                )
            time.sleep(0.2)
        yield f"{url}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
