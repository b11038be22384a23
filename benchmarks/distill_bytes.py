"""Bytes per token of the logit store at top-0.95-50 and top-0.95-100 with a real teacher
(SmolLM2-135M, ``hf:embedded-tiny``), against DistillKit's published 114-300 B/token (k=50 with
exact_k=1 "budget" ... k=128 with exact_k=16) and the paper's ~150 B/token (15 TB / 100B tokens).

One top-0.95-100 extraction gives both rows: top-p-then-top-k keeps a prefix of the sorted row,
so k=50 keeps min(count, 50) of the same ids. Bytes: uint16 id + value per kept id + one int64
offset per position; printed for float16/bfloat16 and float32 values.

    python benchmarks/distill_bytes.py [--teacher hf:embedded-tiny] [--windows 24]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np

from lmforge.distill import ExtractConfig, LogitStore, extract

CORPUS = Path(__file__).resolve().parents[1] / "examples" / "distill" / "lectures.jsonl"
DISTILLKIT = (114.0, 300.0)
PAPER = 15e12 / 1e11


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", default="hf:embedded-tiny")
    ap.add_argument("--windows", type=int, default=24)
    ap.add_argument("--window", type=int, default=128)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    cfg = ExtractConfig(
        input=CORPUS,
        store=tmp / "s",
        teacher=args.teacher,
        top_p=0.95,
        top_k=100,
        window=args.window,
        max_windows=args.windows,
    )
    extract(cfg, quiet=True)
    store = LogitStore(cfg.store)
    counts = np.concatenate([np.diff(np.asarray(s["offsets"])) for s in store.shards])
    id_bytes = np.dtype(store.manifest["id_dtype"]).itemsize
    print(f"teacher: {args.teacher} (vocab {store.vocab_size})")
    print(f"positions: {len(counts)}")
    print(f"dense_fp32_bytes_per_token: {4 * store.vocab_size}")
    for k in (50, 100):
        kept = np.minimum(counts, k).mean()
        for name, vb in (("16bit", 2), ("fp32", 4)):
            b = kept * (id_bytes + vb) + 8
            print(
                f"top-0.95-{k} {name}: kept_per_token={kept:.2f} bytes_per_token={b:.1f} "
                f"vs_distillkit_114={b / DISTILLKIT[0]:.2f} "
                f"vs_distillkit_300={b / DISTILLKIT[1]:.2f} "
                f"vs_paper={b / PAPER:.2f}"
            )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
