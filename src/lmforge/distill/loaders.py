"""From stored ragged rows to padded torch tensors, with temperature and re-truncation applied.

Why at load time: the paper sweeps tau, p and k; storing temperature-1 log-probs of the widest
truncation lets every narrower setting be derived without running the teacher again. The
scatter into a padded [B, T, K] tensor is vectorised (no Python loop over positions), so loading
costs little beside a student step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .truncate import kept_counts

__all__ = ["pad_targets"]


def pad_targets(
    batch: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    *,
    tau: float = 1.0,
    p: float | None = None,
    k: int | None = None,
) -> tuple[Any, Any]:
    """(tokens [B, L] int64, :class:`~.store.Targets`) for a list of ``LogitStore.raw`` rows."""
    import torch

    from .store import Targets

    tokens = torch.from_numpy(np.stack([b[0] for b in batch]).astype(np.int64))
    counts = np.concatenate([b[1] for b in batch]).astype(np.int64)
    ids = np.concatenate([b[2] for b in batch])
    vals = np.concatenate([b[3] for b in batch]).astype(np.float32)
    n_rows, t = len(counts), len(batch[0][1])
    width = max(1, int(counts.max()) if n_rows else 1)
    row = np.repeat(np.arange(n_rows), counts)
    slot = np.arange(len(ids)) - np.repeat(np.cumsum(counts) - counts, counts)
    dense_ids = np.zeros((n_rows, width), dtype=np.int64)
    raw = np.full((n_rows, width), -np.inf, dtype=np.float32)
    dense_ids[row, slot], raw[row, slot] = ids, vals
    raw_t = torch.from_numpy(raw)
    if p is not None or k is not None:
        keep = kept_counts(raw_t, p, width if k is None else k)
        cut = torch.arange(width)[None, :] >= keep[:, None]
        raw_t = raw_t.masked_fill(cut | ~torch.isfinite(raw_t), float("-inf"))
        width = max(1, int(keep.max()) if n_rows else 1)
        raw_t, dense_ids = raw_t[:, :width].contiguous(), dense_ids[:, :width]
    finite = torch.isfinite(raw_t)
    mask = finite[:, 0]
    tail = (1.0 - raw_t.double().exp().sum(-1)).clamp(min=0.0).float()
    logq = torch.log_softmax(torch.where(finite, raw_t, torch.full_like(raw_t, -1e30)) / tau, -1)
    logq = logq.masked_fill(~finite, float("-inf"))
    shape = (len(batch), t)
    return tokens, Targets(
        ids=torch.from_numpy(dense_ids).masked_fill(~finite, 0).view(*shape, width),
        logq=logq.view(*shape, width),
        mask=mask.view(shape),
        tail=tail.view(shape),
    )
