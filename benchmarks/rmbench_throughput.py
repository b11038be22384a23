"""Samples/s of the RM-Bench classifier scorer: cross-record batches against one response per
forward pass, on the same tiny random reward model and the same samples.

Both sides run the whole `lmforge rmbench run` path (loader records, resumable runner, JSONL
output, metric) into fresh folders; the only difference is the batch size (the baseline's 1 means
one forward pass per response, as a naive loop over responses does). Rounds alternate sides
(ABBA) and the median of the paired ratios counts, because shared CI machines are noisy.

    python benchmarks/rmbench_throughput.py [--data DIR] [--domain chat] [--samples 48]
        [--batch-size 16] [--rounds 2] [--threads N] [--max-length 2048]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def default_data() -> Path:
    shared = Path(os.environ.get("LMFORGE_TEST_DATA", ROOT.parent / "shared" / "data"))
    return shared / "rmbench" if (shared / "rmbench").is_dir() else ROOT / "examples" / "rmbench"


async def timed(scorer, config, folder: Path) -> float:
    from lmforge.rmbench.run import run_rmbench

    start = time.perf_counter()
    result = await run_rmbench(config, out=folder, scorer=scorer, quiet=True, report=False)
    elapsed = time.perf_counter() - start
    return result.samples / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--domain", default="chat")
    parser.add_argument("--samples", type=int, default=48, help="first N samples of the domain")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="ABBA rounds")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--max-length", type=int, default=2048, help="tokens kept (the tiny model caps it at 512)"
    )
    args = parser.parse_args()

    import torch

    from lmforge.rmbench.classifier import ClassifierScorer
    from lmforge.rmbench.run import RMBenchConfig
    from lmforge.training import tiny_sequence_classifier, tiny_tokenizer

    if args.threads:
        torch.set_num_threads(args.threads)
    model, tokenizer = tiny_sequence_classifier(), tiny_tokenizer()
    sides = {
        "batched": ClassifierScorer(
            model, tokenizer, batch_size=args.batch_size, max_length=args.max_length
        ),
        "one_per_forward": ClassifierScorer(
            model, tokenizer, batch_size=1, max_length=args.max_length
        ),
    }
    config = RMBenchConfig(
        scorer="hf-classifier:tiny", data=[args.data], domains=[args.domain], limit=args.samples
    )
    rates: dict[str, list[float]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory() as tmp:
        runs = iter(range(10_000))
        for scorer in sides.values():  # warm-up: first-call costs out of the numbers
            asyncio.run(timed(scorer, config, Path(tmp) / f"warm-{next(runs)}"))
        for round_ in range(args.rounds):
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for name in order + list(reversed(order)):
                folder = Path(tmp) / f"{name}-{next(runs)}"
                rates[name].append(asyncio.run(timed(sides[name], config, folder)))
    pairs = zip(rates["batched"], rates["one_per_forward"], strict=True)
    ratio = statistics.median(b / o for b, o in pairs)
    print(
        f"data: {args.data} ({args.domain}, {args.samples} samples = {6 * args.samples} responses)"
    )
    print(f"model: tiny_sequence_classifier, {sum(p.numel() for p in model.parameters())} params")
    print(f"torch_threads: {torch.get_num_threads()}")
    print(f"batch_size: {args.batch_size}")
    print(f"max_length: {sides['batched'].max_length}")
    print(f"batched_samples_per_s: {statistics.median(rates['batched']):.2f}")
    print(f"one_per_forward_samples_per_s: {statistics.median(rates['one_per_forward']):.2f}")
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
