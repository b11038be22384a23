"""``lmforge mavenfact train``: fine-tune the encoder classifier on labelled mentions.

Official recipe (DMBERT, README): roberta-large, max_len 160, lr 1e-5, batch 16, 10 epochs,
dropout 0.1, AdamW without a scheduler, cross-entropy. Defaults here are for the embedded
all-MiniLM-L6-v2 on CPU: lr 5e-5 (a 22M-parameter encoder learns slowly at 1e-5), 4 epochs.

Class weighting (``class_weights``): ``balanced`` weights class c by n / (5 * n_c) (sklearn's
"balanced"; a class absent from the training data keeps weight 1), ``sqrt`` by its square root,
``none`` is the official unweighted loss. CT+ is ~88% of MEANTIME, so unweighted training
mostly learns the majority class.

Model selection (a deliberate deviation, spec §5): the official trainers keep the epoch with the
best **test** macro-F1; here the epoch with the best **valid** macro-F1 is kept (``select:
valid``), or the last epoch (``select: last``, also what happens without ``--valid``);
``select: test`` with ``--test`` is the official protocol, kept for reproducing its numbers.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath

from .data import load_mentions
from .encoder import EncoderClassifier, Pooling, resolve_encoder
from .labels import LABEL2ID, LABELS
from .metrics import score_labels

__all__ = ["TrainConfig", "class_weights", "train", "train_classifier"]


class TrainConfig(BaseModel):
    """Fine-tune an encoder classifier on labelled mentions."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    train: JsonlPath
    """Labelled training mentions: a MAVEN-Fact document file or mention-level JSONL."""
    valid: JsonlPath | None = None
    """Labelled validation mentions, scored after each epoch (model selection)."""
    out: Path
    """Folder to write the classifier into (refused if it already holds one)."""
    encoder: str | None = None
    """hf:PATH of a local transformers encoder; default: the embedded all-MiniLM-L6-v2."""
    pooling: Pooling = "dm"
    """dm: dynamic multi-pooling around the trigger (official); marker; cls."""
    epochs: int = Field(4, ge=1)
    """Passes over the training mentions."""
    batch_size: int = Field(16, ge=1)
    """Mentions per optimiser step (official 16)."""
    lr: float = Field(5e-5, gt=0)
    """AdamW learning rate (official 1e-5 for roberta-large)."""
    max_length: int = Field(160, ge=8)
    """Subword tokens per sentence (official 160)."""
    dropout: float = Field(0.1, ge=0, lt=1)
    """Dropout before the head (official 0.1)."""
    class_weights: Literal["balanced", "sqrt", "none"] = "balanced"
    """Loss weight per class: balanced n/(5*n_c), its sqrt, or none (official)."""
    select: Literal["valid", "last", "test"] = "valid"
    """Keep the epoch with the best valid macro-F1, the last one, or (the official protocol,
    which selects on the test set and so overstates it) the best --test macro-F1."""
    test: JsonlPath | None = None
    """Labelled test mentions, only for --select test (the official best-test protocol)."""
    max_steps: int | None = Field(None, ge=1)
    """Stop after this many optimiser steps (smoke tests, timing)."""
    seed: int = 42
    """Seeds the head's initialisation, dropout and the shuffling."""
    threads: int | None = Field(None, ge=1)
    """CPU threads for torch (default: torch's own choice); 1 is fastest on a busy machine."""


def class_weights(labels: list[str], mode: str) -> list[float]:
    """One loss weight per label in :data:`LABELS` order (see the module docstring)."""
    counts = [labels.count(lab) for lab in LABELS]
    weights = [len(labels) / (len(LABELS) * c) if c else 1.0 for c in counts]
    if mode == "sqrt":
        return [w**0.5 for w in weights]
    return weights if mode == "balanced" else [1.0] * len(LABELS)


def _labelled(path: Path) -> list[dict[str, Any]]:
    rows = load_mentions(path)
    unlabelled = [r["id"] for r in rows if r.get("label") is None]
    if unlabelled:
        raise InputError(f"{len(unlabelled)} mention(s) without a label, e.g. "
                         f"{unlabelled[0]}", path=path, field="label")  # fmt: skip
    return rows


def _seed(seed: int) -> None:
    import torch

    random.seed(seed)
    torch.manual_seed(seed)


BUCKET = 8
"""Batches per length bucket: mentions are shuffled, cut into pools of BUCKET batches, sorted
by length inside a pool and batched, and the batches shuffled, so padding stays small."""
PROGRESS_EVERY = 20


