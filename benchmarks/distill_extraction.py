"""Logit extraction throughput: target tokens/s of ``lmforge distill extract`` (forward pass,
log-softmax, top-k, top-p cut, shard writes) against the teacher's plain forward pass over the
same windows in the same run. Target: ratio >= 0.9 (truncating and storing costs little beside
the teacher itself).

    python benchmarks/distill_extraction.py [--teacher hf:embedded-tiny] [--windows 32]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from lmforge.distill import ExtractConfig, extract, load_teacher
from lmforge.distill.extraction import tokenize_corpus

CORPUS = Path(__file__).resolve().parents[1] / "examples" / "distill" / "lectures.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", default="hf:embedded-tiny")
    ap.add_argument("--windows", type=int, default=32)
    ap.add_argument("--window", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--top-p", type=float, default=0.95)
    ap.add_argument("--top-k", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    teacher = load_teacher(args.teacher)
    windows = tokenize_corpus(CORPUS, teacher.tokenizer, args.window, args.windows)
    teacher.logits(windows[:1])  # warm-up
    positions = len(windows) * (args.window - 1)
    import lmforge.distill.extraction as ex

    ex.load_teacher_for = lambda _cfg: teacher  # same loaded model, no second load
    plain_rates, extract_rates = [], []
    for _ in range(args.repeats):  # alternated, best of each: a loaded machine varies a lot
        start = time.perf_counter()
        for i in range(0, len(windows), args.batch_size):
            teacher.logits(windows[i : i + args.batch_size])
        plain_rates.append(positions / (time.perf_counter() - start))
        folder = Path(tempfile.mkdtemp()) / "store"
        corpus = folder.parent / "corpus.jsonl"
        corpus.write_text(CORPUS.read_text())
        cfg = ExtractConfig(
            input=corpus,
            store=folder,
            teacher=args.teacher,
            top_p=args.top_p,
            top_k=args.top_k,
            window=args.window,
            batch_size=args.batch_size,
            max_windows=args.windows,
        )
        figures = extract(cfg, quiet=True)
        extract_rates.append(figures["tokens_per_s"])
        shutil.rmtree(folder.parent, ignore_errors=True)
    plain, extracted = max(plain_rates), max(extract_rates)
    print(f"teacher: {args.teacher}")
    print(f"target_positions: {positions}")
    print(f"plain_forward_tokens_per_s: {plain:.1f}")
    print(f"extract_tokens_per_s: {extracted:.1f}")
    print(f"ratio: {extracted / plain:.3f}")
    print(f"bytes_per_token: {figures['bytes_per_token']}")
    print(json.dumps({"kept_per_token": figures["kept_per_token"]}))


if __name__ == "__main__":
    main()
