"""Run under ``torchrun --nproc_per_node N``: train a student data-parallel on a store and save
each rank's final weights (``rank{i}.pt``) so a test can compare them (tests/distill)."""

import sys
from pathlib import Path

import torch

from lmforge.distill.trainer import TrainConfig, _open_run, make_accelerator, train_student


def main(config: str, out: str) -> None:
    torch.set_num_threads(1)
    cfg = TrainConfig.model_validate_json(Path(config).read_text())
    acc = make_accelerator(cfg)
    run = _open_run(acc, Path(out), cfg)
    model, _ = train_student(cfg, run, accelerator=acc)
    torch.save(model.state_dict(), Path(out) / f"rank{acc.process_index}.pt")


if __name__ == "__main__":
    main(*sys.argv[1:])
