"""Records/s of the runner against one stub server vs two (``openai:NAME@URL1,URL2``), and each
endpoint's share of the requests.

The stubs are the runner-ceiling stub (``benchmarks/runner_ceiling.py``: a raw asyncio HTTP/1.1
server in its own process, one fixed finished answer), optionally holding each answer for
``--delay-ms`` so that a server's capacity, not the client, is the limit (what a loaded vLLM
looks like): with a per-endpoint limit of L requests in flight and a delay of d, one server
gives at most L/d records/s and two give 2L/d. With ``--delay-ms 0`` the client is the limit
and the figure shows what routing over a pool costs. Sides, in the same command:

- ``one_direct``: ``OpenAICompatLLM`` on stub 1 (the single-URL backend), concurrency L;
- ``one_pool``: an ``EndpointPool`` over stub 1 alone, concurrency L (the pool's own cost);
- ``two_pool``: an ``EndpointPool`` over stubs 1 and 2, concurrency 2L.

Rounds alternate the order (ABBA); figures are medians.

    python benchmarks/endpoint_spread.py [--records 2000] [--limit 16] [--delay-ms 20] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from runner_ceiling import RESPONSE, _StubProtocol  # noqa: E402


class _SlowStub(_StubProtocol):
    """The ceiling stub, each answer written ``DELAY`` seconds after its request arrived."""

    DELAY = 0.0

    def data_received(self, data: bytes) -> None:
        if not self.DELAY:
            super().data_received(data)
            return
        write = self.transport.write
        self.transport.write = lambda payload: asyncio.get_running_loop().call_later(
            self.DELAY, self._write_open, write, payload
        )
        try:
            super().data_received(data)
        finally:
            self.transport.write = write

    def _write_open(self, write, payload: bytes) -> None:
        if not self.transport.is_closing():
            write(payload)


def _serve(ready, delay: float) -> None:
    _SlowStub.DELAY = delay

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(
            _SlowStub, "127.0.0.1", 0, backlog=4096
        )
        ready.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


async def run(llm, records: int, concurrency: int) -> float:
    from lmforge.llm.types import GenerateConfig
    from lmforge.pipeline.runner import Stage, run_stage

    async def ask(record: dict, ctx) -> dict:
        return {"response": (await ctx.generate(record["prompt"])).text}

    stage = Stage("ask", ask, config=GenerateConfig(max_tokens=8))
    rows = [{"id": str(i), "prompt": f"Say ok to record {i}."} for i in range(records)]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = await run_stage(
            stage, rows, Path(tmp) / "out.jsonl", llm=llm, concurrency=concurrency, quiet=True
        )
        wall = time.perf_counter() - start
    await llm.aclose()
    assert (summary.done, summary.failed) == (records, 0), summary
    return wall


def sides(urls: list[str], limit: int):
    from lmforge.llm.endpoints import EndpointPool
    from lmforge.llm.openai_compat import OpenAICompatLLM

    return {
        "one_direct": (lambda: OpenAICompatLLM("stub", urls[0], api_key=""), limit),
        "one_pool": (lambda: EndpointPool("stub", urls[:1], api_key="", limit=limit), limit),
        "two_pool": (lambda: EndpointPool("stub", urls, api_key="", limit=limit), 2 * limit),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--limit", type=int, default=16, help="requests in flight per endpoint")
    ap.add_argument("--delay-ms", type=float, default=20.0, help="each stub's time per answer")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    assert RESPONSE  # the stub's one answer

    ctx = multiprocessing.get_context("spawn")
    urls, procs = [], []
    for _ in range(2):
        ours, theirs = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(theirs, args.delay_ms / 1000), daemon=True)
        proc.start()
        procs.append(proc)
        urls.append(f"http://127.0.0.1:{ours.recv()}/v1")
    try:
        print(f"records: {args.records}  limit: {args.limit}  delay_ms: {args.delay_ms:g}")
        print(f"cpus: {os.cpu_count()}  load_average_before: {os.getloadavg()[0]:.2f}")
        table = sides(urls, args.limit)
        rates: dict[str, list[float]] = {name: [] for name in table}
        shares: list[dict[str, int]] = []
        for i in range(args.rounds):
            order = list(table) if i % 2 == 0 else list(reversed(table))
            for name in order:
                make, concurrency = table[name]
                llm = make()
                wall = asyncio.run(run(llm, args.records, concurrency))
                rates[name].append(args.records / wall)
                if name == "two_pool":
                    shares.append({url: s["ok"] for url, s in llm.stats().items()})
        med = {name: statistics.median(r) for name, r in rates.items()}
        for name, r in rates.items():
            shown = " ".join(f"{x:.0f}" for x in r)
            print(f"{name}_rec_s: {med[name]:.0f}  (rounds: {shown})")
        if args.delay_ms:
            print(f"ceiling_one_rec_s: {args.limit / (args.delay_ms / 1000):.0f}")
        print(f"ratio_two_pool_vs_one_direct: {med['two_pool'] / med['one_direct']:.2f}")
        print(f"ratio_one_pool_vs_one_direct: {med['one_pool'] / med['one_direct']:.2f}")
        for n, url in enumerate(urls, 1):
            share = statistics.median(s[url] / args.records for s in shares)
            print(f"endpoint_{n}_share: {share:.3f}")
    finally:
        for proc in procs:
            proc.terminate()


if __name__ == "__main__":
    main()
