"""Student step time with KD (stored targets loaded, padded, KD loss + LM loss) against LM-only
(the same student, batches and optimizer, alpha = 0) in the same run. Target: ratio <= 1.2.

    python benchmarks/distill_step.py [--vocab-teacher tiny:0] [--steps 20] [--loss kld]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from lmforge.distill import ExtractConfig, ModelSize, TrainConfig, extract
from lmforge.distill.trainer import train_student
from lmforge.pipeline.rundir import RunDir

CORPUS = Path(__file__).resolve().parents[1] / "examples" / "distill" / "lectures.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", default="hf:embedded-tiny")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--loss", default="kld")
    ap.add_argument("--top-k", type=int, default=50)
    ap.add_argument("--hidden", type=int, default=64)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    extract(
        ExtractConfig(
            input=CORPUS,
            store=tmp / "s",
            teacher=args.teacher,
            top_k=args.top_k,
            window=64,
            max_windows=32,
        ),
        quiet=True,
    )
    times: dict[str, list[float]] = {"lm_only": [], "kd": []}
    for round_ in range(args.rounds):  # alternated, best of each: a loaded machine varies a lot
        for name, alpha in (("lm_only", 0.0), ("kd", 0.9)):
            cfg = TrainConfig(
                store=tmp / "s",
                student=ModelSize(hidden=args.hidden, layers=2, heads=4),
                steps=args.steps,
                batch_size=8,
                loss=args.loss,
                alpha={"alpha_max": alpha},
                eval_fraction=0.1,
            )
            _, figures = train_student(cfg, RunDir(tmp / f"{name}-{round_}"))
            times[name].append(figures["step_ms"])
    best = {name: min(values) for name, values in times.items()}
    for name, value in best.items():
        print(f"{name}_step_ms: {value} (all: {times[name]})")
    print(f"ratio_kd_to_lm: {best['kd'] / best['lm_only']:.3f}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
