"""``lmforge distill train``: a student trained on a logit store with ``(1 - alpha) LM + alpha KD``.

An ``accelerate.Accelerator`` loop (AdamW, gradient accumulation through
``accelerator.accumulate``, clipping) over a transformers model built from a size config; alpha
and the LR follow :mod:`.schedules` on one set of phase boundaries. Batches are drawn with a
generator seeded by (seed, step), so a run resumed from its checkpoint sees exactly the batches an
uninterrupted run would. Under ``accelerate launch`` / ``torchrun`` with N processes every rank
draws the same global batch and trains on its slice (``windows[rank::N]``); DDP averages the
gradients, so N processes train one model on the batch one process would (same loss, up to the
order of float sums). One process is today's single-process loop, step for step. Only the main
process writes checkpoints, metrics and the run folder's files. The run folder holds
``config.yaml``, ``metrics.jsonl`` (one row per step), ``checkpoint.pt`` (every ``save_every``
steps and at the end), the final ``student/`` (``save_pretrained``, with the store's tokenizer)
and ``summary.json`` (held-out LM loss and perplexity; KL to the teacher on held-out store windows).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .losses import Loss
from .schedules import AlphaSchedule, LRSchedule, Phases
from .student import ModelSize

__all__ = ["TrainConfig", "evaluate", "train"]


class TrainConfig(BaseModel):
    """A student trained on teacher targets from a logit store."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    store: Path
    """Logit store folder (``lmforge distill extract``)."""
    student: ModelSize = ModelSize()
    """Student shape: hidden, layers, heads, seed."""
    steps: int = Field(100, ge=1)
    """Optimizer updates."""
    batch_size: int = Field(16, ge=1)
    """Windows per micro-batch."""
    grad_accum: int = Field(1, ge=1)
    """Micro-batches per update."""
    loss: Loss = "nll"
    """KD loss: nll (soft CE), kld, kld_renorm, mse, reverse_kl or jsd."""
    alpha: AlphaSchedule = AlphaSchedule()
    """The KD share: shape, alpha_max, on (alpha or beta), period."""
    lr: LRSchedule = LRSchedule()
    """Learning rate: shape (cosine, wsd, constant), peak, min_lr_ratio."""
    phases: Phases = Phases()
    """Warmup and decay boundaries shared by the alpha and LR schedules."""
    tau: float = Field(1.0, gt=0)
    """Teacher temperature applied at load time: F = softmax(kept / tau)."""
    top_p: float | None = Field(None, gt=0, le=1)
    """Re-truncate the stored rows to this p at load time (tighter than extraction only)."""
    top_k: int | None = Field(None, ge=1)
    """Re-truncate the stored rows to this k at load time."""
    tail: Literal["renormalize", "bucket"] = "renormalize"
    """Teacher mass outside the kept ids: renormalize (the paper's F) or bucket (one outcome)."""
    student_tau: float = Field(1.0, gt=0)
    """Temperature of the student's softmax inside the KD term."""
    eval_fraction: float = Field(0.05, gt=0, lt=1)
    """Share of the store's windows (the last ones) held out for evaluation."""
    weight_decay: float = Field(0.0, ge=0)
    """AdamW weight decay."""
    seed: int = 0
    """Batch-order seed."""
    save_every: int | None = Field(None, ge=1)
    """Write a checkpoint every N updates (always at the end)."""
    threads: int | None = Field(None, ge=1)
    """torch CPU threads (1 is faster on a shared, loaded machine); default: torch's choice."""
    teacher_steps: tuple[int, int] | None = None
    """Online stores: train only on records of teacher steps first..last (early vs late)."""
    eval_store: Path | None = None
    """Evaluate on the held-out windows of this store instead (e.g. the final teacher's offline
    store when training on online records)."""
    accelerate_config: Path | None = None
    """An accelerate config file: check it and print the ``accelerate launch`` command that
    trains with it (data-parallel: batch_size must divide by its number of processes)."""
    launch: bool = False
    """With ``--accelerate-config``: also run that command here (else it is only printed)."""

    @model_validator(mode="after")
    def _tail_fits_loss(self) -> TrainConfig:
        if self.tail == "bucket" and self.loss not in ("nll", "kld"):
            raise ValueError(f"tail=bucket is defined for nll and kld only, not {self.loss}")
        return self


