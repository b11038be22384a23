"""Records/s of the lmforge runner through the OpenAI-compatible backend, call cache on, against
a local stub server that answers at once: the most lmforge can feed a vLLM/SGLang server. Next
to it, in the same command and at the same concurrency, bare loops sending the same bodies:

- ``runner_no_cache``: the runner without the call cache (``LMFORGE_CACHE=0``), for the cache's
  share of the runner's cost;
- ``bare_same_client``: the HTTP path lmforge's backend uses (an ``httpx.Request`` sent through
  ``lmforge.llm.transport.AiohttpTransport``, body read and parsed as JSON), no lmforge code;
- ``bare_aiohttp``: an ``aiohttp.ClientSession`` loop, the ceiling of the HTTP stack below it;
- ``bare_httpx_client``: ``httpx.AsyncClient`` over the same transport (what a user's own httpx
  code gets), for reference;
- with ``--httpx-pool``, ``httpx.AsyncClient`` with httpx's own pool (what lmforge used before,
  encode/httpx#3215), on fewer records because it is slow.

The stub is a raw asyncio HTTP/1.1 server in its own process (so it shares no event loop with
the clients), keep-alive, one fixed finished answer. The runner gets a fresh cache file each
round, so every record is a real call and a cache write. Rounds alternate the order of the
sides (ABBA); each figure is the median over rounds and each ratio the median of the paired
ratios (4 rounds by default: on the shared development VM the same code's ratio swung by 0.2
between 2-round runs). Targets: runner >= 1,000 records/s at concurrency 64, and >= 0.9x the
bare loop with the same client; both bare loops with that client are held to it
(``bare_same_client`` is the strict one: it does nothing but the HTTP exchange, where the
runner also writes each row, stores each answer in the cache and keeps its accounting).

Each side's CPU time per record (``cpu_us_per_rec``: this process, every thread) is printed
too: on a machine loaded by other work the wall-clock figures swing by half from round to
round, the CPU figures far less. Beside it, the part spent in CPython's cyclic collector
(``collector``): the runner sets the collector for its runs (``lmforge.pipeline.gc_scope``),
the bare loops keep CPython's defaults.

    python benchmarks/runner_ceiling.py [--records 5000] [--concurrency 64 256] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

REPLY = json.dumps(
    {
        "id": "c1",
        "object": "chat.completion",
        "model": "stub",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "ok"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13},
    }
).encode()
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(REPLY)).encode()
    + b"\r\n\r\n"
    + REPLY
)


class _StubProtocol(asyncio.Protocol):
    """Answers every complete request on the connection (pipelining included) with RESPONSE."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        buffer, answers = self.buffer + data, 0
        while (end := buffer.find(b"\r\n\r\n")) >= 0:
            length = 0
            for line in buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(buffer) < end + 4 + length:
                break
            buffer = buffer[end + 4 + length :]
            answers += 1
        self.buffer = buffer
        if answers:
            self.transport.write(RESPONSE * answers)


def _serve(ready) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(
            _StubProtocol, "127.0.0.1", 0, backlog=4096
        )
        ready.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def bodies(n: int) -> list[dict]:
    """What the runner's backend sends for the prompts below (chat_body of the default config)."""
    return [
        {
            "model": "stub",
            "messages": [{"role": "user", "content": f"Say ok to record {i}."}],
            "max_tokens": 8,
            "temperature": 0.0,
            "top_p": 1.0,
            "seed": 0,
        }
        for i in range(n)
    ]


async def _gather(n: int, concurrency: int, one) -> float:
    limit = asyncio.Semaphore(concurrency)

    async def bounded(i: int) -> None:
        async with limit:
            await one(i)

    start = time.perf_counter()
    await asyncio.gather(*(bounded(i) for i in range(n)))
    return time.perf_counter() - start


async def bare_same_client(url: str, reqs: list[dict], concurrency: int) -> float:
    from lmforge.llm.transport import AiohttpTransport

    transport = AiohttpTransport()
    target = httpx.URL(f"{url}/chat/completions")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}

    async def one(i: int) -> None:
        request = httpx.Request("POST", target, headers=headers, content=json.dumps(reqs[i]))
        response = await transport.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        assert response.status_code == 200
        json.loads(response.content)["choices"][0]["message"]["content"]

    try:
        return await _gather(len(reqs), concurrency, one)
    finally:
        await transport.aclose()


async def bare_aiohttp(url: str, reqs: list[dict], concurrency: int) -> float:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> None:
            async with session.post(f"{url}/chat/completions", json=reqs[i]) as response:
                assert response.status == 200
                json.loads(await response.read())["choices"][0]["message"]["content"]

        return await _gather(len(reqs), concurrency, one)


async def bare_httpx_client(
    url: str, reqs: list[dict], concurrency: int, *, own_pool: bool = False
) -> float:
    from lmforge.llm.transport import AiohttpTransport

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=concurrency)
    transport = None if own_pool else AiohttpTransport()
    async with httpx.AsyncClient(transport=transport, limits=limits, timeout=600) as client:

        async def one(i: int) -> None:
            response = await client.post(f"{url}/chat/completions", json=reqs[i])
            response.raise_for_status()
            response.json()["choices"][0]["message"]["content"]

        return await _gather(len(reqs), concurrency, one)


def _ask_stage():
    from lmforge.llm.types import GenerateConfig
    from lmforge.pipeline.runner import Stage

    async def ask(record: dict, ctx) -> dict:
        completion = await ctx.generate(record["prompt"])
        return {"response": completion.text}

    return Stage("ask", ask, config=GenerateConfig(max_tokens=8))


