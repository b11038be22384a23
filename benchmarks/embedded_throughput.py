"""Generation tokens/s of get_llm("embedded") against xllamacpp called directly.

Both sides use the same GGUF, the same server settings (context, slots, threads) and the same
prompts, in this process. Each side has its own llama.cpp server so prompt caches are symmetric;
rounds alternate sides (ABBA) and the median of the paired ratios counts.

    python benchmarks/embedded_throughput.py [--model embedded] [--rounds 3] [--max-tokens 64]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time

PROMPTS = [
    "Write a short story about a lighthouse keeper who finds a message in a bottle.",
    "Explain how a bicycle gear system works to a ten-year-old.",
    "Describe a walk through a busy market in the morning.",
    "Write a letter from a cat to its owner about the new dog.",
]


def direct_server(name: str, n_ctx: int, parallel: int, threads: int):
    from lmforge.llm.embedded import import_xllamacpp
    from lmforge.llm.models import gguf_path

    xllamacpp = import_xllamacpp()  # the same OpenMP wait settings as lmforge's own server

    params = xllamacpp.CommonParams()
    params.model.path = str(gguf_path(name))
    params.n_ctx = n_ctx * parallel
    params.n_parallel = parallel
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.verbosity = -1
    params.warmup = False
    return xllamacpp.Server(params)


def body(prompt: str, max_tokens: int) -> dict:
    return {
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "top_p": 1.0,
        "seed": 0,
    }


def run_direct(server, prompts: list[str], max_tokens: int) -> tuple[int, float]:
    """Each prompt on its own thread, all at once: llama.cpp batches them."""
    replies: list[dict] = []

    def one(p: str) -> None:
        replies.append(server.handle_chat_completions(body(p, max_tokens)))

    start = time.perf_counter()
    threads = [threading.Thread(target=one, args=(p,)) for p in prompts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return sum(r["usage"]["completion_tokens"] for r in replies), wall


def run_lmforge(llm, prompts: list[str], max_tokens: int) -> tuple[int, float]:
    from lmforge.llm.types import GenerateConfig, Message, Request

    config = GenerateConfig(max_tokens=max_tokens)
    requests = [Request(messages=[Message(role="user", content=p)], config=config) for p in prompts]
    start = time.perf_counter()
    results = asyncio.run(llm.generate_many(requests, concurrency=len(prompts)))
    wall = time.perf_counter() - start
    return sum(c.usage.completion_tokens for c in results), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--max-tokens", type=int, default=64)
    args = ap.parse_args()

    from lmforge.llm.embedded import EmbeddedLLM, default_threads

    n_ctx, parallel, threads = 2048, 4, default_threads()
    llm = EmbeddedLLM(args.model, n_ctx=n_ctx, parallel=parallel, threads=threads)
    direct = direct_server(args.model, n_ctx, parallel, threads)
    print(
        f"model: {args.model}  threads: {threads}  slots: {parallel}  max_tokens: {args.max_tokens}"
    )
    for label, prompts in (("single", PROMPTS[:1]), ("concurrent4", PROMPTS)):
        run_direct(direct, prompts, 8)  # warm both servers' caches alike
        run_lmforge(llm, prompts, 8)
        ours, base, ratios = [], [], []
        for i in range(args.rounds):
            # ABBA order: the machine's speed drifts, adjacent pairs cancel most of it
            sides = ["direct", "ours"] if i % 2 == 0 else ["ours", "direct"]
            rate = {}
            for side in sides:
                if side == "direct":
                    tokens, wall = run_direct(direct, prompts, args.max_tokens)
                else:
                    tokens, wall = run_lmforge(llm, prompts, args.max_tokens)
                rate[side] = tokens / wall
            base.append(rate["direct"])
            ours.append(rate["ours"])
            ratios.append(rate["ours"] / rate["direct"])
        b, o = statistics.median(base), statistics.median(ours)
        print(f"{label}_xllamacpp_tok_s: {b:.2f}")
        print(f"{label}_lmforge_tok_s: {o:.2f}")
        print(
            f"{label}_ratio: {statistics.median(ratios):.3f}  (median, {args.rounds} paired rounds)"
        )


if __name__ == "__main__":
    main()
