"""Online logits: record a teacher's top-p-k targets *while it trains*, tagged with its step.

The paper's "online" setting (Table 6) stores the logits a teacher emits during its own
pre-training, so no extra inference pass is needed; early (unconverged) records hurt students,
late ones help a little. :class:`OnlineRecorder` takes the logits of the forward pass the
training loop already made, truncates them like an offline extraction, and writes the same store
format (:mod:`.store`); each shard's manifest entry names the teacher steps it holds
(``teacher_steps: [first, last]``), and ``TrainConfig.teacher_steps`` trains a student on a step
range only (early vs late records).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .store import FORMAT, ShardWriter, id_dtype, write_manifest
from .truncate import kept_counts, top_k_logprobs

__all__ = ["OnlineRecorder"]


class OnlineRecorder:
    """Call :meth:`record` after each teacher forward pass; :meth:`close` at the end."""

    def __init__(
        self,
        folder: str | Path,
        *,
        tokenizer: Any,
        vocab_size: int,
        window: int,
        top_p: float | None = 0.95,
        top_k: int = 50,
        value_dtype: str = "float16",
        steps_per_shard: int = 50,
        spec: str = "online",
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        tokenizer.save_pretrained(self.folder / "tokenizer")
        self.top_p, self.top_k, self.steps_per_shard = top_p, top_k, steps_per_shard
        self.ids_type = id_dtype("auto", vocab_size)
        self.manifest: dict[str, Any] = {
            "format": FORMAT,
            "kind": "online",
            "fingerprint": None,
            "teacher": spec,
            "top_p": top_p,
            "top_k": top_k,
            "window": window,
            "vocab_size": vocab_size,
            "value_dtype": value_dtype,
            "id_dtype": str(self.ids_type),
            "shards": [],
            "complete": False,
        }
        self._writer: ShardWriter | None = None
        self._steps: list[int] = []

    def record(self, step: int, tokens: np.ndarray, logits: Any) -> None:
        """One training batch: tokens [B, L] and the teacher's logits [B, L, V] (detached here)."""
        if self._writer is None:
            index = len(self.manifest["shards"])
            self._writer = ShardWriter(
                self.folder, index, id_type=self.ids_type, value_dtype=self.manifest["value_dtype"]
            )
        values, ids = top_k_logprobs(logits[:, :-1].detach(), self.top_k)
        counts = kept_counts(values, self.top_p, self.top_k).reshape(-1)
        keep = (np.arange(values.shape[-1])[None, :] < counts.numpy()[:, None]).reshape(-1)
        self._writer.add(
            np.asarray(tokens),
            counts.numpy(),
            ids.reshape(-1).numpy()[keep],
            values.reshape(-1).numpy()[keep],
        )
        self._steps.append(step)
        if len(self._steps) >= self.steps_per_shard:
            self.flush()

    def flush(self) -> None:
        """End the current shard now (e.g. at a boundary between step ranges)."""
        if self._writer is None:
            return
        entry = self._writer.close()
        entry["teacher_steps"] = [self._steps[0], self._steps[-1]]
        self.manifest["shards"].append(entry)
        write_manifest(self.folder, self.manifest)
        self._writer, self._steps = None, []

    def close(self) -> Path:
        self.flush()
        self.manifest["complete"] = True
        write_manifest(self.folder, self.manifest)
        return self.folder
