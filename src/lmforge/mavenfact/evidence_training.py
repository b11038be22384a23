"""``lmforge mavenfact train-evidence``: fine-tune the evidence (supporting-word) tagger.

Official recipe (``trainSW/``, spec 2.5): a roberta-large token classifier, batch 32, lr 1e-5,
on the evidence subset (CT-/PS+/PS- mentions with evidence in their own sentence), scored with
seqeval's span-level F1. Defaults here are for the embedded all-MiniLM-L6-v2 on CPU: lr 5e-5,
batch 16, 10 epochs (the subset is small: MAVEN-Fact's non-factual mentions are a minority).

Model selection, as for the classifier (a deliberate deviation, spec §5): the epoch with the
best **valid** span F1 is kept (``select: valid``), or the last (``select: last``, also what
happens without ``--valid``).
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

from .data import document_mentions, load_documents
from .encoder import resolve_encoder
from .evidence_model import TAGGER_MANIFEST, EvidenceTagger, Subwords
from .evidence_tags import evidence_subset, span_scores

__all__ = ["TrainEvidenceConfig", "evidence_rows", "train_evidence", "train_tagger"]


class TrainEvidenceConfig(BaseModel):
    """Fine-tune a B/I/O evidence tagger on MAVEN-Fact documents with evidence."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    train: JsonlPath
    """A MAVEN-Fact document file with evidence_word / evidence_offset."""
    valid: JsonlPath | None = None
    """Documents scored after each epoch (span F1; model selection)."""
    out: Path
    """Folder to write the tagger into (refused if it already holds one)."""
    encoder: str | None = None
    """hf:PATH of a local transformers encoder; default: the embedded all-MiniLM-L6-v2."""
    epochs: int = Field(10, ge=1)
    """Passes over the evidence subset."""
    batch_size: int = Field(16, ge=1)
    """Sentences per optimiser step (official 32)."""
    lr: float = Field(5e-5, gt=0)
    """AdamW learning rate (official 1e-5 for roberta-large)."""
    max_length: int = Field(160, ge=8)
    """Subword tokens per sentence."""
    subwords: Subwords = "first"
    """first: only a word's first subword is trained; official: the others are labelled I."""
    select: Literal["valid", "last"] = "valid"
    """Keep the epoch with the best valid span F1, or the last one."""
    max_steps: int | None = Field(None, ge=1)
    """Stop after this many optimiser steps (smoke tests, timing)."""
    seed: int = 42
    """Seeds the head's initialisation, dropout and the shuffling."""
    threads: int | None = Field(None, ge=1)
    """CPU threads for torch (default: torch's own choice)."""


def evidence_rows(path: Path) -> list[dict[str, Any]]:
    """The evidence subset of a document file, with ``gold_tags``; refused when empty."""
    rows = evidence_subset(document_mentions(load_documents(path)))
    if not rows:
        raise InputError("no CT-/PS+/PS- mention with evidence in its own sentence "
                         "(MEANTIME has no evidence annotation)", path=path)  # fmt: skip
    return rows


def _epoch(tagger: EvidenceTagger, rows: list, opt: Any, cfg: TrainEvidenceConfig,
           steps: int) -> tuple[int, float]:  # fmt: skip
    tagger.model.train(True)
    order = list(rows)
    random.shuffle(order)
    total, n = 0.0, 0
    for start in range(0, len(order), cfg.batch_size):
        if cfg.max_steps is not None and steps >= cfg.max_steps:
            break
        loss = tagger.loss(order[start : start + cfg.batch_size])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total, n, steps = total + loss.item(), n + 1, steps + 1
    return steps, total / max(n, 1)


def _snapshot(tagger: EvidenceTagger) -> dict[str, Any]:
    return {k: v.detach().clone() for k, v in tagger.model.state_dict().items()}


def train_tagger(
    cfg: TrainEvidenceConfig, *, quiet: bool = False
) -> tuple[EvidenceTagger, dict[str, Any]]:
    """Train in memory; returns the (selected) tagger and the figures of each epoch."""
    import torch

    if cfg.threads is not None:
        torch.set_num_threads(cfg.threads)
    train_rows = evidence_rows(cfg.train)
    valid_rows = evidence_rows(cfg.valid) if cfg.valid is not None else []
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    tagger = EvidenceTagger(resolve_encoder(cfg.encoder), max_length=cfg.max_length,
                            subwords=cfg.subwords)  # fmt: skip
    opt = torch.optim.AdamW(tagger.parameters(), lr=cfg.lr)
    history: list[dict[str, Any]] = []
    best: tuple[float, Any] = (-1.0, None)
    steps = 0
    for epoch in range(1, cfg.epochs + 1):
        began, cpu = time.perf_counter(), time.process_time()
        steps, loss = _epoch(tagger, train_rows, opt, cfg, steps)
        record: dict[str, Any] = {"epoch": epoch, "loss": round(loss, 4), "steps": steps,
                                  "seconds": round(time.perf_counter() - began, 2),
                                  "cpu_seconds": round(time.process_time() - cpu, 2)}  # fmt: skip
        if valid_rows:
            got = span_scores([r["gold_tags"] for r in valid_rows], tagger.tag(valid_rows))
            record["valid_span_f1"] = round(got["f1"], 4)
            if cfg.select == "valid" and got["f1"] > best[0]:
                best = (got["f1"], _snapshot(tagger))
        history.append(record)
        if not quiet:
            print(" ".join(f"{k}={v}" for k, v in record.items()), file=sys.stderr)
        if cfg.max_steps is not None and steps >= cfg.max_steps:
            break
    chosen = history[-1]
    if best[1] is not None:
        tagger.model.load_state_dict(best[1])
        chosen = max(history, key=lambda r: r.get("valid_span_f1", -1))
    return tagger, {"history": history, "selected_epoch": chosen["epoch"],
                    "train_mentions": len(train_rows)}  # fmt: skip


def train_evidence(cfg: TrainEvidenceConfig, *, quiet: bool = False) -> dict[str, Any]:
    """Fine-tune, save the tagger folder; returns the epochs' figures and the selection."""
    out = Path(cfg.out)
    if (out / TAGGER_MANIFEST).exists():
        raise InputError("already holds an evidence tagger; choose another folder", path=out)
    if out.exists() and not out.is_dir():
        raise InputError("is not a folder", path=out, field="out")
    began = time.perf_counter()
    tagger, figures = train_tagger(cfg, quiet=quiet)
    seconds = round(time.perf_counter() - began, 1)
    tagger.save(out, {"config": cfg.model_dump(mode="json"), **figures,
                      "train_seconds": seconds})  # fmt: skip
    chosen = figures["history"][figures["selected_epoch"] - 1]
    result = {"tagger": str(out), "mentions": figures["train_mentions"],
              "epochs": len(figures["history"]), "steps": figures["history"][-1]["steps"],
              "train_seconds": seconds, "selected_epoch": figures["selected_epoch"]}  # fmt: skip
    if "valid_span_f1" in chosen:
        result["valid_span_f1"] = chosen["valid_span_f1"]
    return result
