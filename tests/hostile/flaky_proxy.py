"""A real HTTP proxy on 127.0.0.1 that breaks the answers of an OpenAI-compatible server.

It runs on its own thread and event loop, so the test's own loop and subprocesses (the CLI) can
both talk to it. Each ``/chat/completions`` request takes the next fault from :attr:`faults`
(then passes through), or, under ``url_with(fault)``, that fault every time; every request is
logged in :attr:`seen` with the fault it got. Faults:

``empty``      200 and a body with nothing in it
``done_only``  a stream of ``data: [DONE]`` alone (a body: nothing)
``cut``        a clean end after two content chunks (a body: half of it), no finish_reason
               and no ``[DONE]``
``drop``       the same, then the connection is reset (TCP RST) instead of ended
``null``       the whole answer with every ``content`` turned to null
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from typing import Any

import httpx

FAULTS = ("empty", "done_only", "cut", "drop", "null")


class FlakyProxy:
    """``with FlakyProxy("http://127.0.0.1:PORT/v1") as proxy: proxy.url`` is the broken one."""

    def __init__(self, upstream: str, *, cut_after: int = 2) -> None:
        self.upstream = upstream.rstrip("/")
        self.cut_after = cut_after
        self.faults: list[str | None] = []
        self.seen: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def url_with(self, fault: str) -> str:
        """A base URL whose every chat request gets ``fault``."""
        assert fault in FAULTS, fault
        return f"http://127.0.0.1:{self.port}/fault/{fault}/v1"

    def chat_requests(self, *fault: str | None) -> int:
        """Chat requests seen; with an argument, those that got that fault (None: none)."""
        return sum(
            path.endswith("/chat/completions") and (not fault or got == fault[0])
            for path, got in self.seen
        )

    def __enter__(self) -> FlakyProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("flaky proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        self._client = httpx.AsyncClient(timeout=300)
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()
        await self._client.aclose()

    def _route(self, path: str) -> tuple[str, str | None]:
        """The upstream path and the fault for one request."""
        fault = None
        if path.startswith("/fault/"):
            _, _, fault, rest = path.split("/", 3)
            path = "/" + rest
        with self._lock:
            if fault is None and path.endswith("/chat/completions") and self.faults:
                fault = self.faults.pop(0)
            self.seen.append((path, fault))
        return path, fault

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            length = int({k.lower(): v for k, v in headers.items()}.get("content-length", 0))
            body = await reader.readexactly(length) if length else b""
            path, fault = self._route(target.split("?", 1)[0])
            await self._answer(writer, method, path, body, fault)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if not writer.transport.is_closing():
                writer.close()

    async def _answer(
        self, writer: asyncio.StreamWriter, method: str, path: str, body: bytes, fault: str | None
    ) -> None:
        url = self.upstream + path.removeprefix("/v1")
        streamed = bool(body) and json.loads(body).get("stream") is True
        if fault in ("empty", "done_only"):  # no need to make the server decode for nothing
            kind = "text/event-stream" if streamed else "application/json"
            writer.write(
                f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nTransfer-Encoding: chunked\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            if streamed and fault == "done_only":
                await self._send(writer, b"data: [DONE]\n\n")
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return
        headers = {"content-type": "application/json"}
        async with self._client.stream(method, url, content=body, headers=headers) as upstream:
            kind = upstream.headers.get("content-type", "application/json")
            writer.write(
                f"HTTP/1.1 {upstream.status_code} OK\r\nContent-Type: {kind}\r\n"
                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode()
            )
            if streamed and upstream.status_code == 200:
                ended = await self._stream(writer, upstream, fault)
            else:
                ended = await self._body(writer, await upstream.aread(), fault)
        if ended:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        else:
            await self._reset(writer)

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
        if data:
            writer.write(b"%x\r\n%s\r\n" % (len(data), data))
            await writer.drain()

    async def _reset(self, writer: asyncio.StreamWriter) -> None:
        """Let the client read what was sent, then reset the connection (RST, not FIN)."""
        await writer.drain()
        await asyncio.sleep(0.1)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def _body(self, writer: asyncio.StreamWriter, data: bytes, fault: str | None) -> bool:
        """A whole JSON reply, broken as told; False: reset the connection after it."""
        if fault in ("cut", "drop"):
            await self._send(writer, data[: len(data) // 2])
            return fault == "cut"
        if fault == "null":
            reply = json.loads(data)
            for choice in reply.get("choices", []):
                choice["message"]["content"] = None
            data = json.dumps(reply).encode()
        await self._send(writer, data)
        return True

    async def _stream(
        self, writer: asyncio.StreamWriter, upstream: httpx.Response, fault: str | None
    ) -> bool:
        """Server-sent events, forwarded one event at a time and broken as told."""
        contents = 0
        event: list[str] = []
        async for line in upstream.aiter_lines():
            if line:
                event.append(line)
                continue
            if not event:
                continue
            text, event = "\n".join(event), []
            data = _event_data(text)
            if fault == "null" and data is not None:
                for choice in data.get("choices") or []:
                    if isinstance(choice.get("delta"), dict) and "content" in choice["delta"]:
                        choice["delta"]["content"] = None
                text = "data: " + json.dumps(data)
            has_text = data is not None and any(
                (c.get("delta") or {}).get("content") for c in data.get("choices") or []
            )
            await self._send(writer, (text + "\n\n").encode())
            contents += has_text
            if fault in ("cut", "drop") and contents >= self.cut_after:
                return fault == "cut"
        return True


def _event_data(event: str) -> dict[str, Any] | None:
    """The JSON of a ``data:`` event; None for ``[DONE]`` and anything else."""
    if not event.startswith("data: ") or event == "data: [DONE]":
        return None
    try:
        data = json.loads(event.removeprefix("data: "))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
