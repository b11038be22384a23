"""An httpx transport over aiohttp's connection pool: httpx's API, aiohttp's speed.

httpx's own pool (httpcore) is the slow part of httpx (encode/httpx#3215): on two cores,
against a server that answers at once, 146-152 requests/s at concurrency 64 where aiohttp
does over 3,000. :class:`AiohttpTransport` is an ``httpx.AsyncBaseTransport``, so requests and
responses stay ``httpx`` objects, any ``httpx`` transport (``MockTransport``,
``ASGITransport``) can stand in for it, and callers only ever see ``httpx`` exceptions:

- a connect or pool timeout (``ConnectionTimeoutError``): ``ConnectTimeout``;
- a read timeout (``SocketTimeoutError``): ``ReadTimeout``;
- cannot connect (``ClientConnectorError``): ``ConnectError``;
- a body cut off (``ClientPayloadError``) or a dropped connection
  (``ServerDisconnectedError``): ``RemoteProtocolError``;
- a reset or another socket error (``ClientOSError``): ``ReadError``;
- not http(s), or a bad URL: ``UnsupportedProtocol``;
- anything else aiohttp raises (``ClientError``): ``TransportError``.

The body is streamed lazily (``client.send(..., stream=True)`` semantics), so a connection that
drops after the headers surfaces while the body is read, as with httpx's own pool. Proxies are
taken from ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY`` once per origin, like ``httpx`` with
``trust_env``. A session belongs to one event loop: a transport used from a new loop (a second
``asyncio.run``) opens a new session there, and each session is closed when its loop shuts down.

Why not the ``httpx-aiohttp`` package (installable, and as fast): its session is bound to the
first event loop (a second ``asyncio.run`` fails with "Event loop is closed"), it warns
"Unclosed client session" at exit unless closed by hand, and it maps a dropped connection
(``ServerDisconnectedError``) to ``ConnectTimeout``.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import aiohttp
import httpx

__all__ = ["AiohttpTransport", "default_transport", "read_text", "timeout_extension"]

_TIMEOUT_MAP: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
)
_ERROR_MAP: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.NonHttpUrlClientError, httpx.UnsupportedProtocol),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientOSError, httpx.ReadError),
    (aiohttp.ClientError, httpx.TransportError),
)


class _mapped:  # noqa: N801 - a context manager used like a function
    """aiohttp's exceptions as httpx's (the table in the module docstring). A class, not
    ``@contextmanager``: it wraps every request and every body read, and a generator-based one
    costs several times as much to enter and leave."""

    __slots__ = ("pool_wait",)

    def __init__(self, *, pool_wait: bool = False) -> None:
        self.pool_wait = pool_wait

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: object
    ) -> bool:
        if err is None or isinstance(err, httpx.HTTPError):
            return False
        if not isinstance(err, aiohttp.ClientError | asyncio.TimeoutError):
            return False
        for source, target in _TIMEOUT_MAP:
            if isinstance(err, source):
                raise target(str(err) or type(err).__name__) from err
        if isinstance(err, asyncio.TimeoutError):  # the only total-time limit is the pool wait
            kind = httpx.PoolTimeout if self.pool_wait else httpx.ReadTimeout
            raise kind(str(err) or "timed out") from err
        for source, target in _ERROR_MAP:
            if isinstance(err, source):
                raise target(f"{type(err).__name__}: {err}") from err
        return False  # pragma: no cover - every ClientError matches the last row


class _Body(httpx.AsyncByteStream):
    """The response body, read as it arrives; closing it returns the connection to the pool
    (or drops it, when the body was not read to its end)."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        with _mapped():
            while True:
                chunk = await content.readany()
                if not chunk:
                    break
                yield chunk

    async def read_all(self) -> bytes:
        """The whole body in one ``StreamReader.read()``: the same chunks as iterating, joined,
        without an async generator stepped per chunk (a visible share of a small answer's
        cost at an instant server)."""
        with _mapped():
            return await self._response.content.read()

    async def aclose(self) -> None:
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncBaseTransport`` over one ``aiohttp.ClientSession`` (HTTP/1.1 keep-alive).

    ``max_connections=None`` leaves concurrency to the caller (the pipeline's workers);
    ``keepalive_expiry`` is how long an idle connection is kept: under the 5 s after which
    uvicorn (vLLM, SGLang) and llama.cpp's server close one, so that a request is not sent on a
    connection the server is closing (a retry, with its backoff). ``verify`` is as for httpx
    (a bool, a CA bundle path or an ``ssl.SSLContext``); the TLS context is made on the first
    ``https`` request.
    """

    def __init__(
        self,
        *,
        max_connections: int | None = None,
        keepalive_expiry: float = 4.0,
        verify: ssl.SSLContext | str | bool = True,
        trust_env: bool = True,
    ) -> None:
        self.max_connections = max_connections
        self.keepalive_expiry = keepalive_expiry
        self._verify = verify
        self._trust_env = trust_env
        self._ssl: ssl.SSLContext | bool | None = None  # made on first https use
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closer: AsyncGenerator[None, None] | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}
        self._urls: dict[Any, str] = {}

    async def _client(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            # a session from a finished loop was closed by that loop's shutdown (below)
            connector = aiohttp.TCPConnector(
                limit=self.max_connections or 0,
                limit_per_host=0,
                keepalive_timeout=self.keepalive_expiry,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,  # httpx decodes Content-Encoding itself
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
                timeout=aiohttp.ClientTimeout(total=None),
            )
            # A suspended async generator is closed by the loop's shutdown (asyncio.run and
            # asyncio.Runner call loop.shutdown_asyncgens): the session closes with its loop
            # even when nobody calls aclose(), instead of warning "Unclosed client session".
            # _OPEN holds it until then, even if this transport is collected first.
            closer = _OPEN[id(session)] = _close_with_loop(session)
            await closer.__anext__()
            self._session, self._loop, self._closer = session, loop, closer
        return self._session

    def _ssl_for(self, scheme: str) -> ssl.SSLContext | bool:
        if scheme != "https":
            return True  # unused for http
        if self._ssl is None:
            if isinstance(self._verify, ssl.SSLContext):
                self._ssl = self._verify
            elif self._verify is False:
                self._ssl = False
            else:
                import certifi

                cafile = self._verify if isinstance(self._verify, str) else certifi.where()
                self._ssl = ssl.create_default_context(cafile=cafile)
        return self._ssl

    def _proxy_for(self, url: httpx.URL) -> str | None:
        key = (url.scheme, url.host)
        if key not in self._proxies:
            proxy = None
            if self._trust_env:
                proxies = urllib.request.getproxies_environment()
                proxy = proxies.get(url.scheme) or proxies.get("all")
                if proxy and urllib.request.proxy_bypass_environment(url.host, proxies):
                    proxy = None
            self._proxies[key] = proxy
        return self._proxies[key]

    def _timeout(self, extension: dict[str, float | None]) -> aiohttp.ClientTimeout:
        key = (extension.get("pool"), extension.get("connect"), extension.get("read"))
        timeout = self._timeouts.get(key)
        if timeout is None:
            pool, connect, read = key
            timeout = aiohttp.ClientTimeout(
                total=None, connect=pool, sock_connect=connect, sock_read=read
            )
            if len(self._timeouts) < 64:
                self._timeouts[key] = timeout
        return timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session
        if session is None or self._loop is not asyncio.get_running_loop() or session.closed:
            session = await self._client()
        url = request.url
        try:
            data: bytes | None = request.content or None
        except httpx.RequestNotRead:
            data = await request.aread() or None
        with _mapped(pool_wait=True):
            response = await session.request(
                request.method,
                self._url_text(url),
                headers=_header_items(request.headers),
                data=data,
                allow_redirects=False,
                timeout=self._timeout(request.extensions.get("timeout", {})),
                ssl=self._ssl_for(url.scheme),
                proxy=self._proxy_for(url),
                server_hostname=request.extensions.get("sni_hostname"),
            )
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("ascii", "replace")
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_Body(response),
            request=request,
            extensions=extensions,
        )

    def _url_text(self, url: httpx.URL) -> str:
        """``str(url)``, remembered: a backend sends every request to the same few URLs, and
        httpx rebuilds the text each time. Keyed on the parsed parts (what the text is made of)."""
        parts = getattr(url, "_uri_reference", None)  # immutable, shared by copies of the URL
        if parts is None:  # pragma: no cover - another httpx
            return str(url)
        text = self._urls.get(parts)
        if text is None:
            text = str(url)
            if len(self._urls) < 64:
                self._urls[parts] = text
        return text

    async def aclose(self) -> None:
        closer, self._closer, self._session = self._closer, None, None
        if closer is not None and self._loop is _running_loop():
            await closer.aclose()  # its finally closes the session


def _header_items(headers: httpx.Headers) -> list[tuple[str, str]]:
    """``headers.multi_items()`` with the names as given (the case httpx's own pool sends),
    decoded with the one encoding httpx settles on, looked up once rather than twice a header."""
    encoding = headers.encoding
    return [(name.decode(encoding), value.decode(encoding)) for name, value in headers.raw]


_OPEN: dict[int, AsyncGenerator[None, None]] = {}
"""The closer of each open session, by ``id(session)``, until its loop shuts down."""


async def _close_with_loop(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        _OPEN.pop(id(session), None)
        await session.close()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


_EXTENSIONS: dict[float, dict[str, float]] = {}


def timeout_extension(seconds: float) -> dict[str, float]:
    """httpx's per-request ``timeout`` extension: each of connect, read, write and pool."""
    found = _EXTENSIONS.get(seconds)
    if found is None:
        found = {"connect": seconds, "read": seconds, "write": seconds, "pool": seconds}
        if len(_EXTENSIONS) < 64:
            _EXTENSIONS[seconds] = found
    return found


async def read_text(response: httpx.Response) -> str:
    """The whole body as text. JSON is UTF-8 (RFC 8259), so a plain body is read straight
    from the transport's stream, without httpx's decoder chain and charset sniffing; a
    compressed one goes through ``aread``."""
    if response.headers.get("Content-Encoding", "identity").lower() in ("identity", ""):
        stream = response.stream
        if type(stream) is _Body:
            content = await stream.read_all()
        else:
            chunks = [chunk async for chunk in stream]
            content = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    else:
        content = await response.aread()
    return content.decode("utf-8", errors="replace")


def default_transport() -> httpx.AsyncBaseTransport:
    """What :class:`~lmforge.llm.openai_compat.OpenAICompatLLM` talks through unless given
    another transport."""
    return AiohttpTransport()
