"""Records/s of one stage through the local executor and through Ray Data (``--executor ray``),
in the same command, against a local stub server that answers at once: what Ray costs on one
node, where it buys nothing (one machine, one server) and everything else is equal.

The stub is the runner-ceiling stub (``benchmarks/runner_ceiling.py``: a raw asyncio HTTP/1.1
server in its own process, one fixed finished answer). Both sides are a ``Job`` running the same
one-call stage over the same number of records with the same model spec
(``openai:stub@URL``, the call cache on), the same total concurrency, into a fresh run folder;
each round's prompts are new (``round r, record i``), so every record is a real call and a cache
write on both sides. The Ray side joins a local Ray started once before the rounds (its start
is printed, not counted: a cluster is up before jobs come) and pays what every Ray job pays:
planning and starting the dataset's execution, scheduling the task, shipping the stage, moving
the records and the packed rows through the object store.
Rounds alternate the order of the sides (ABBA); the figures are medians, the overhead the median
of the paired ratios ``local_rate / ray_rate - 1`` (goal: under 15% on one node).

    python benchmarks/scale_runner.py [--records 2000] [--concurrency 64] [--rounds 2]
        [--actors 1] [--stubs 1]

``--stubs 2`` runs both sides against two stubs (``openai:stub@URL1,URL2``, the endpoint pool);
:func:`run_side` returns each run's ``summary.json``, where the per-endpoint spread of a pool run
is reported (``benchmarks/endpoint_spread.py`` measures the spread itself).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runner_ceiling import _serve, _StubProtocol  # noqa: E402  (the stub server)


async def _ask(record: dict, ctx) -> dict:
    completion = await ctx.generate(record["prompt"])
    return {**record, "response": completion.text}


def _serve_late(ready, delay_s: float) -> None:
    """The stub, answering each request ``delay_s`` after it arrived (a model's latency)."""

    class Late(_StubProtocol):
        def __init__(self) -> None:
            self.loop = asyncio.get_running_loop()

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            real = transport.write
            transport.write = lambda data: self.loop.call_later(delay_s, real, data)  # type: ignore[method-assign]

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Late, "127.0.0.1", 0, backlog=4096)
        ready.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def start_stubs(n: int, delay_ms: float = 0) -> tuple[list[str], list[Any]]:
    """``n`` stub servers in their own processes (answering after ``delay_ms``): (base URLs,
    processes)."""
    ctx = multiprocessing.get_context("spawn")
    urls, procs = [], []
    for _ in range(n):
        ours, theirs = ctx.Pipe()
        target, args = (_serve_late, (theirs, delay_ms / 1000)) if delay_ms else (_serve, (theirs,))
        proc = ctx.Process(target=target, args=args, daemon=True)
        proc.start()
        urls.append(f"http://127.0.0.1:{ours.recv()}/v1")
        procs.append(proc)
    return urls, procs


def stub_spec(urls: list[str]) -> str:
    return f"openai:stub@{','.join(urls)}"


def run_side(
    executor: str, spec: str, records: int, concurrency: int, actors: int, tag: str, root: Path
) -> tuple[float, dict[str, Any]]:
    """One job of ``records`` calls on ``executor``: (wall seconds of ``job.run``, summary)."""
    from lmforge.llm.types import GenerateConfig
    from lmforge.pipeline.jobs import Job, JobConfig
    from lmforge.pipeline.runner import Stage

    rows = [
        {"id": str(i), "prompt": f"Say ok to {executor} {tag}, record {i}."} for i in range(records)
    ]
    stage = Stage("ask", _ask, config=GenerateConfig(max_tokens=8))
    config = JobConfig(
        model=spec,
        concurrency=concurrency,
        executor=executor,
        ray_actors=actors if executor == "ray" else None,
    )
    job = Job("scale", config, out=root / f"{executor}-{tag}", quiet=True)
    start = time.perf_counter()
    asyncio.run(job.run([stage], rows, file="records.jsonl"))
    wall = time.perf_counter() - start
    summary = job.finish(rows=None)
    done = summary["stages"][0]
    assert done["done"] == records and done["llm_calls"] == records, done
    assert done["cached_calls"] == 0, "a cached call: the prompts were not new"
    return wall, summary


