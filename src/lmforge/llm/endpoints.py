"""One model behind several OpenAI-compatible servers: least-outstanding routing and failover.

``openai:NAME@http://a:8000/v1,http://b:8000/v1`` (the grammar: ``registry.parse_openai_spec``;
``docs/endpoints.md``) builds an
:class:`EndpointPool`: one :class:`~lmforge.llm.openai_compat.OpenAICompatLLM` per base URL,
all over one connection pool, behind a single backend that the pipeline, the cache and the
retry layer see as one model.

- **Routing**: each request goes to the live endpoint with the fewest requests in flight
  (ties: the one that has had fewer requests). Every endpoint has its own concurrency limit
  (``#limit=N``, default 16); when every live endpoint is full the request waits for a slot.
- **Failover**: a request that cannot reach its endpoint (``LLMConnectionError``: refused,
  reset, dropped before the answer began) marks that endpoint down and the *same attempt* moves
  to another live endpoint at once, with no backoff and without spending a retry: the record
  gets exactly one answer, from whichever server gave it. Other transient failures (5xx, 429,
  timeouts, a body cut off mid-way) go through the usual :class:`RetryPolicy` (backoff,
  ``max_retries``), each retry routed afresh; a timeout also marks its endpoint down (a hung
  server is probed like a dead one).
- **Health**: a down endpoint is probed with ``GET /models`` by a task of the running event loop,
  with exponential backoff (``probe_delay`` doubling to ``probe_max``); the first answer puts it
  back in the rotation. While *every* endpoint is down a request waits for a probe to succeed,
  up to ``wait_down`` seconds, then fails with ``LLMConnectionError`` (transient: the retry
  policy may try again later).
- **Counts**: :func:`endpoint_stats` gives per-endpoint figures (requests sent, answered,
  errors, failovers, times marked down and back up) for a run's summary.

Nothing is done twice from the caller's side: a request that died with its server may have been
computed there, but its answer never arrived, so the one answer the caller receives is the only
one counted, cached and written.

The pool is used from one event loop at a time (the pipeline's); it may be reused from a later
loop (a second ``asyncio.run``), where probing restarts as needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import httpx

from lmforge.errors import (
    ConfigError,
    LLMConnectionError,
    LLMTimeoutError,
    TransientError,
)

from .base import LLM
from .json_post import post_json
from .openai_compat import OpenAICompatLLM
from .openai_stream import StreamChunk
from .registry import OpenAISpec
from .retry import RetryPolicy
from .transport import default_transport
from .types import Completion, GenerateConfig, Message

__all__ = ["Endpoint", "EndpointPool", "EndpointStats", "endpoint_stats", "post_json"]

log = logging.getLogger("lmforge.llm.endpoints")
T = TypeVar("T")


@dataclass
class EndpointStats:
    """What one endpoint did in this process (the figures a run summary shows)."""

    requests: int = 0
    """Attempts sent to it."""
    ok: int = 0
    """Attempts it answered (each record's answer comes from exactly one endpoint)."""
    errors: int = 0
    """Attempts that failed with an error other than "cannot reach" (retried by the policy)."""
    failovers: int = 0
    """Attempts that could not reach it and were moved to another endpoint."""
    marked_down: int = 0
    """Times it was taken out of the rotation."""
    came_back: int = 0
    """Times a health probe put it back."""


@dataclass
class Endpoint:
    """One base URL: its client, its limit, its state."""

    url: str
    llm: OpenAICompatLLM
    limit: int
    outstanding: int = 0
    up: bool = True
    probe_delay: float = 0.0
    stats: EndpointStats = field(default_factory=EndpointStats)
    prober: asyncio.Task | None = None


class EndpointPool(LLM):
    """Several OpenAI-compatible servers of the same model, used as one backend."""

    def __init__(
        self,
        model: str,
        urls: Sequence[str],
        *,
        api_key: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        limit: int | None = None,
        supports_json_schema: bool = True,
        supports_images: bool = False,
        probe_delay: float = 0.2,
        probe_max: float = 5.0,
        probe_timeout: float = 2.0,
        wait_down: float = 60.0,
        spec: str | None = None,
    ) -> None:
        """``limit``: requests in flight per endpoint (default: the single-server backend's
        16). ``probe_delay`` doubles after each failed probe up to ``probe_max`` seconds;
        ``wait_down``: how long a request waits while every endpoint is down."""
        if len(urls) < 1:
            raise ConfigError("an endpoint pool needs at least one URL")
        self.model = model
        self.retry = retry or RetryPolicy()
        self.probe_base, self.probe_max = probe_delay, probe_max
        self.probe_timeout, self.wait_down = probe_timeout, wait_down
        limit = limit or OpenAICompatLLM.default_concurrency
        shared = transport or default_transport()  # one connection pool for all of them
        self.endpoints = [
            Endpoint(
                url.rstrip("/"),
                OpenAICompatLLM(
                    model,
                    url,
                    api_key=api_key,
                    transport=shared,
                    retry=self.retry,
                    supports_json_schema=supports_json_schema,
                    supports_images=supports_images,
                ),
                limit,
            )
            for url in urls
        ]
        self.supports_images = supports_images
        self.default_concurrency = limit * len(self.endpoints)
        self.spec = (
            spec
            or OpenAISpec(
                model, tuple(e.url for e in self.endpoints), supports_images, None
            ).canonical()
        )
        self._changed: asyncio.Event | None = None
        self._changed_loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ state and waiting

    def _event(self) -> asyncio.Event:
        """Set (and replaced) whenever a slot frees or an endpoint comes back."""
        loop = asyncio.get_running_loop()
        if self._changed is None or self._changed_loop is not loop:
            self._changed, self._changed_loop = asyncio.Event(), loop
        return self._changed

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def _pick(self) -> Endpoint | None:
        live = [e for e in self.endpoints if e.up and e.outstanding < e.limit]
        if not live:
            return None
        return min(live, key=lambda e: (e.outstanding, e.stats.requests))

    async def _acquire(self) -> Endpoint:
        """A slot on the least-loaded live endpoint; waits for one (bounded while all are
        down, unbounded while they are merely busy: the caller's concurrency bounds that)."""
        down_since: float | None = None
        while True:
            self._start_probes()
            endpoint = self._pick()
            if endpoint is not None:
                endpoint.outstanding += 1
                endpoint.stats.requests += 1
                return endpoint
            if any(e.up for e in self.endpoints):
                down_since = None
                await self._event().wait()
                continue
            now = time.monotonic()
            down_since = down_since if down_since is not None else now
            left = self.wait_down - (now - down_since)
            if left <= 0:
                urls = ", ".join(e.url for e in self.endpoints)
                raise LLMConnectionError(
                    f"all {len(self.endpoints)} endpoints down for {self.wait_down:g}s: {urls}"
                )
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._event().wait(), min(left, 1.0))

    def _release(self, endpoint: Endpoint) -> None:
        endpoint.outstanding -= 1
        self._notify()

    def _mark_down(self, endpoint: Endpoint, err: BaseException) -> None:
        if endpoint.up:
            endpoint.up = False
            endpoint.stats.marked_down += 1
            endpoint.probe_delay = self.probe_base
            log.warning("endpoint %s down: %s", endpoint.url, err)
        self._start_probes()

    # ------------------------------------------------------------------ health probes

    def _start_probes(self) -> None:
        """A probing task for every down endpoint that has none on this loop."""
        loop = asyncio.get_running_loop()
        for endpoint in self.endpoints:
            task = endpoint.prober
            if endpoint.up or (task is not None and not task.done() and task.get_loop() is loop):
                continue
            endpoint.prober = loop.create_task(self._probe(endpoint))

    async def _probe(self, endpoint: Endpoint) -> None:
        """``GET /models`` with backoff until it answers; then the endpoint is back."""
        while not endpoint.up:
            await asyncio.sleep(endpoint.probe_delay)
            try:
                await endpoint.llm.list_models(timeout=self.probe_timeout)
            except Exception as err:  # any failure at all keeps it down
                log.debug("probe of %s failed: %s", endpoint.url, err)
                endpoint.probe_delay = min(self.probe_max, max(endpoint.probe_delay * 2, 0.05))
                continue
            endpoint.up = True
            endpoint.stats.came_back += 1
            log.warning("endpoint %s back up", endpoint.url)
            self._notify()

    # ------------------------------------------------------------------ one attempt

    async def _attempt(self, call: Callable[[OpenAICompatLLM], Awaitable[T]]) -> T:
        """One attempt on the least-loaded live endpoint; when that endpoint cannot be reached
        it is marked down and the attempt moves on to another one (no backoff, no retry
        spent). Bounded: a few rounds over the endpoints, then the last error is raised."""
        last: LLMConnectionError | None = None
        for _ in range(2 * len(self.endpoints) + 1):
            endpoint = await self._acquire()
            try:
                result = await call(endpoint.llm)
            except LLMConnectionError as err:
                endpoint.stats.failovers += 1
                self._mark_down(endpoint, err)
                last = err
                continue
            except LLMTimeoutError as err:
                # a server that stopped answering (hung, SIGSTOP) is down until a probe gets
                # an answer; the attempt itself goes to the retry policy, since the server
                # may still compute it (a slow but healthy one answers the probe at once)
                endpoint.stats.errors += 1
                self._mark_down(endpoint, err)
                raise
            except Exception:  # a cancelled request is no error of the endpoint's
                endpoint.stats.errors += 1
                raise
            finally:
                self._release(endpoint)
            endpoint.stats.ok += 1
            return result
        assert last is not None
        raise last

    async def _generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        once = config.model_copy(update={"max_retries": 0})  # retries are routed by the pool
        completion, retries = await self.retry.call(
            lambda: self._attempt(lambda llm: llm._generate(messages, once)),
            max_retries=config.max_retries,
        )
        completion.retries = retries
        return completion

    async def _stream_chunks(
        self, messages: list[Message], config: GenerateConfig
    ) -> AsyncIterator[StreamChunk]:
        """A stream from one endpoint. Until its first chunk arrives a failure moves it
        elsewhere (as for ``generate``); once text was handed over, a failure is raised, since
        another server's stream could not be joined to it honestly."""
        once = config.model_copy(update={"max_retries": 0})
        limit = self.retry.max_retries if config.max_retries is None else config.max_retries
        retries = moves = 0
        while True:
            endpoint = await self._acquire()
            started = False
            try:
                async for chunk in endpoint.llm._stream_chunks(messages, once):
                    started = True
                    yield chunk
            except LLMConnectionError as err:
                if started or moves >= 2 * len(self.endpoints):
                    endpoint.stats.errors += 1
                    raise
                endpoint.stats.failovers += 1
                self._mark_down(endpoint, err)
                moves += 1
                continue
            except TransientError as err:
                endpoint.stats.errors += 1
                if started or retries >= limit:
                    raise
                delay = self.retry.delay_for(err, retries)
                retries += 1
                await self.retry.sleep(delay)
                continue
            except Exception:
                endpoint.stats.errors += 1
                raise
            finally:
                self._release(endpoint)
            endpoint.stats.ok += 1
            return

    async def _stream(self, messages: list[Message], config: GenerateConfig) -> AsyncIterator[str]:
        async for chunk in self._stream_chunks(messages, config):
            if chunk.text:
                yield chunk.text

    async def stream_chunks(
        self, prompt: str | list[Message] | list[dict], config: GenerateConfig | None = None
    ) -> AsyncIterator[StreamChunk]:
        """As :meth:`OpenAICompatLLM.stream_chunks`."""
        async for chunk in self._stream_chunks(self._checked(prompt), config or GenerateConfig()):
            yield chunk

    async def list_models(self, *, timeout: float = 10.0) -> list[str]:
        """Model ids of the first endpoint that answers."""
        return await self._attempt(lambda llm: llm.list_models(timeout=timeout))

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per-endpoint figures, by URL (plus whether it is up now)."""
        return {e.url: {**asdict(e.stats), "up": e.up} for e in self.endpoints}

    def is_up(self, url: str) -> bool:
        return next(e.up for e in self.endpoints if e.url == url.rstrip("/"))

    async def aclose(self) -> None:
        for endpoint in self.endpoints:
            if endpoint.prober is not None and not endpoint.prober.done():
                endpoint.prober.cancel()
            endpoint.prober = None
            await endpoint.llm.aclose()


def endpoint_stats(llm: LLM | None) -> dict[str, dict[str, Any]]:
    """Per-endpoint figures of ``llm`` or of the backend it wraps (a cache in front of a pool);
    empty for any other backend. What a run summary's ``endpoints`` key holds."""
    seen = 0
    while llm is not None and seen < 8:
        if isinstance(llm, EndpointPool):
            return llm.stats()
        llm, seen = getattr(llm, "inner", None), seen + 1
    return {}
