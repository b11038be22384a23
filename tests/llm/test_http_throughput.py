"""The HTTP path of the OpenAI-compatible backend against a real server on 127.0.0.1.

The server is a small asyncio HTTP/1.1 server in a thread of its own (its own event loop),
answering each prompt with ``echo: <prompt>`` after a short delay, and counting what a client
cannot hide: connections accepted, requests in flight at once, requests answered. No timing is
asserted; what is asserted is behaviour: the runner reaches its concurrency over reused
connections, every answer lands in the call cache, the transport's failures keep their classes,
and a run killed with SIGKILL finds every answer it wrote in the cache.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import pytest

from lmforge.errors import ConfigError, LLMConnectionError, LLMTimeoutError, MalformedResponseError
from lmforge.llm.cache import CachedLLM, CallCache, cache_key
from lmforge.llm.openai_compat import OpenAICompatLLM
from lmforge.llm.types import GenerateConfig, Message
from lmforge.pipeline.records import read_jsonl
from lmforge.pipeline.runner import Stage, run_stage

CONFIG = GenerateConfig(max_tokens=8, max_retries=0)


class EchoServer:
    """``mode``: ``ok`` answers; ``cut`` sends the headers and half the body, then closes;
    ``stall`` sends the headers and never the body."""

    def __init__(self, delay: float = 0.005, mode: str = "ok") -> None:
        self.delay, self.mode = delay, mode
        self.connections = self.requests = self.in_flight = self.peak = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> EchoServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _shutdown(self) -> None:
        self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = json.loads(await reader.readexactly(length)) if length else {}
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                await asyncio.sleep(self.delay)
                self.in_flight -= 1
                self.requests += 1
                await self._answer(writer, body)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _answer(self, writer: asyncio.StreamWriter, body: dict) -> None:
        prompt = body["messages"][-1]["content"]
        reply = json.dumps(
            {
                "model": "echo",
                "choices": [
                    {
                        "message": {"role": "assistant", "content": f"echo: {prompt}"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 2},
            }
        ).encode()
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(reply)}\r\n\r\n".encode()
        )
        if self.mode == "cut":
            writer.write(head + reply[: len(reply) // 2])
            await writer.drain()
            raise ConnectionError("cut on purpose")
        if self.mode == "stall":
            writer.write(head)
            await writer.drain()
            await asyncio.sleep(3600)
        writer.write(head + reply)
        await writer.drain()


async def echo(record: dict, ctx) -> dict:
    return {"answer": (await ctx.generate(record["prompt"])).text}


STAGE = Stage("echo", echo, config=CONFIG)


def records(n: int) -> list[dict]:
    return [{"id": f"r{i}", "prompt": f"record {i}"} for i in range(n)]


async def test_the_runner_reaches_its_concurrency_over_reused_connections(tmp_path):
    with EchoServer(delay=0.01) as server:
        cache = CallCache(tmp_path / "calls.sqlite")
        llm = CachedLLM(OpenAICompatLLM("echo", server.url, api_key=""), cache)
        out = tmp_path / "out.jsonl"
        summary = await run_stage(STAGE, records(300), out, llm=llm, concurrency=16, quiet=True)
        assert summary.done == 300 and server.requests == 300
        assert server.peak == 16  # every worker had a request in flight at once
        assert server.connections <= 16  # 300 requests over at most one connection each
        rows = read_jsonl(out)
        assert [r["answer"] for r in rows] == [f"echo: record {i}" for i in range(300)]
        assert cache.stats().entries == 300
        # a second run over a fresh output: every answer from the cache, none from the server
        again = await run_stage(
            STAGE, records(300), tmp_path / "again.jsonl", llm=llm, concurrency=16, quiet=True
        )
        assert again.done == 300 and server.requests == 300 and llm.hits == 300
        await llm.aclose()


def test_one_backend_serves_several_event_loops_and_closes_quietly(caplog):
    """A second asyncio.run gets a pool of its own; no loop ends with an unclosed session,
    not even one of a backend dropped without aclose() before its loop ended."""

    async def throwaway(url: str) -> None:
        """A backend in a reference cycle (a traceback holding it, here its own attribute)
        is collected with its session by the garbage collector, in the middle of a loop."""
        dropped = OpenAICompatLLM("echo", url, api_key="")
        dropped.cycle = dropped
        assert (await dropped.generate("dropped", CONFIG)).text == "echo: dropped"
        del dropped
        gc.collect()
        await asyncio.sleep(0.05)

    with EchoServer() as server:
        llm = OpenAICompatLLM("echo", server.url, api_key="")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for n in range(3):
                answer = asyncio.run(llm.generate(f"loop {n}", CONFIG))
                assert answer.text == f"echo: loop {n}"
            asyncio.run(throwaway(server.url))
            gc.collect()
        assert server.connections == 4  # one per loop, each closed when its loop ended
    unclosed = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert not [m for m in unclosed if "Unclosed" in m]


async def test_transport_failures_keep_their_classes():
    with EchoServer(mode="cut") as server:
        llm = OpenAICompatLLM("echo", server.url, api_key="")
        with pytest.raises(MalformedResponseError, match="cut off"):
            await llm.generate("x", CONFIG)
    with EchoServer(mode="stall") as server:
        llm = OpenAICompatLLM("echo", server.url, api_key="")
        with pytest.raises(LLMTimeoutError):
            await llm.generate("x", CONFIG.model_copy(update={"timeout": 0.3}))
    with EchoServer() as server:
        port = server.port
    with pytest.raises(LLMConnectionError, match="cannot reach"):  # nothing listens any more
        await OpenAICompatLLM("echo", f"http://127.0.0.1:{port}/v1", api_key="").generate(
            "x", CONFIG
        )
    with pytest.raises(ConfigError, match="unsupported URL"):
        await OpenAICompatLLM("echo", "ftp://127.0.0.1/v1", api_key="").generate("x", CONFIG)


KILLED_RUN = """
import asyncio, sys, time
from lmforge.llm.cache import CachedLLM, CallCache
from lmforge.llm.cache_thread import CacheThread
from lmforge.llm.openai_compat import OpenAICompatLLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.runner import Stage, run_stage

