"""The default model: a GGUF shipped by PyPI wheels, run in-process by xllamacpp.

xllamacpp wraps llama.cpp's own server loop, so requests from many coroutines are decoded together
(continuous batching over ``parallel`` slots) without any HTTP hop. One ``xllamacpp.Server`` is
kept per (model, settings) for the whole process: loading costs a second and ~0.7 GB, and two
servers on two cores would only fight each other.

Threads: llama.cpp's CPU work is split over ``LMFORGE_THREADS`` threads (default: one per CPU
this process may use) that meet at an OpenMP barrier after each operation, hundreds of times a
token. libgomp's default is to spin up to 300,000 times at that barrier; when another process
shares the cores, a thread spins away the time slice its partner needs and both processes crawl
(two on two cores: 1-3 tok/s each instead of ~60 alone). llama.cpp's OpenMP runtime is
therefore loaded with ``GOMP_SPINCOUNT=300``: long enough for the waits of a model running
alone, short enough that a thread whose partner is not running soon sleeps. Measured with
``benchmarks/embedded_contention.py`` on 2 cores (2026-12-03, quiet host, medians of 2-3 rounds):

spins: embedded-tiny alone / each of two at once (ratio); the 0.5B ``embedded`` the same
  100: 60 / 56 tok/s
  200: 92 / 58-60 (0.64-0.65); 40 / 26 (0.63)
  300: 113 / 53 (0.48); 47 / 28 (0.60)   <- the default
  500: 93 / 36 (0.39)
  1000: 97-111 / 27-30 (0.27-0.28); 34-44 / 18-21 (0.49-0.54)

1000 spins (this module's earlier choice) gave 0.40-0.47 when the model ran ~58 tok/s alone; on
a faster host the barrier waits shrink and a partner's time slice is spun away again. Sleeping at
once (``OMP_WAIT_POLICY=PASSIVE``) halves the speed alone. One thread (``LMFORGE_THREADS=1``)
runs embedded-tiny ~87 tok/s alone and ~91 each when two share 2 cores; the 0.5B model 34 alone
against 44-47 on 2 threads, so one thread per CPU stays the default. llama.cpp's ``poll``
setting belongs to its non-OpenMP thread pool and does nothing in this build.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Mapping
from typing import Any

from lmforge.errors import BadRequestError, LLMError, MalformedResponseError, ServerError

from ..config import get_settings
from .base import LLM
from .models import EMBEDDED_MODELS, gguf_path
from .openai_errors import raise_for_error_reply
from .openai_format import chat_body, parse_completion_data
from .openai_stream import StreamChunk, StreamState, stream_chunk
from .types import Completion, GenerateConfig, Message

_SERVERS: dict[tuple, Any] = {}
_LOCK = threading.Lock()
_IMPORT_LOCK = threading.Lock()
_XLLAMACPP: Any = None


def cpu_count() -> int:
    """The CPUs this process may use: its affinity mask (taskset, a container's cpuset)."""
    return len(os.sched_getaffinity(0)) or 1


def default_threads() -> int:
    """``LMFORGE_THREADS``, else one thread per CPU this process may use."""
    return get_settings().threads or cpu_count()


SPIN_COUNT = 300
"""Spins of a waiting llama.cpp thread before it sleeps (libgomp's default: 300,000)."""


def openmp_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The OpenMP variables to add for llama.cpp's runtime: none where the user chose a wait
    policy or spin count."""
    if "GOMP_SPINCOUNT" in environ or "OMP_WAIT_POLICY" in environ:
        return {}
    return {"GOMP_SPINCOUNT": str(SPIN_COUNT)}


def import_xllamacpp() -> Any:
    """Import xllamacpp, whose libgomp reads its wait settings once, as it loads.

    The variables of ``openmp_environment`` are set for the import only, so child processes do
    not inherit them. If libgomp was loaded before (another extension linked to the same
    library), it keeps the settings it started with. The import runs under a lock and the module
    is handed out only once it has finished: ``sys.modules`` holds it half-initialised while it
    loads, and a second worker thread that took it from there failed every call of a fresh run
    (``partially initialized module 'xllamacpp' has no attribute 'CommonParams'``).
    """
    global _XLLAMACPP
    with _IMPORT_LOCK:
        if _XLLAMACPP is None:
            chosen = openmp_environment(os.environ)
            os.environ.update(chosen)
            try:
                import xllamacpp
            finally:
                for key in chosen:
                    os.environ.pop(key, None)
            _XLLAMACPP = xllamacpp
        return _XLLAMACPP


def load_server(
    name: str = "embedded",
    *,
    n_ctx: int | None = None,
    parallel: int | None = None,
    threads: int | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
) -> Any:
    """Start (once per process and settings) the llama.cpp server loop for an embedded model.

    ``n_ctx`` is the context of one request; llama.cpp splits its total over the slots, so the
    total asked for is ``n_ctx * parallel``. ``port=0`` lets llama.cpp pick a free loopback port
    (its HTTP listener is a side effect we do not use in-process).
    """
    xllamacpp = import_xllamacpp()
    settings = get_settings()
    n_ctx = n_ctx or settings.n_ctx
    parallel = parallel or settings.parallel
    threads = threads or default_threads()
    key = (name, n_ctx, parallel, threads, port, host)
    with _LOCK:
        if key not in _SERVERS:
            params = xllamacpp.CommonParams()
            params.model.path = str(gguf_path(name))
            params.model_alias = {name}
            params.n_ctx = n_ctx * parallel
            params.n_parallel = parallel
            params.cpuparams.n_threads = threads
            params.cpuparams_batch.n_threads = threads
            params.verbosity = -1
            params.warmup = False
            params.port = port
            params.hostnames = [host]
            _SERVERS[key] = xllamacpp.Server(params)
        return _SERVERS[key]


class EmbeddedLLM(LLM):
    """``embedded``, ``embedded-tiny`` or ``embedded-large``, decoded in this process."""

    def __init__(
        self,
        name: str = "embedded",
        *,
        n_ctx: int | None = None,
        parallel: int | None = None,
        threads: int | None = None,
    ) -> None:
        if name not in EMBEDDED_MODELS:
            raise BadRequestError(
                f"unknown embedded model {name!r}; one of {list(EMBEDDED_MODELS)}"
            )
        self.name = name
        self.spec = name
        self._options = {"n_ctx": n_ctx, "parallel": parallel, "threads": threads}
        self.default_concurrency = parallel or get_settings().parallel

    @property
    def server(self) -> Any:
        return load_server(self.name, **self._options)

    def _call(self, body: dict, callback=None) -> dict | None:
        """One blocking llama.cpp call; every failure leaves as a member of the exception tree."""
        try:
            if callback is None:
                return self.server.handle_chat_completions(body)
            return self.server.handle_chat_completions(body, callback)
        except ValueError as exc:  # xllamacpp rejects malformed requests this way
            raise BadRequestError(str(exc)) from exc
        except LLMError:
            raise
        except Exception as exc:
            raise ServerError(f"llama.cpp failed: {type(exc).__name__}: {exc}") from exc

    async def _generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        body = chat_body(messages, config, model=self.name)
        reply = await asyncio.to_thread(self._call, body)
        if not isinstance(reply, dict):
            raise MalformedResponseError(f"embedded model returned {type(reply).__name__}")
        raise_for_error_reply(reply)
        return parse_completion_data(reply, self.name)

    async def _stream(self, messages: list[Message], config: GenerateConfig) -> AsyncIterator[str]:
        async for chunk in self._stream_chunks(messages, config):
            if chunk.text:
                yield chunk.text

    async def _stream_chunks(
        self, messages: list[Message], config: GenerateConfig
    ) -> AsyncIterator[StreamChunk]:
        """Decode in a worker thread; llama.cpp's callback hands each chunk to the event loop.

        When the consumer stops early, the callback tells llama.cpp to stop (by returning True)
        and the worker thread is left to finish on its own instead of being awaited. A decode
        that ends without a finish reason is a ``MalformedResponseError`` (never cached).
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        done = object()
        stop = threading.Event()

        def hand_over(item: object) -> None:
            if not stop.is_set():
                try:
                    loop.call_soon_threadsafe(queue.put_nowait, item)
                except RuntimeError:  # the loop is gone: nobody is listening any more
                    stop.set()

        def on_chunk(chunk: dict) -> bool:
            hand_over(chunk)
            return stop.is_set()

        def work() -> None:
            try:
                self._call(chat_body(messages, config, model=self.name, stream=True), on_chunk)
            except LLMError as exc:
                hand_over(exc)
            finally:
                hand_over(done)

        worker = asyncio.ensure_future(asyncio.to_thread(work))
        worker.add_done_callback(lambda task: task.cancelled() or task.exception())
        state = StreamState()
        finished = False
        try:
            while (item := await queue.get()) is not done:
                if isinstance(item, LLMError):
                    raise item
                if not isinstance(item, dict):
                    raise MalformedResponseError(f"embedded model streamed {type(item).__name__}")
                raise_for_error_reply(item)
                yield state.add(stream_chunk(item))
            finished = True
        finally:
            stop.set()
            if finished:
                await worker
        last = state.end()
        if last is not None:
            yield last
