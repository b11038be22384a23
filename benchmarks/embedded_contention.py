"""Tokens/s of the embedded model alone, and of each of two generations at once in two processes.

Two CPU-bound jobs often share a small machine (a second command, a test run beside a demo). Each
generation runs in its own child process (``LMFORGE_CACHE=0``, the settings lmforge chooses unless
flags say otherwise): the child loads the model, warms it with a short call, says it is ready and
waits; the parent starts the timed generation (one greedy completion, fixed seed) in one child
alone, then in two children at the same moment. Each child times its own generation. A round is
alone then pair; the figures are medians over rounds, each ratio is the pair figure over the
alone figure of the same round (median over rounds). Target: each of the two keeps >= 0.35 of
the alone figure. The load average is printed beside the figures: other work on the machine
distorts both sides.

    python benchmarks/embedded_contention.py [--model embedded-tiny] [--max-tokens 400]
        [--rounds 2] [--threads N] [--spincount N] [--env KEY=VALUE ...]

``--threads N`` and ``--spincount N`` set ``LMFORGE_THREADS`` and ``GOMP_SPINCOUNT`` in the
children (lmforge's defaults: one thread per CPU, 300 spins); ``--spincount 300000`` is what
lmforge did before (libgomp's default: threads spin up to 300,000 times while they wait).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

PROMPT = "Write a long story about a lighthouse keeper who finds a message in a bottle."


def child(model: str, max_tokens: int) -> None:
    """Load, warm up, say ``ready``, wait for a line on stdin, generate once, print the figures."""
    import asyncio

    from lmforge.llm.embedded import EmbeddedLLM, default_threads
    from lmforge.llm.types import GenerateConfig

    llm = EmbeddedLLM(model)
    asyncio.run(llm.generate(PROMPT, GenerateConfig(max_tokens=8, seed=1)))
    print("ready", flush=True)
    sys.stdin.readline()
    start, cpu = time.perf_counter(), time.process_time()
    completion = asyncio.run(llm.generate(PROMPT, GenerateConfig(max_tokens=max_tokens, seed=0)))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    row = {"tokens": completion.usage.completion_tokens, "wall": wall, "cpu": cpu}
    print(json.dumps({**row, "threads": default_threads()}), flush=True)


def run_at_once(n: int, model: str, max_tokens: int, env: dict[str, str]) -> tuple[list, float]:
    """Start ``n`` children, wait until all are loaded and warm, then release them together.

    Returns their figures and the CPUs (in cores) the rest of the machine kept busy meanwhile:
    the machine's busy time over the window less the children's own CPU time."""
    cmd = [sys.executable, __file__, "--child", "--model", model, "--max-tokens", str(max_tokens)]
    procs = [
        subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(n)
    ]
    for proc in procs:
        line = proc.stdout.readline().strip()
        if line != "ready":
            raise SystemExit(f"child failed while loading: {line or proc.wait()}")
    busy0 = cpu_seconds()
    start = time.perf_counter()
    for proc in procs:  # release them as close together as two writes go
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode:
            raise SystemExit(f"child exited with code {proc.returncode}")
        row = json.loads(out.strip().splitlines()[-1])
        row["tok_s"] = row["tokens"] / row["wall"]
        results.append(row)
    busy1 = cpu_seconds()
    others = (busy1 - busy0 - sum(r["cpu"] for r in results)) / (time.perf_counter() - start)
    return results, max(others, 0.0)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine so far (all CPUs, not idle nor iowait): /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="embedded-tiny")
    ap.add_argument("--max-tokens", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, help="LMFORGE_THREADS in the children (0: all cores)")
    ap.add_argument("--spincount", type=int, help="GOMP_SPINCOUNT in the children")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.model, args.max_tokens)
        return

    from lmforge.llm.embedded import SPIN_COUNT

    env = dict(os.environ, LMFORGE_CACHE="0")
    if args.threads is not None:
        env["LMFORGE_THREADS"] = str(args.threads)
    if args.spincount is not None:
        env["GOMP_SPINCOUNT"] = str(args.spincount)
    for item in args.env:
        key, _, value = item.partition("=")
        env[key] = value
    print(
        f"model: {args.model}  max_tokens: {args.max_tokens}  cpus: {len(os.sched_getaffinity(0))}"
        f"  LMFORGE_THREADS={env.get('LMFORGE_THREADS', '-')}"
        f"  GOMP_SPINCOUNT={env.get('GOMP_SPINCOUNT', f'- ({SPIN_COUNT}, lmforge default)')}"
        f"  load average at start: {load()}"
    )
    alone, pair, ratios = [], [], []
    for i in range(args.rounds):
        (one,), others = run_at_once(1, args.model, args.max_tokens, env)
        print(
            f"round {i + 1} alone_tok_s: {one['tok_s']:.2f}  ({one['tokens']} tokens, threads "
            f"{one['threads']}; meanwhile other work used {others:.2f} CPUs, load {load()})"
        )
        two, others = run_at_once(2, args.model, args.max_tokens, env)
        for k, row in enumerate(two):
            ratio = row["tok_s"] / one["tok_s"]
            print(
                f"round {i + 1} pair_{k + 1}_tok_s: {row['tok_s']:.2f}  ratio: {ratio:.3f}  "
                f"({row['tokens']} tokens; other work {others:.2f} CPUs, load {load()})"
            )
            ratios.append(ratio)
        alone.append(one["tok_s"])
        pair.extend(row["tok_s"] for row in two)
    print(f"alone_tok_s: {statistics.median(alone):.2f}  (median, {args.rounds} rounds)")
    print(f"pair_tok_s: {statistics.median(pair):.2f}  (median of {len(pair)} generations)")
    print(
        f"pair_over_alone: median {statistics.median(ratios):.3f}  min {min(ratios):.3f}  "
        f"(target >= 0.35 each)  load average at end: {load()}"
    )


if __name__ == "__main__":
    main()
