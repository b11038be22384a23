"""Records/s of the lmforge runner pushing short requests through openai_compat to a local
OpenAI-compatible server, against a bare asyncio+httpx loop at the same concurrency, and against
a sequential loop (what the papers' scripts do).

The server is `lmforge serve-model` on 127.0.0.1. All runs send the same bodies; a warm-up pass
first fills the server's prompt cache for every side alike; rounds alternate sides (ABBA)
and the median of the paired ratios counts.

    python benchmarks/runner_overhead.py [--model embedded-tiny] [--records 200] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from lmforge.llm.serve import spawned_server


def bodies(n: int, model: str, max_tokens: int) -> list[dict]:
    return [
        {
            "model": model,
            "messages": [
                {"role": "user", "content": f"Give one word that rhymes with number {i}."}
            ],
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "top_p": 1.0,
            "seed": 0,
        }
        for i in range(n)
    ]


async def bare_loop(url: str, reqs: list[dict], concurrency: int) -> float:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=600) as client:

        async def one(body: dict) -> None:
            async with limit:
                r = await client.post(f"{url}/chat/completions", json=body)
                r.raise_for_status()
                r.json()["choices"][0]["message"]["content"]

        start = time.perf_counter()
        await asyncio.gather(*(one(b) for b in reqs))
        return time.perf_counter() - start


def sequential_loop(url: str, reqs: list[dict]) -> float:
    with httpx.Client(timeout=600) as client:
        start = time.perf_counter()
        for body in reqs:
            r = client.post(f"{url}/chat/completions", json=body)
            r.raise_for_status()
            r.json()["choices"][0]["message"]["content"]
        return time.perf_counter() - start


async def runner_loop(url: str, model: str, reqs: list[dict], concurrency: int, max_tokens: int):
    from lmforge.llm.openai_compat import OpenAICompatLLM
    from lmforge.pipeline.runner import Stage, run_stage

    llm = OpenAICompatLLM(model, url, api_key="")

    async def ask(record: dict, ctx) -> dict:
        completion = await ctx.generate(record["prompt"])
        return {**record, "response": completion.text}

    from lmforge.llm.types import GenerateConfig

    stage = Stage("ask", ask, config=GenerateConfig(max_tokens=max_tokens))
    records = [{"id": str(i), "prompt": b["messages"][0]["content"]} for i, b in enumerate(reqs)]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = await run_stage(
            stage, records, Path(tmp) / "out.jsonl", llm=llm, concurrency=concurrency, quiet=True
        )
        wall = time.perf_counter() - start
    await llm.aclose()
    assert summary.done == len(reqs), summary
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="embedded-tiny")
    ap.add_argument("--records", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--max-tokens", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()

    with spawned_server(args.model, parallel=args.concurrency, n_ctx=1024) as url:
        reqs = bodies(args.records, args.model, args.max_tokens)
        asyncio.run(bare_loop(url, reqs, args.concurrency))  # warm-up: fill the prompt cache
        bare, ours, ratios = [], [], []
        for i in range(args.rounds):
            # ABBA order: adjacent pairs cancel the machine's drift
            order = ["bare", "ours"] if i % 2 == 0 else ["ours", "bare"]
            rate = {}
            for side in order:
                if side == "bare":
                    wall = asyncio.run(bare_loop(url, reqs, args.concurrency))
                else:
                    wall = asyncio.run(
                        runner_loop(url, args.model, reqs, args.concurrency, args.max_tokens)
                    )
                rate[side] = args.records / wall
            bare.append(rate["bare"])
            ours.append(rate["ours"])
            ratios.append(rate["ours"] / rate["bare"])
        seq = args.records / sequential_loop(url, reqs)
    b, o = statistics.median(bare), statistics.median(ours)
    print(
        f"model: {args.model}  records: {args.records}  concurrency: {args.concurrency}  "
        f"max_tokens: {args.max_tokens}"
    )
    print(f"bare_asyncio_httpx_rec_s: {b:.2f}")
    print(f"lmforge_runner_rec_s: {o:.2f}")
    print(f"sequential_loop_rec_s: {seq:.2f}")
    print(f"runner_vs_bare_ratio: {statistics.median(ratios):.3f}  (median of paired rounds)")
    print(f"runner_vs_sequential_ratio: {o / seq:.3f}")


if __name__ == "__main__":
    main()