def ray_floor(records: int, rounds: int) -> float:
    """Median seconds of Ray Data's own floor: the executor's dataset of ``records`` JSON
    items (as many blocks as the executor makes for one worker) through one identity
    ``map_batches`` task, streamed back in order (no stage)."""
    import ray.data

    from lmforge.pipeline.executors import RayExecutor
    from lmforge.pipeline.ray_adapter import records_to_dataset

    RayExecutor().connect()
    batch = RayExecutor().batch_for(records, actors=1, concurrency=64)
    walls = []
    for _ in range(max(1, rounds)):
        start = time.perf_counter()
        items = [{"id": str(i), "prompt": "x"} for i in range(records)]
        mapped = records_to_dataset(items, blocks=math.ceil(records / batch)).map_batches(
            _identity,
            batch_size=batch,
            compute=ray.data.TaskPoolStrategy(size=1),
            batch_format="numpy",
        )
        for _ in mapped.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=0):
            pass
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def _identity(batch: dict) -> dict:
    return batch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--actors", type=int, default=1, help="Ray actors (default 1: one node)")
    ap.add_argument("--stubs", type=int, default=1)
    ap.add_argument("--delay-ms", type=float, default=0, help="the stub's latency per answer")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="scale-runner-"))
    os.environ["LMFORGE_CACHE_PATH"] = str(tmp / "calls.sqlite")  # before Ray: actors inherit
    urls, _ = start_stubs(args.stubs, args.delay_ms)
    spec = stub_spec(urls)
    import ray

    began = time.perf_counter()
    ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
    print(f"records: {args.records}  concurrency: {args.concurrency}  rounds: {args.rounds}")
    print(f"cpus: {os.cpu_count()}  ray_actors: {args.actors}  stubs: {args.stubs}  "
          f"delay_ms: {args.delay_ms:g}")  # fmt: skip
    print(f"load_average_before: {os.getloadavg()[0]:.2f}")
    print(f"ray_start_s: {time.perf_counter() - began:.1f} (not counted)")
    run_side("local", spec, 200, args.concurrency, args.actors, "warm", tmp)  # imports, server
    run_side("ray", spec, 200, args.concurrency, args.actors, "warm", tmp)
    rates: dict[str, list[float]] = {"local": [], "ray": []}
    for r in range(args.rounds):
        order = ["local", "ray"] if r % 2 == 0 else ["ray", "local"]
        for side in order:
            wall, _ = run_side(
                side, spec, args.records, args.concurrency, args.actors, f"round {r}", tmp
            )
            rates[side].append(args.records / wall)
    ratios = [a / b - 1 for a, b in zip(rates["local"], rates["ray"], strict=True)]
    for side, values in rates.items():
        shown = " ".join(f"{x:.0f}" for x in values)
        print(f"{side}_rec_s: {statistics.median(values):.0f}  (rounds: {shown})")
    overhead = statistics.median(ratios)
    print(f"ray_overhead: {overhead:+.1%}  (rounds: {' '.join(f'{x:+.1%}' for x in ratios)})")
    print(f"goal_under_15pct: {'met' if overhead < 0.15 else 'missed'}")
    floor = ray_floor(args.records, args.rounds)
    local_s = args.records / statistics.median(rates["local"])
    print(f"ray_data_floor_s: {floor:.3f}  (an empty map_batches over {args.records} items; "
          f"{floor / local_s:.0%} of a local run's {local_s:.2f} s)")  # fmt: skip
    print(f"load_average_after: {os.getloadavg()[0]:.2f}")
    print(json.dumps({"rates": rates, "overhead": ratios}))
    ray.shutdown()


if __name__ == "__main__":
    main()
