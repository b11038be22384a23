"""Any OpenAI-compatible chat server (vLLM, SGLang, llama.cpp server, Ollama, hosted APIs).

Every failure is mapped onto the tree in ``errors.py`` here, at the HTTP boundary, so that the
retry layer can decide on the class alone and callers never see an ``httpx`` exception. Retries
wrap one whole attempt (send + parse): a 200 whose body is garbage is as transient as a 503.

Only finished answers come back (``openai_format.require_finished``): a body cut off mid-way, a
stream that ends before its ``finish_reason`` or ``[DONE]``, an empty stream and null content
are ``MalformedResponseError`` s, retried like any transient error and never cached.

A stream is retried as a whole too. Text already handed to the caller is not handed over again:
the retried stream must start with it (greedy decoding gives the same text) and only what comes
after is passed on; a retried answer that disagrees with what was shown is raised instead.

Requests go straight to an ``httpx`` transport: lmforge's aiohttp one (``transport.py``) unless
the caller gives another (``httpx.MockTransport`` in tests, ``httpx.ASGITransport`` for an app in
the same process). No ``httpx.AsyncClient`` sits in between: on an instant local server its
per-request work costs about as much as the aiohttp request itself
(``benchmarks/runner_ceiling.py``, ``bare_httpx_client``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from typing import Any

import httpx

from lmforge.errors import (
    ConfigError,
    LLMConnectionError,
    LLMTimeoutError,
    MalformedResponseError,
    TransientError,
)

from .base import LLM
from .openai_errors import error_from_status, parse_retry_after
from .openai_format import chat_body, json_object, parse_completion
from .openai_sse import _Shown, iter_sse
from .openai_stream import StreamChunk, StreamState, stream_chunk
from .retry import RetryPolicy, within
from .transport import default_transport, read_text, timeout_extension
from .types import Completion, GenerateConfig, Message

__all__ = [
    "OpenAICompatLLM",
    "StreamChunk",
    "error_from_status",
    "iter_sse",
    "parse_completion",
    "parse_retry_after",
]

log = logging.getLogger("lmforge.llm.openai_compat")


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
"""What httpx's ``json=`` sends, made once."""


class _transport_errors:  # noqa: N801 - a context manager used like a function
    """Translate httpx's exceptions into ours at the one place they can come from.

    A class, not ``@contextmanager`` (it wraps every request: a generator costs several times
    as much), and ``url`` is made into text only when there is an error to name it in."""

    __slots__ = ("url",)

    def __init__(self, url: object) -> None:
        self.url = url

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: object
    ) -> bool:
        if err is None or not isinstance(err, httpx.HTTPError):
            return False
        url = str(self.url)
        if isinstance(err, httpx.TimeoutException):
            raise LLMTimeoutError(f"timed out talking to {url}: {type(err).__name__}") from err
        if isinstance(err, httpx.UnsupportedProtocol):
            raise ConfigError(f"unsupported URL {url}: {err}") from err
        if isinstance(err, httpx.TransportError):
            raise LLMConnectionError(f"cannot reach {url}: {type(err).__name__}: {err}") from err
        if isinstance(err, httpx.DecodingError):
            raise MalformedResponseError(f"undecodable body from {url}: {err}") from err
        return False


class _body_errors(_transport_errors):  # noqa: N801
    """The same once the headers are in: a connection that drops now has cut the answer."""

    __slots__ = ()

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: object
    ) -> bool:
        if err is None or not isinstance(err, httpx.HTTPError):
            return False
        if isinstance(err, httpx.TimeoutException):
            raise LLMTimeoutError(f"timed out reading the answer from {self.url}") from err
        if isinstance(err, httpx.TransportError | httpx.DecodingError):
            raise MalformedResponseError(
                f"the answer from {self.url} was cut off: {type(err).__name__}: {err}"
            ) from err
        return False


