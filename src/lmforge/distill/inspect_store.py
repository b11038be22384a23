"""``lmforge distill inspect STORE``: what a store costs and what it keeps.

Bytes per token count what a student run must read for its teacher signal: kept ids, kept
values and the int64 offsets (one per target position); the token windows themselves are the
corpus, reported apart. The dense reference is one fp32 value per vocabulary entry per token, the
paper's accounting (100B tokens x ~150k vocabulary x fp32 = 58.6 PB, top-0.95-100 = 15 TB).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from .store import LogitStore, value_bytes

__all__ = ["InspectConfig", "PAPER_DENSE_PB", "PAPER_STORE_TB", "inspect", "store_figures"]

PAPER_DENSE_PB = 58.6
"""The paper's full fp32 logits for 100B tokens (GLM-4-9B vocabulary)."""
PAPER_STORE_TB = 15.0
"""The paper's top-0.95-100 store for the same tokens."""
BINS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500)
"""Lower edges of the kept-ids-per-token histogram."""


class InspectConfig(BaseModel):
    """A logit store to describe."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    store: Path
    """Store folder (made by ``lmforge distill extract``)."""


def _histogram(counts: np.ndarray) -> dict[str, int]:
    out: dict[str, int] = {}
    for low, high in zip(BINS, (*BINS[1:], None), strict=True):
        upper = counts >= low if high is None else (counts >= low) & (counts < high)
        n = int(upper.sum())
        if n:
            out[
                f"{low}+"
                if high is None
                else (f"{low}" if high == low + 1 else f"{low}-{high - 1}")
            ] = n
    return out


def store_figures(store: LogitStore) -> dict[str, Any]:
    """Positions, kept ids per token, bytes per token and the ratio to a dense fp32 row."""
    counts = np.concatenate([np.diff(np.asarray(s["offsets"])) for s in store.shards] or [[0]])
    positions = int(sum(len(s["offsets"]) - 1 for s in store.shards))
    kept = int(counts.sum())
    id_bytes = np.dtype(store.manifest["id_dtype"]).itemsize
    signal = kept * (id_bytes + value_bytes(store.value_dtype)) + 8 * (
        positions + len(store.shards)
    )
    per_token = signal / positions if positions else 0.0
    dense = 4 * store.vocab_size
    return {
        "teacher": store.manifest["teacher"],
        "truncation": f"top-{store.manifest['top_p'] or 1}-{store.manifest['top_k']}",
        "complete": store.manifest.get("complete", False),
        "windows": len(store),
        "positions": positions,
        "kept_per_token": round(kept / positions, 2) if positions else 0.0,
        "kept_max": int(counts.max()) if positions else 0,
        "bytes_per_token": round(per_token, 2),
        "token_bytes_per_token": round(4 * store.window / (store.window - 1), 2),
        "dense_fp32_bytes_per_token": dense,
        "ratio_to_dense": round(dense / per_token, 1) if per_token else 0.0,
        "paper_ratio_to_dense": round(PAPER_DENSE_PB * 1000 / PAPER_STORE_TB, 1),
        "at_100B_tokens_TB": round(per_token * 1e11 / 1e12, 2),
        "histogram": _histogram(counts[:positions] if positions else counts[:0]),
    }


def inspect(cfg: InspectConfig) -> dict[str, Any]:
    """Describe a store: bytes/token, ratio to dense fp32, kept-ids-per-token histogram."""
    return store_figures(LogitStore(cfg.store))


def show_inspect(figures: dict[str, Any]) -> list[str]:
    lines = [f"{k}: {v}" for k, v in figures.items() if k != "histogram"]
    lines.append("kept ids per token:")
    total = max(1, figures["positions"])
    for label, n in figures["histogram"].items():
        lines.append(f"  {label:>8}: {n:8d} ({100 * n / total:5.1f}%)")
    return lines