def _split(n: int, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    held = max(1, int(round(n * fraction)))
    if held >= n:
        from lmforge.errors import InputError

        raise InputError(f"store has {n} windows: too few to train and hold out {fraction:.0%}")
    return np.arange(n - held), np.arange(n - held, n)


_EVAL = TrainConfig.model_construct(tau=1.0, top_p=None, top_k=None)
"""Evaluation reads the stored rows as they are (tau 1, the store's p and k)."""


def _batch(
    store: Any, windows: list[int], cfg: TrainConfig, want_kd: bool, device: Any = None
) -> tuple[Any, Any]:
    """Tokens (and KD targets) of ``windows``, on ``device`` (a no-op on the CPU)."""
    import dataclasses

    import torch

    if not want_kd:
        return torch.from_numpy(store.tokens(windows).astype(np.int64)).to(device), None
    tokens, targets = store.targets(windows, tau=cfg.tau, p=cfg.top_p, k=cfg.top_k)
    moved = {f.name: getattr(targets, f.name).to(device) for f in dataclasses.fields(targets)}
    return tokens.to(device), dataclasses.replace(targets, **moved)


def evaluate(model: Any, store: Any, windows: np.ndarray, cfg: TrainConfig) -> dict[str, float]:
    """Held-out LM loss, perplexity and KL(teacher || student) over ``windows``."""
    import torch

    from .losses import kd_loss, lm_loss

    model.eval()
    device = next(model.parameters()).device
    lm_sum = kl_sum = 0.0
    with torch.no_grad():
        for start in range(0, len(windows), 32):
            part = [int(w) for w in windows[start : start + 32]]
            tokens, targets = _batch(store, part, _EVAL, True, device)
            logits = model(input_ids=tokens).logits
            lm_sum += float(lm_loss(logits, tokens)) * len(part)
            kl_sum += float(kd_loss(logits, targets, "kld")) * len(part)
    model.train()
    lm = lm_sum / len(windows)
    return {"eval_lm_loss": lm, "eval_ppl": math.exp(lm), "eval_kl_teacher": kl_sum / len(windows)}


def _step(
    model, store, cfg, step: int, train_ids: np.ndarray, alpha: float, acc: Any
) -> dict[str, float]:
    """One update's micro-batches; ``acc.backward`` divides each loss by ``grad_accum`` and DDP
    syncs the gradients on the last micro-batch only (``acc.accumulate``)."""
    from .losses import combined_loss, lm_and_kd, lm_loss

    rng = np.random.default_rng([cfg.seed, step])
    lm_total = kd_total = 0.0
    for _ in range(cfg.grad_accum):
        windows = [int(w) for w in rng.choice(train_ids, size=cfg.batch_size)]
        mine = windows[acc.process_index :: acc.num_processes]  # every rank drew the same batch
        with acc.accumulate(model):
            tokens, targets = _batch(store, mine, cfg, alpha > 0, acc.device)
            logits = model(input_ids=tokens).logits
            if targets is None:
                lm = lm_loss(logits, tokens)
                kd = lm.new_zeros(())
            else:
                lm, kd = lm_and_kd(
                    logits, tokens, targets, cfg.loss, tail=cfg.tail, student_tau=cfg.student_tau
                )
            acc.backward(combined_loss(lm, kd, alpha))
        lm_total += float(lm.detach()) / cfg.grad_accum
        kd_total += float(kd.detach()) / cfg.grad_accum
    if acc.num_processes > 1:  # the logged losses are the global batch's
        lm_total, kd_total = acc.reduce(lm.new_tensor([lm_total, kd_total]), "mean").tolist()
    return {"lm": lm_total, "kd": kd_total}


def make_accelerator(cfg: TrainConfig) -> Any:
    """The loop's Accelerator: CPU unless CUDA is there (gloo across CPU processes under
    ``torchrun``); refuses a batch that does not split evenly over the processes."""
    import torch
    from accelerate import Accelerator

    from lmforge.errors import ConfigError

    acc = Accelerator(gradient_accumulation_steps=cfg.grad_accum, cpu=not torch.cuda.is_available())
    if cfg.batch_size % acc.num_processes:
        raise ConfigError(
            f"batch_size {cfg.batch_size} does not divide by {acc.num_processes} processes"
        )
    return acc


def _save(path: Path, model: Any, optim: Any, step: int) -> None:
    import torch

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save({"model": model.state_dict(), "optim": optim.state_dict(), "step": step}, tmp)
    os.replace(tmp, path)


def _resume(path: Path, model: Any, optim: Any) -> int:
    import torch

    if not path.is_file():
        return 0
    state = torch.load(path, weights_only=True)
    model.load_state_dict(state["model"])
    optim.load_state_dict(state["optim"])
    return int(state["step"])


def _windows_of_steps(store: Any, steps: tuple[int, int]) -> np.ndarray:
    """Windows of the shards whose teacher steps lie within ``steps`` (an online store)."""
    from lmforge.errors import InputError

    picked, start = [], 0
    for entry in store.manifest["shards"]:
        first, last = entry.get("teacher_steps", (None, None))
        if first is not None and steps[0] <= first and last <= steps[1]:
            picked.append(np.arange(start, start + entry["windows"]))
        start += entry["windows"]
    if not picked:
        raise InputError(
            f"no online records of teacher steps {steps[0]}..{steps[1]}", path=store.folder
        )
    return np.concatenate(picked)


def _keep_metrics_before(path: Path, step: int) -> None:
    """On resume, drop metric rows a killed run logged after its last checkpoint (they are
    redone), so every step appears once."""
    if not path.is_file():
        return
    rows = [line for line in path.read_text().splitlines() if line.strip()]
    kept = [line for line in rows if json.loads(line)["step"] < step]
    if len(kept) != len(rows):
        path.write_text("".join(line + "\n" for line in kept))


def train_student(
    cfg: TrainConfig, run: Any, *, quiet: bool = True, accelerator: Any = None
) -> tuple[Any, dict]:
    """The loop behind :func:`train`, into an open :class:`~lmforge.pipeline.rundir.RunDir`.
    Returns the (unwrapped) model and its figures; held-out figures on the main process only."""
    import torch

    from .schedules import alpha_at, lr_at
    from .store import LogitStore
    from .student import build_model, parameter_count

    store = LogitStore(cfg.store)
    train_ids, eval_ids = _split(len(store), cfg.eval_fraction)
    eval_on = store
    if cfg.eval_store is not None:
        eval_on = LogitStore(cfg.eval_store)
        train_ids = np.arange(len(store))
        eval_ids = _split(len(eval_on), cfg.eval_fraction)[1]
    if cfg.teacher_steps is not None:
        train_ids = _windows_of_steps(store, cfg.teacher_steps)
    acc = accelerator or make_accelerator(cfg)
    model = build_model(cfg.student, store.vocab_size, max(store.window, 64)).train()
    optim = torch.optim.AdamW(model.parameters(), lr=cfg.lr.peak, weight_decay=cfg.weight_decay)
    checkpoint, main = run / "checkpoint.pt", acc.is_main_process
    first = _resume(checkpoint, model, optim)  # every rank, before DDP wraps the model
    model, optim = acc.prepare(model, optim)
    if main:
        _keep_metrics_before(run / "metrics.jsonl", first)
    began = time.perf_counter()
    with open(run / "metrics.jsonl", "a") if main else contextlib.nullcontext() as log:
        for step in range(first, cfg.steps):
            alpha = alpha_at(step, cfg.steps, cfg.alpha, cfg.phases)
            lr = lr_at(step, cfg.steps, cfg.lr, cfg.phases)
            for group in optim.param_groups:
                group["lr"] = lr
            row = _step(model, store, cfg, step, train_ids, alpha, acc)
            acc.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            optim.zero_grad(set_to_none=True)
            if log is not None:
                log.write(json.dumps({"step": step, "alpha": alpha, "lr": lr, **row}) + "\n")
            if cfg.save_every and (step + 1) % cfg.save_every == 0:
                _checkpoint(acc, log, checkpoint, model, optim, step + 1)
            if main and not quiet and (step + 1) % max(1, cfg.steps // 10) == 0:
                print(f"step {step + 1}/{cfg.steps} lm={row['lm']:.3f}", file=sys.stderr)
    seconds = time.perf_counter() - began
    _checkpoint(acc, None, checkpoint, model, optim, cfg.steps)
    model = acc.unwrap_model(model)
    figures = {
        "steps": cfg.steps,
        "resumed_at": first,
        "parameters": parameter_count(model),
        "processes": acc.num_processes,
        "seconds": round(seconds, 2),
        "step_ms": round(1000 * seconds / max(1, cfg.steps - first), 1),
    }
    if main:
        model_eval = evaluate(model, eval_on, eval_ids, cfg)
        figures.update({k: round(v, 4) for k, v in model_eval.items()})
    return model, figures


def _checkpoint(acc: Any, log: Any, path: Path, model: Any, optim: Any, step: int) -> None:
    """The main process saves (metrics flushed first); the others wait until it has."""
    if acc.is_main_process:
        if log is not None:
            log.flush()
        _save(path, acc.unwrap_model(model), optim, step)
    acc.wait_for_everyone()


def train(cfg: TrainConfig, *, out: Path | None = None, quiet: bool = False) -> dict[str, Any]:
    """Train a student on a store; prints held-out perplexity and KL to the teacher."""
    from transformers import AutoTokenizer

    from .store import LogitStore

    _split(len(LogitStore(cfg.store)), cfg.eval_fraction)  # a bad store: one line, no folder
    if cfg.accelerate_config is not None:  # the launch command (lmforge.training.launch)
        return _launch(cfg, out)
    if cfg.threads:
        import torch

        torch.set_num_threads(cfg.threads)
    acc = make_accelerator(cfg)
    run = _open_run(acc, out, cfg)
    model, figures = train_student(cfg, run, quiet=quiet, accelerator=acc)
    if not acc.is_main_process:
        return {"run": str(run.path), "process": acc.process_index}
    model.save_pretrained(run / "student")
    AutoTokenizer.from_pretrained(cfg.store / "tokenizer").save_pretrained(run / "student")
    run.write_summary(dict(figures))
    return {"run": str(run.path), **figures}


def _open_run(acc: Any, out: Path | None, cfg: TrainConfig) -> Any:
    """The run folder: the main process opens (or makes) it and writes the config first; with
    several processes every one must be told the same folder (``--out``)."""
    from lmforge.errors import InputError
    from lmforge.pipeline.rundir import RunDir

    if acc.num_processes > 1 and out is None:
        raise InputError(f"{acc.num_processes} processes need one run folder: pass --out")
    run = None
    if acc.is_main_process:
        run = RunDir.open(out, "distill-train")
        run.write_config(cfg)
    acc.wait_for_everyone()
    return run if run is not None else RunDir(Path(out))


def _launch(cfg: TrainConfig, out: Path | None) -> dict[str, Any]:
    """``--accelerate-config``: the checked ``accelerate launch`` command (and, with
    ``--launch``, its run)."""
    from lmforge.errors import ConfigError
    from lmforge.training.launch import check_accelerate_config, launch_lines, plan_launch

    processes = int(check_accelerate_config(Path(cfg.accelerate_config)).num_processes or 1)
    if cfg.batch_size % processes:
        raise ConfigError(f"batch_size {cfg.batch_size} does not divide by {processes} processes")
    folder = Path(out) if out else Path("runs/distill-train-launch")
    plan = plan_launch(
        cfg, ("distill", "train"), folder / "launch-recipe.yaml", extra=("--out", str(folder))
    )
    lines = launch_lines(plan, launch=cfg.launch)
    return dict(line.split(": ", 1) for line in lines if ": " in line)