async def runner(url: str, reqs: list[dict], concurrency: int, *, cached: bool = True) -> float:
    """run_stage over the records, through CachedLLM(OpenAICompatLLM) as ``get_llm`` builds it
    (``cached=False``: the backend alone, as with ``LMFORGE_CACHE=0``)."""
    from lmforge.llm.cache import CachedLLM, CallCache
    from lmforge.llm.openai_compat import OpenAICompatLLM
    from lmforge.pipeline.runner import run_stage

    records = [{"id": str(i), "prompt": b["messages"][0]["content"]} for i, b in enumerate(reqs)]
    with tempfile.TemporaryDirectory() as tmp:
        cache = CallCache(Path(tmp) / "calls.sqlite") if cached else None
        backend = OpenAICompatLLM("stub", url, api_key="")
        llm = CachedLLM(backend, cache) if cache is not None else backend
        start = time.perf_counter()
        summary = await run_stage(
            _ask_stage(), records, Path(tmp) / "out.jsonl", llm=llm, concurrency=concurrency,
            quiet=True,
        )  # fmt: skip
        await llm.aclose()
        if cache is not None:
            cache.close()  # waits for the last cache writes: part of the run's cost
        wall = time.perf_counter() - start
        entries = CallCache(Path(tmp) / "calls.sqlite").stats().entries if cached else len(reqs)
    assert summary.done == len(reqs), summary
    assert not cached or llm.misses == len(reqs), llm.misses
    assert entries == len(reqs), f"{entries} cache entries for {len(reqs)} calls"
    return wall


async def runner_no_cache(url: str, reqs: list[dict], concurrency: int) -> float:
    return await runner(url, reqs, concurrency, cached=False)


SIDES = {
    "runner": runner,
    "runner_no_cache": runner_no_cache,
    "bare_same_client": bare_same_client,
    "bare_aiohttp": bare_aiohttp,
    "bare_httpx_client": bare_httpx_client,
}


class _Collections:
    """Wall time spent in CPython's cyclic collector (``gc.callbacks``), any thread."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0
        gc.callbacks.append(self._note)

    def _note(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start


def measure(
    url: str, records: int, concurrency: int, rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[float]]]:
    """Records/s of each side per round, the CPU microseconds per record it took (this
    process, all its threads: the cache's included), which a loaded machine inflates far less
    than the wall clock, and the microseconds per record spent in the cyclic collector (the
    runner sets it for its runs: ``lmforge.pipeline.gc_scope``; the bare loops keep CPython's
    defaults, as a user's own loop would)."""
    reqs = bodies(records)
    rates: dict[str, list[float]] = {side: [] for side in SIDES}
    cpu: dict[str, list[float]] = {side: [] for side in SIDES}
    gcs: dict[str, list[float]] = {side: [] for side in SIDES}
    collector = _Collections()
    for fn in SIDES.values():  # warm-up: imports, the server's accept queue
        asyncio.run(fn(url, reqs[: min(500, records)], concurrency))
    for i in range(rounds):
        order = list(SIDES) if i % 2 == 0 else list(reversed(SIDES))
        for side in order:
            used, collected = time.process_time(), collector.seconds
            wall = asyncio.run(SIDES[side](url, reqs, concurrency))
            cpu[side].append((time.process_time() - used) / records * 1e6)
            gcs[side].append((collector.seconds - collected) / records * 1e6)
            rates[side].append(records / wall)
    return rates, cpu, gcs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument(
        "--httpx-pool",
        type=int,
        default=0,
        metavar="N",
        help="also time httpx's own pool on N records (slow: ~150 req/s)",
    )
    args = ap.parse_args()

    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(theirs,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ours.recv()}/v1"
    try:
        print(f"records: {args.records}  rounds: {args.rounds}  cpus: {os.cpu_count()}")
        print(f"load_average_before: {os.getloadavg()[0]:.2f}")
        for c in args.concurrency:
            rates, cpu, gcs = measure(url, args.records, c, args.rounds)
            med = {side: statistics.median(r) for side, r in rates.items()}
            for side, r in rates.items():
                shown = " ".join(f"{x:.0f}" for x in r)
                print(f"c{c}_{side}_rec_s: {med[side]:.0f}  (rounds: {shown})")
            for side, r in cpu.items():
                used, collected = statistics.median(r), statistics.median(gcs[side])
                print(f"c{c}_{side}_cpu_us_per_rec: {used:.0f}  (collector: {collected:.1f})")
            if args.httpx_pool:
                wall = asyncio.run(
                    bare_httpx_client(url, bodies(args.httpx_pool), c, own_pool=True)
                )
                print(f"c{c}_bare_httpx_own_pool_rec_s: {args.httpx_pool / wall:.0f}")
            ratio = {}
            for base in ("bare_same_client", "bare_httpx_client", "bare_aiohttp"):
                paired = [o / b for o, b in zip(rates["runner"], rates[base], strict=True)]
                ratio[base] = statistics.median(paired)
                print(f"c{c}_runner_vs_{base}: {ratio[base]:.3f}")
            pairs = zip(rates["runner_no_cache"], rates["bare_same_client"], strict=True)
            plain = [o / b for o, b in pairs]
            print(f"c{c}_runner_no_cache_vs_bare_same_client: {statistics.median(plain):.3f}")
            verdict = {True: "met", False: "MISSED"}
            print(
                f"c{c}_targets: runner >= 1000 rec/s {verdict[med['runner'] >= 1000]}; "
                f">= 0.9x bare_same_client {verdict[ratio['bare_same_client'] >= 0.9]}; "
                f">= 0.9x bare_httpx_client {verdict[ratio['bare_httpx_client'] >= 0.9]}"
            )
        print(f"load_average_after: {os.getloadavg()[0]:.2f}")
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