def _batches(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    order = list(range(len(rows)))
    random.shuffle(order)
    batches = []
    for start in range(0, len(order), size * BUCKET):
        pool = sorted(order[start : start + size * BUCKET], key=lambda i: len(rows[i]["text"]))
        batches += [[rows[i] for i in pool[k : k + size]] for k in range(0, len(pool), size)]
    random.shuffle(batches)
    return batches


"""Optimiser steps between progress lines on stderr (CPU epochs take minutes)."""


def _epoch(model: EncoderClassifier, rows: list, opt: Any, loss_fn: Any, cfg: TrainConfig,
           steps: int, quiet: bool = True) -> tuple[int, float]:  # fmt: skip
    """One pass in a seeded order; returns (steps so far, mean loss)."""
    import torch

    model.train(True)
    total, n = 0.0, 0
    for batch in _batches(rows, cfg.batch_size):
        if cfg.max_steps is not None and steps >= cfg.max_steps:
            break
        target = torch.tensor([LABEL2ID[r["label"]] for r in batch])
        loss = loss_fn(model.logits([r["text"] for r in batch]), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total, n, steps = total + loss.item(), n + 1, steps + 1
        if not quiet and n % PROGRESS_EVERY == 0:
            print(f"  step {steps}: loss {total / n:.4f}", file=sys.stderr)
    return steps, total / max(n, 1)


def _state(model: EncoderClassifier) -> dict[str, Any]:
    return {
        "encoder": {k: v.detach().clone() for k, v in model.encoder.state_dict().items()},
        "head": {k: v.detach().clone() for k, v in model.head.state_dict().items()},
    }


def train_classifier(
    cfg: TrainConfig, *, quiet: bool = False
) -> tuple[EncoderClassifier, dict[str, Any]]:
    """Train in memory; returns the (selected) classifier and the figures of each epoch."""
    import torch

    if cfg.threads is not None:
        torch.set_num_threads(cfg.threads)
    train_rows = _labelled(cfg.train)
    valid_rows = _labelled(cfg.valid) if cfg.valid is not None else []
    if cfg.select == "test" and cfg.test is None:
        raise InputError("--select test needs --test FILE", field="test")
    test_rows = _labelled(cfg.test) if cfg.select == "test" and cfg.test else []
    _seed(cfg.seed)
    model = EncoderClassifier(resolve_encoder(cfg.encoder), pooling=cfg.pooling,
                              max_length=cfg.max_length, dropout=cfg.dropout)  # fmt: skip
    weights = class_weights([r["label"] for r in train_rows], cfg.class_weights)
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(weights))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    history, best, steps = [], (-1.0, None), 0
    for epoch in range(1, cfg.epochs + 1):
        began, cpu = time.perf_counter(), time.process_time()
        steps, loss = _epoch(model, train_rows, opt, loss_fn, cfg, steps, quiet)
        record: dict[str, Any] = {"epoch": epoch, "loss": round(loss, 4), "steps": steps,
                                  "seconds": round(time.perf_counter() - began, 1),
                                  "cpu_seconds": round(time.process_time() - cpu, 1)}  # fmt: skip
        for name, rows in (("valid", valid_rows), ("test", test_rows)):
            if rows:
                got = model.predict([r["text"] for r in rows])
                f1 = score_labels([r["label"] for r in rows], got)["macro_f1"]
                record[f"{name}_macro_f1"] = round(f1, 4)
        key = f"{cfg.select}_macro_f1"
        if key in record and record[key] > best[0]:
            best = (record[key], _state(model))
        history.append(record)
        if not quiet:
            print(" ".join(f"{k}={v}" for k, v in record.items()), file=sys.stderr)
        if cfg.max_steps is not None and steps >= cfg.max_steps:
            break
    if best[1] is not None:
        model.encoder.load_state_dict(best[1]["encoder"])
        model.head.load_state_dict(best[1]["head"])
    key = f"{cfg.select}_macro_f1"
    chosen = max(history, key=lambda r: r.get(key, -1)) if best[1] is not None else history[-1]
    return model, {"history": history, "selected_epoch": chosen["epoch"], "weights": weights}


def train(cfg: TrainConfig, *, quiet: bool = False) -> dict[str, Any]:
    """Fine-tune, save the classifier folder; returns the epochs' figures and the selection."""
    from .encoder import MANIFEST

    if (Path(cfg.out) / MANIFEST).exists():
        raise InputError("already holds a classifier; choose another folder", path=cfg.out)
    if Path(cfg.out).exists() and not Path(cfg.out).is_dir():
        raise InputError("is not a folder", path=cfg.out, field="out")
    began = time.perf_counter()
    model, figures = train_classifier(cfg, quiet=quiet)
    seconds = round(time.perf_counter() - began, 1)
    info = {"config": cfg.model_dump(mode="json"), **figures, "train_seconds": seconds}
    model.save(cfg.out, info)
    last = figures["history"][-1]
    chosen = figures["history"][figures["selected_epoch"] - 1]
    out = {"classifier": str(cfg.out), "epochs": len(figures["history"]), "steps": last["steps"],
           "train_seconds": seconds, "selected_epoch": figures["selected_epoch"]}  # fmt: skip
    if "valid_macro_f1" in chosen:
        out["valid_macro_f1"] = chosen["valid_macro_f1"]
    return out
