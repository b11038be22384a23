"""A server that stops answering (accepts, then says nothing: a SIGSTOPped process) is marked
down by its first timeout, so the retry and the later requests go to the live one."""

from __future__ import annotations

import asyncio
import json

from lmforge.llm.endpoints import EndpointPool
from lmforge.llm.retry import RetryPolicy
from lmforge.llm.types import GenerateConfig, Request

ANSWER = {
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "live"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1},
}  # fmt: skip


async def _serve(hang: bool) -> tuple[asyncio.AbstractServer, str]:
    """A real HTTP server on 127.0.0.1: answers every request, or reads it and never answers."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                size = next((int(h.split(b":")[1]) for h in head.split(b"\r\n")
                             if h.lower().startswith(b"content-length:")), 0)  # fmt: skip
                await reader.readexactly(size)
                if hang:
                    await asyncio.sleep(3600)
                body = json.dumps(ANSWER).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\n\r\n%s" % (len(body), body))  # fmt: skip
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/v1"


async def test_a_hung_server_is_marked_down_and_its_requests_go_elsewhere():
    hung, hung_url = await _serve(hang=True)
    live, live_url = await _serve(hang=False)
    retry = RetryPolicy(base_delay=0.0, jitter=0.0)
    llm = EndpointPool("m", [hung_url, live_url], retry=retry, probe_delay=0.05, probe_max=0.2,
                       probe_timeout=0.3)  # fmt: skip
    config = GenerateConfig(timeout=0.5, max_retries=2)
    try:
        out = await llm.generate_many(
            [Request(messages=[{"role": "user", "content": f"q{i}"}], config=config)
             for i in range(6)], concurrency=2)  # fmt: skip
        assert [c.text for c in out] == ["live"] * 6
        stats = llm.stats()
        assert not stats[hung_url]["up"] and stats[hung_url]["marked_down"] == 1
        assert stats[hung_url]["ok"] == 0 and stats[live_url]["ok"] == 6
        assert stats[hung_url]["requests"] <= 2  # only what was sent before the first timeout
        await asyncio.sleep(0.5)  # its probes time out too: it stays down
        assert not llm.is_up(hung_url)
    finally:
        await llm.aclose()
        for server in (hung, live):
            server.close()
