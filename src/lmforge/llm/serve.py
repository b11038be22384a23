"""``lmforge serve-model``: an embedded model behind llama.cpp's OpenAI-compatible HTTP server.

xllamacpp runs llama.cpp's own server (continuous batching, ``/v1/chat/completions``,
``/v1/models``, ``/health``), so serving needs no web framework of ours.
"""

from __future__ import annotations

import signal
import sys
import threading

from .embedded import load_server


def serve_forever(
    model: str = "embedded",
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    parallel: int | None = None,
    n_ctx: int | None = None,
) -> None:
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
