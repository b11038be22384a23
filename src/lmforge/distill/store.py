"""The logit store: ragged top-p-k teacher targets in memory-mapped numpy shards.

Layout of a store folder (every array is a plain ``.npy``, opened with ``mmap_mode="r"``)::

    STORE/store.json            manifest: teacher, p, k, dtypes, vocab, window length, shards done
    STORE/tokenizer/            the teacher's tokenizer (students share it)
    STORE/shard-00000/tokens.npy   int32 [W, L]   the token windows the teacher read
    STORE/shard-00000/offsets.npy  int64 [W*(L-1) + 1]  position j's kept ids are ids[o[j]:o[j+1]]
    STORE/shard-00000/ids.npy      uint16 or int32 [N]   kept ids, most likely first
    STORE/shard-00000/values.npy   float16 / bfloat16 (as uint16 bits) / float32 [N]

Position j of a window describes the distribution over token j+1 (the axolotl convention), so a
window of L tokens has L-1 target rows. The stored values are the teacher's log-probabilities at
temperature 1 over its full vocabulary: ``softmax(z_kept / tau)`` equals
``softmax(logprob_kept / tau)`` exactly (a softmax ignores a shared shift), so the paper's
``F(z)`` is unchanged, a server that returns prompt log-probs fills the same store, and the
teacher's tail mass outside the kept ids, ``1 - sum(exp(values))``, needs no extra array.
Temperature and any tighter p or k are applied at load time (:meth:`LogitStore.targets`).

A shard is written into a temp folder and renamed into place, then the manifest (written last,
atomically) lists it; a killed extraction therefore leaves only whole shards behind and resumes
after the last one the manifest names (:mod:`lmforge.distill.extraction`).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lmforge.errors import InputError

__all__ = ["FORMAT", "LogitStore", "Targets", "ShardWriter", "value_bytes", "write_manifest"]

FORMAT = "lmforge-distill-store/1"
VALUE_DTYPES = ("float16", "bfloat16", "float32")
ID_DTYPES = ("auto", "uint16", "int32")


def value_bytes(dtype: str) -> int:
    return 4 if dtype == "float32" else 2


def id_dtype(name: str, vocab_size: int) -> np.dtype:
    """``auto``: uint16 when every id fits (vocab <= 65,536), else int32."""
    if name == "auto":
        name = "uint16" if vocab_size <= 1 << 16 else "int32"
    if name == "uint16" and vocab_size > 1 << 16:
        raise InputError(f"id dtype uint16 cannot hold a vocabulary of {vocab_size}")
    return np.dtype(name)


def encode_values(values: np.ndarray, dtype: str) -> np.ndarray:
    """float32 values -> the stored array; bfloat16 is kept as its upper 16 bits (rounded)."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    if dtype == "bfloat16":
        import torch

        return torch.from_numpy(values).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    return values.astype(dtype)


