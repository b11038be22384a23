"""MAVEN-Fact encoder classifier: mentions/s batched against one at a time in the same run, and
training wall time per epoch.

Both inference passes label the same mentions with the same classifier, so the ratio is what
batching (length-sorted, padded to the longest in the batch) buys over calling the encoder once
per mention. Training time per epoch is measured on the same mentions (``--train-mentions`` of
them, one epoch, batch 16) with a freshly initialised head; it is the figure that decides
whether full training fits the budget (under 15 minutes on 2 cores).

    python benchmarks/mavenfact_inference.py [--data MENTIONS.jsonl] [--classifier DIR]
        [--encoder hf:PATH] [--mentions 200] [--train-mentions 160] [--batch-size 32] [--threads N]

Without ``--classifier`` the encoder (default: the embedded all-MiniLM-L6-v2) gets an untrained
head: speed does not depend on the weights. Without ``--data`` the example documents are used.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from lmforge.mavenfact import EncoderClassifier, TrainConfig, load_classifier, load_mentions
from lmforge.mavenfact.encoder import resolve_encoder
from lmforge.mavenfact.training import train_classifier

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mavenfact" / "docs.jsonl"


def _texts(path: Path, n: int) -> list[str]:
    rows = load_mentions(path)
    texts = [r["text"] for r in rows]
    while len(texts) < n:
        texts += texts
    return texts[:n]


def _rate(model: EncoderClassifier, texts: list[str], batch_size: int) -> float:
    start = time.perf_counter()
    model.predict(texts, batch_size=batch_size)
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=EXAMPLE)
    ap.add_argument("--classifier", type=Path)
    ap.add_argument("--encoder")
    ap.add_argument("--mentions", type=int, default=200)
    ap.add_argument("--train-mentions", type=int, default=160)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.classifier:
        model = load_classifier(args.classifier)
    else:
        model = EncoderClassifier(resolve_encoder(args.encoder))
    texts = _texts(args.data, args.mentions)
    model.predict(texts[:4], batch_size=4)  # warm-up: first-call allocations
    one = _rate(model, texts, 1)
    batched = _rate(model, texts, args.batch_size)
    print(f"mentions: {len(texts)}")
    print(f"one_at_a_time_mentions_per_s: {one:.1f}")
    print(f"batched_mentions_per_s: {batched:.1f}")
    print(f"batch_size: {args.batch_size}")
    print(f"ratio: {batched / one:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        rows = load_mentions(args.data)
        while len(rows) < args.train_mentions:
            rows += rows
        train_file = Path(tmp) / "train.jsonl"
        picked = rows[: args.train_mentions]
        lines = [
            json.dumps({"id": str(i), "text": r["text"], "label": r["label"]})
            for i, r in enumerate(picked)
        ]
        train_file.write_text("\n".join(lines) + "\n")
        cfg = TrainConfig(train=train_file, out=Path(tmp) / "clf", encoder=args.encoder, epochs=1)
        _, figures = train_classifier(cfg, quiet=True)
        seconds = figures["history"][0]["seconds"]
    print(f"train_mentions: {args.train_mentions}")
    print(f"train_seconds_per_epoch: {seconds:.1f}")
    print(f"train_cpu_seconds_per_epoch: {figures['history'][0]['cpu_seconds']:.1f}")
    print(f"train_mentions_per_s: {args.train_mentions / seconds:.1f}")


if __name__ == "__main__":
    main()