class OpenAICompatLLM(LLM):
    """A model behind an OpenAI-compatible ``/chat/completions`` endpoint."""

    default_concurrency = 16

    def __init__(
        self,
        model: str,
        base_url: str = "http://127.0.0.1:8080/v1",
        *,
        api_key: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        supports_json_schema: bool = True,
        supports_images: bool = False,
    ) -> None:
        """``api_key=None`` reads LMFORGE_API_KEY then OPENAI_API_KEY; pass ``""`` for no key.

        ``supports_json_schema=False`` is for servers that only know ``json_object`` mode: the
        schema is then sent as a hint in that mode (llama.cpp and some others honour it).
        ``supports_images=True`` (spec suffix ``#vision``) is a promise about the server: the
        client cannot ask it, so images are refused unless the caller says the model sees.
        """
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.supports_images = supports_images
        self.spec = f"openai:{model}@{self.base_url}" + ("#vision" if supports_images else "")
        if api_key is None:
            api_key = os.environ.get("LMFORGE_API_KEY") or os.environ.get("OPENAI_API_KEY")
        self.retry = retry or RetryPolicy()
        self.supports_json_schema = supports_json_schema
        self._headers = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            "User-Agent": "lmforge",
        }
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._headers.update(headers or {})
        self._given_transport = transport
        self._transport: httpx.AsyncBaseTransport | None = None
        self._templates: dict[tuple[str, bool], tuple[httpx.URL, httpx.Headers]] = {}
        self._by_length: dict[tuple[str, int], httpx.Headers] = {}

    @property
    def transport(self) -> httpx.AsyncBaseTransport:
        """What requests go through: the one given, else lmforge's aiohttp transport (made on
        first use, so that building a backend needs no running event loop)."""
        if self._transport is None:
            self._transport = self._given_transport or default_transport()
        return self._transport

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    async def _send(
        self, method: str, path: str, timeout: float, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        """One request straight to the transport; the response's body is not read yet.

        No ``httpx.AsyncClient`` in between: its per-request machinery (auth, cookies,
        redirects, hooks, header merging) costs about as much CPU as the aiohttp request
        itself, and this backend uses none of it. Concurrency is bounded by the caller.
        """
        url, headers = self._template(path, body is not None)
        content = b"" if body is None else _JSON.encode(body).encode()
        if body is not None:
            headers = self._sized(path, headers, len(content))
        request = httpx.Request(
            method,
            url,
            headers=headers,
            stream=httpx.ByteStream(content),  # no header guessing: they are all set here
            extensions={"timeout": timeout_extension(timeout)},
        )
        request.read()
        with _transport_errors(url):
            response = await self.transport.handle_async_request(request)
        response.request = request
        return response

    def _template(self, path: str, with_body: bool) -> tuple[httpx.URL, httpx.Headers]:
        """The URL and the headers every request to ``path`` sends (what httpx's client
        sent: Host first, then Accept, Accept-Encoding, User-Agent, Authorization)."""
        found = self._templates.get((path, with_body))
        if found is None:
            url = httpx.URL(self._url(path))
            headers = {"Host": url.netloc.decode("ascii"), **self._headers}
            if with_body:
                headers["Content-Type"] = "application/json"
            found = self._templates[(path, with_body)] = (url, httpx.Headers(headers))
        return found

    def _sized(self, path: str, template: httpx.Headers, length: int) -> httpx.Headers:
        """The template with ``Content-Length``, remembered by length: ``Headers.__setitem__``
        costs more than the rest of the request's headers, and bodies of one run have few
        lengths. ``httpx.Request`` copies what it is given, so sharing one is safe."""
        found = self._by_length.get((path, length))
        if found is None:
            found = httpx.Headers(template)
            found["Content-Length"] = str(length)
            if len(self._by_length) >= 1024:
                self._by_length.clear()
            self._by_length[(path, length)] = found
        return found

    def build_body(
        self, messages: list[Message], config: GenerateConfig, *, stream: bool = False
    ) -> dict[str, Any]:
        """The JSON request for ``/chat/completions`` (public so tests and logs can show it)."""
        return chat_body(
            messages,
            config,
            model=self.model,
            stream=stream,
            json_schema_format=self.supports_json_schema,
        )

    async def _generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        body = self.build_body(messages, config)
        completion, retries = await self.retry.call(
            lambda: self._complete_once(body, config.timeout), max_retries=config.max_retries
        )
        if retries:  # 0 is the default: a pydantic setattr saved per call
            completion.retries = retries
        return completion

    async def _complete_once(self, body: dict[str, Any], timeout: float) -> Completion:
        """One attempt; the deadline bounds the whole attempt, the transport each read."""
        try:
            response, text = await within(timeout, self._exchange(body, timeout))
        except asyncio.TimeoutError as err:
            url = self._url("chat/completions")
            raise LLMTimeoutError(f"no answer from {url} within {timeout}s") from err
        if not response.is_success:
            raise error_from_status(response.status_code, text, response.headers)
        return parse_completion(text, self.model)

    async def _exchange(self, body: dict[str, Any], timeout: float) -> tuple[httpx.Response, str]:
        """Send and read the whole body, telling a refused connection from a cut-off body."""
        response = await self._send("POST", "chat/completions", timeout, body)
        try:
            with _body_errors(response.request.url):
                return response, await read_text(response)
        finally:
            await response.aclose()

    async def _open_stream(self, body: dict[str, Any], timeout: float) -> httpx.Response:
        """Send a streaming request and return it once the headers say it succeeded."""
        response = await self._send("POST", "chat/completions", timeout, body)
        if response.is_success:
            return response
        try:
            with _transport_errors(self._url("chat/completions")):
                text = (await response.aread()).decode("utf-8", errors="replace")
        finally:
            await response.aclose()
        raise error_from_status(response.status_code, text, response.headers)

    async def stream_chunks(
        self, prompt: str | list[Message] | list[dict], config: GenerateConfig | None = None
    ) -> AsyncIterator[StreamChunk]:
        """Like ``stream`` but with finish reason and the final usage chunk."""
        async for chunk in self._stream_chunks(self._checked(prompt), config or GenerateConfig()):
            yield chunk

    async def _stream_chunks(
        self, messages: list[Message], config: GenerateConfig
    ) -> AsyncIterator[StreamChunk]:
        """Chunks of one finished answer: whole attempts are retried (bounded, with the retry
        policy's backoff); returning normally means the server said it finished."""
        body = self.build_body(messages, config, stream=True)
        limit = self.retry.max_retries if config.max_retries is None else config.max_retries
        shown = _Shown()
        retries = 0
        while True:
            shown.restart()
            try:
                async with aclosing(self._stream_attempt(body, config.timeout)) as attempt:
                    async for chunk in attempt:
                        if chunk.text:
                            new = shown.take(chunk.text)
                            if new is None:
                                break
                            chunk = chunk.model_copy(update={"text": new})
                        yield chunk
                    else:
                        return
            except TransientError as err:
                if retries >= limit:
                    log.warning("stream: giving up after %d retries: %s", retries, err)
                    raise
                delay = self.retry.delay_for(err, retries)
                log.info(
                    "stream: transient %s (retry %d/%d): %s",
                    type(err).__name__,
                    retries + 1,
                    limit,
                    err,
                )
                await self.retry.sleep(delay)
                retries += 1
                continue
            raise MalformedResponseError(
                f"the stream was cut after {shown.length} characters and the retried answer "
                "differs from the text already shown; nothing was cached",
                raw="".join(shown.pieces),
            )

    async def _stream_attempt(
        self, body: dict[str, Any], timeout: float
    ) -> AsyncIterator[StreamChunk]:
        """One streamed request, checked by :class:`StreamState` once it ends. A connection
        lost after the finish reason arrived costs nothing but the usage chunk."""
        url = self._url("chat/completions")
        response = await self._open_stream(body, timeout)
        state = StreamState()
        try:
            with _body_errors(url):
                async for event, data in iter_sse(response.aiter_lines()):
                    if data.strip() == "[DONE]":
                        state.done = True
                        break
                    yield state.add(stream_chunk(json_object(data), error_event=event == "error"))
        except (MalformedResponseError, LLMTimeoutError):
            if state.finish_reason is None:
                raise
        finally:
            await response.aclose()
        last = state.end()
        if last is not None:
            yield last

    async def _stream(self, messages: list[Message], config: GenerateConfig) -> AsyncIterator[str]:
        async for chunk in self._stream_chunks(messages, config):
            if chunk.text:
                yield chunk.text

    async def list_models(self, *, timeout: float = 10.0) -> list[str]:
        """Model ids the server offers (``GET /models``); one quick attempt, for health checks."""
        response = await self._send("GET", "models", timeout)
        try:
            with _transport_errors(self._url("models")):
                text = await read_text(response)
        finally:
            await response.aclose()
        if not response.is_success:
            raise error_from_status(response.status_code, text, response.headers)
        data = json_object(text).get("data")
        if not isinstance(data, list):
            raise MalformedResponseError("/models response has no data list", raw=text)
        return [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]

    async def aclose(self) -> None:
        """Close the connection pool; the backend stays usable (a new pool opens on next use).
        A transport the caller gave is closed too, and used again on next use."""
        if self._transport is not None:
            transport, self._transport = self._transport, None
            await transport.aclose()