def decode_values(stored: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "bfloat16":
        bits = np.asarray(stored, dtype=np.uint16).astype(np.uint32) << 16
        return bits.view(np.float32)
    return np.asarray(stored, dtype=np.float32)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    _atomic_write(folder / "store.json", json.dumps(manifest, indent=1, sort_keys=True))


class ShardWriter:
    """Writes one shard's arrays into a temp folder, then renames it to ``shard-NNNNN``."""

    def __init__(self, folder: Path, index: int, *, id_type: np.dtype, value_dtype: str) -> None:
        self.final = folder / f"shard-{index:05d}"
        self.tmp = folder / f".shard-{index:05d}.{os.getpid()}.tmp"
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.id_type, self.value_dtype = id_type, value_dtype
        self.tokens: list[np.ndarray] = []
        self.counts: list[np.ndarray] = []
        self.ids: list[np.ndarray] = []
        self.values: list[np.ndarray] = []

    def add(self, tokens: np.ndarray, counts: np.ndarray, ids: np.ndarray, vals: np.ndarray):
        """One batch: tokens [B, L], counts [B*(L-1)], flat kept ids and values [sum(counts)]."""
        self.tokens.append(tokens.astype(np.int32))
        self.counts.append(counts.astype(np.int64))
        self.ids.append(ids.astype(self.id_type))
        self.values.append(encode_values(vals, self.value_dtype))

    def close(self) -> dict[str, Any]:
        """Write and rename; returns the shard's manifest entry."""
        self.tmp.mkdir(parents=True)
        counts = np.concatenate(self.counts)
        offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        tokens = np.concatenate(self.tokens)
        np.save(self.tmp / "tokens.npy", tokens)
        np.save(self.tmp / "offsets.npy", offsets)
        np.save(self.tmp / "ids.npy", np.concatenate(self.ids))
        np.save(self.tmp / "values.npy", np.concatenate(self.values))
        shutil.rmtree(self.final, ignore_errors=True)  # a shard the manifest never listed
        os.replace(self.tmp, self.final)
        return {"name": self.final.name, "windows": len(tokens), "kept": int(offsets[-1])}


@dataclass
class Targets:
    """A batch of teacher targets, padded to the widest row: ``ids``/``logq`` [B, T, K] (padding
    has id 0 and ``logq = -inf``), ``mask`` [B, T] (False where a window has no target row),
    ``tail`` [B, T] (the teacher's mass outside the kept ids at temperature 1)."""

    ids: Any
    logq: Any
    mask: Any
    tail: Any


class LogitStore:
    """A finished (or partly finished) store, memory-mapped; windows are numbered across shards."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        manifest = self.folder / "store.json"
        if not self.folder.is_dir() or not manifest.is_file():
            raise InputError("not a logit store (no store.json)", path=folder)
        try:
            self.manifest = json.loads(manifest.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"unreadable store manifest ({exc})", path=manifest) from None
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT:
            raise InputError(f"not a {FORMAT} manifest", path=manifest)
        self.value_dtype: str = self.manifest["value_dtype"]
        self.vocab_size: int = self.manifest["vocab_size"]
        self.window: int = self.manifest["window"]
        self._shards = [self._open(entry["name"]) for entry in self.manifest["shards"]]
        self._starts = np.cumsum([0] + [len(s["tokens"]) for s in self._shards])

    def _open(self, name: str) -> dict[str, np.ndarray]:
        shard = self.folder / name
        try:
            return {
                part: np.load(shard / f"{part}.npy", mmap_mode="r")
                for part in ("tokens", "offsets", "ids", "values")
            }
        except (OSError, ValueError) as exc:
            raise InputError(f"broken shard ({exc})", path=shard) from None

    def __len__(self) -> int:
        return int(self._starts[-1])

    @property
    def shards(self) -> list[dict[str, np.ndarray]]:
        return self._shards

    def locate(self, window: int) -> tuple[dict[str, np.ndarray], int]:
        shard = int(np.searchsorted(self._starts, window, side="right") - 1)
        return self._shards[shard], window - int(self._starts[shard])

    def tokens(self, windows: np.ndarray | list[int]) -> np.ndarray:
        return np.stack(
            [np.asarray(self.locate(w)[0]["tokens"][self.locate(w)[1]]) for w in windows]
        )

    def raw(self, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One window: tokens [L], kept counts per target row [L-1], flat kept ids and
        stored temperature-1 log-probs (float32) [sum(counts)]."""
        shard, local = self.locate(window)
        rows = self.window - 1
        offsets = np.asarray(shard["offsets"][local * rows : (local + 1) * rows + 1])
        start, end = int(offsets[0]), int(offsets[-1])
        ids = np.asarray(shard["ids"][start:end]).astype(np.int64)
        vals = decode_values(shard["values"][start:end], self.value_dtype)
        return np.asarray(shard["tokens"][local]), np.diff(offsets), ids, vals

    def rows(self, window: int) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """One window's tokens and, per target position, (kept ids, stored log-probs)."""
        tokens, counts, ids, vals = self.raw(window)
        cuts = np.concatenate([[0], np.cumsum(counts)])
        rows = [
            (ids[cuts[j] : cuts[j + 1]], vals[cuts[j] : cuts[j + 1]]) for j in range(len(counts))
        ]
        return tokens, rows

    def targets(
        self, windows: list[int], *, tau: float = 1.0, p: float | None = None, k: int | None = None
    ) -> tuple[Any, Targets]:
        """Token windows [B, L] (torch int64) and their targets ``F = softmax(kept / tau)``.

        ``p``/``k`` tighter than the extraction's re-truncate the stored rows (the stored ids are
        sorted, and their temperature-1 mass is known), so a k or p sweep needs one extraction.
        """
        from .loaders import pad_targets

        return pad_targets([self.raw(w) for w in windows], tau=tau, p=p, k=k)