async def echo(record, ctx):
    return {"answer": (await ctx.generate(record["prompt"])).text}

url, out, cache_path, n = sys.argv[1:]

# a slow disk: each batch takes 20 ms more, so an answer written to the output before its
# commit would have a wide window in which a kill loses it
slow = CacheThread._execute
CacheThread._execute = lambda self, db, items: (time.sleep(0.02), slow(self, db, items))[1]
llm = CachedLLM(OpenAICompatLLM("echo", url, api_key=""), CallCache(cache_path))
stage = Stage("echo", echo, config=GenerateConfig(max_tokens=8, max_retries=0))
rows = [{"id": f"r{i}", "prompt": f"record {i}"} for i in range(int(n))]
asyncio.run(run_stage(stage, rows, out, llm=llm, concurrency=8, quiet=True))
"""


def complete_rows(path: Path) -> list[dict]:
    *whole, _torn = path.read_bytes().split(b"\n")
    return [json.loads(line) for line in whole if line.strip()]


async def test_every_answer_a_killed_run_wrote_is_in_the_cache(tmp_path):
    """SIGKILL mid-run: each row in the output has its answer in the cache, and the resumed
    run asks the server only for what neither holds."""
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(KILLED_RUN))
    out, cache_path, n = tmp_path / "out.jsonl", tmp_path / "calls.sqlite", 3000
    with EchoServer(delay=0.005) as server:
        proc = subprocess.Popen(
            [sys.executable, str(script), server.url, str(out), str(cache_path), str(n)],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        deadline = time.monotonic() + 60
        while not (out.exists() and len(complete_rows(out)) >= 100):
            assert proc.poll() is None and time.monotonic() < deadline, "the run never got going"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
        written = complete_rows(out)
        assert 100 <= len(written) < n, "killed mid-run"
        cache = CallCache(cache_path)
        for row in written:
            prompt = f"record {row['id'][1:]}"
            messages = [Message(role="user", content=prompt)]
            entry = cache.get(cache_key(f"openai:echo@{server.url}", messages, CONFIG))
            assert entry is not None, f"{row['id']} is in the output but not in the cache"
            assert entry.text == row["answer"] == f"echo: {prompt}"
        cached = cache.stats().entries  # the rows, plus answers in flight at the kill
        asked = server.requests
        llm = CachedLLM(OpenAICompatLLM("echo", server.url, api_key=""), cache)
        summary = await run_stage(STAGE, records(n), out, llm=llm, concurrency=8, quiet=True)
        assert summary.skipped == len(written) and summary.done == n - len(written)
        assert server.requests - asked == n - cached  # only what no earlier call had answered
        assert [r["id"] for r in read_jsonl(out)] == [f"r{i}" for i in range(n)]
        await llm.aclose()
