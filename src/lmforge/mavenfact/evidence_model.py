"""The trained evidence tagger: a transformers encoder with a B/I/O head over each word.

The official supporting-word model (``trainSW/``, spec 2.5) is a token classifier over the
mention's sentence (roberta-large there; here the embedded all-MiniLM-L6-v2 by default, any
local ``hf:PATH``). Its input is the sentence's words with the trigger wrapped in tags of the
mention's factuality label (``<PS+> begin </PS+>``), the ten tags added to the tokenizer as
special tokens, so the model knows which event and which label the cues must explain. Tags are
O=0, B=1, I=2 (:func:`~lmforge.mavenfact.evidence_tags.bio_tags`).

Subwords (``subwords=``): a word split into several subwords is tagged on its first one, and a
word's tag is read from its first subword when predicting. ``first`` (default) leaves the other
subwords out of the loss (the usual token-classification recipe); ``official`` labels every
continuation subword I, as the spec describes the official preprocessing (it teaches the head
a pattern it is never asked for; kept to reproduce that setup). The tag words themselves are
never scored.

A trained tagger is a folder: ``mavenfact_evidence_tagger.json`` (subwords, max length,
training figures) and ``model/`` (``save_pretrained`` of the model and its tokenizer), loaded by
:func:`load_tagger`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from lmforge.errors import InputError

from .labels import LABELS

__all__ = [
    "TAGGER_MANIFEST",
    "TAGS",
    "EvidenceTagger",
    "Subwords",
    "check_tagger_dir",
    "is_tagger_dir",
    "load_tagger",
    "tagger_words",
]

TAGGER_MANIFEST = "mavenfact_evidence_tagger.json"
TAGS = ("O", "B", "I")
LABEL_TAGS = tuple(t for label in LABELS for t in (f"<{label}>", f"</{label}>"))
IGNORE = -100
Subwords = Literal["first", "official"]


def tagger_words(tokens: Sequence[str], offset: Sequence[int], label: str) -> list[str]:
    """The model's input words: the sentence with the trigger wrapped in ``<LABEL>`` tags."""
    start, end = offset
    return [*tokens[:start], f"<{label}>", *tokens[start:end], f"</{label}>", *tokens[end:]]


def _word_index(offset: Sequence[int], size: int) -> list[int | None]:
    """For each input word, its token position in the sentence (None for the two tags)."""
    start, end = offset
    return [*range(start), None, *range(start, end), None, *range(end, size)]


def is_tagger_dir(path: str | Path) -> bool:
    return (Path(path) / TAGGER_MANIFEST).is_file()


def check_tagger_dir(path: str | Path) -> Path:
    """``path`` as a tagger folder, or an InputError saying what it is not."""
    path = Path(path)
    if not is_tagger_dir(path):
        raise InputError(
            f"not an evidence tagger folder (no {TAGGER_MANIFEST}; expected a folder from "
            "`mavenfact train-evidence`, cues or llm:SPEC)",
            path=path,
            field="tagger",
        )
    return path


class EvidenceTagger:
    """Token-classification model + tokenizer; ``tag`` gives B/I/O per sentence token."""

    def __init__(self, path: str | Path, *, max_length: int = 160,
                 subwords: Subwords = "first") -> None:  # fmt: skip
        from transformers import AutoModelForTokenClassification, AutoTokenizer
        from transformers.utils import logging

        self.max_length, self.subwords = max_length, subwords
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        if not getattr(self.tokenizer, "is_fast", False):
            raise InputError("the tagger needs a fast tokenizer (word ids)", path=path)
        added = self.tokenizer.add_special_tokens({"additional_special_tokens": list(LABEL_TAGS)})
        level = logging.get_verbosity()
        logging.set_verbosity_error()  # a fresh head and new tag rows are the point here
        try:
            self.model = AutoModelForTokenClassification.from_pretrained(
                str(path), num_labels=len(TAGS), id2label=dict(enumerate(TAGS)),
                label2id={t: i for i, t in enumerate(TAGS)}, local_files_only=True,
            )  # fmt: skip
            if added:
                self.model.resize_token_embeddings(len(self.tokenizer))
        finally:
            logging.set_verbosity(level)

    def parameters(self) -> Any:
        return self.model.parameters()

    def encode(self, rows: Sequence[dict[str, Any]], *, with_labels: bool = False) -> Any:
        """The batch of ``rows`` (``tokens``, ``offset``, ``label``; ``gold_tags`` for
        ``with_labels``), and the word behind each subword."""
        torch = _torch()
        words = [tagger_words(r["tokens"], r["offset"], r["label"]) for r in rows]
        batch = self.tokenizer(words, is_split_into_words=True, truncation=True, padding=True,
                               max_length=self.max_length, return_tensors="pt")  # fmt: skip
        if with_labels:
            batch["labels"] = torch.tensor([self._labels(batch.word_ids(i), r)
                                            for i, r in enumerate(rows)])  # fmt: skip
        return batch

    def _labels(self, word_ids: list[int | None], row: dict[str, Any]) -> list[int]:
        where = _word_index(row["offset"], len(row["tokens"]))
        out, previous = [], None
        for wid in word_ids:
            pos = where[wid] if wid is not None else None
            if pos is None:
                out.append(IGNORE)
            elif wid != previous:
                out.append(TAGS.index(row["gold_tags"][pos]))
            else:
                out.append(TAGS.index("I") if self.subwords == "official" else IGNORE)
            previous = wid
        return out

    def loss(self, rows: Sequence[dict[str, Any]]) -> Any:
        return self.model(**self.encode(rows, with_labels=True)).loss

    def tag(self, rows: Sequence[dict[str, Any]], *, batch_size: int = 32) -> list[list[str]]:
        """B/I/O per sentence token of each row; a token cut off by ``max_length`` is O."""
        torch = _torch()
        self.model.train(False)
        out: list[list[str]] = []
        with torch.no_grad():
            for start in range(0, len(rows), batch_size):
                chunk = rows[start : start + batch_size]
                batch = self.encode(chunk)
                best = self.model(**batch).logits.argmax(-1).tolist()
                out += [self._word_tags(batch.word_ids(i), best[i], r)
                        for i, r in enumerate(chunk)]  # fmt: skip
        return out

    def _word_tags(self, word_ids: list[int | None], best: list[int], row: dict) -> list[str]:
        where = _word_index(row["offset"], len(row["tokens"]))
        tags = ["O"] * len(row["tokens"])
        seen: set[int] = set()
        for wid, k in zip(word_ids, best, strict=True):
            if wid is None or wid in seen or where[wid] is None:
                continue
            seen.add(wid)
            tags[where[wid]] = TAGS[k]
        return tags

    def save(self, folder: str | Path, info: dict[str, Any]) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(folder / "model")
        self.tokenizer.save_pretrained(folder / "model")
        manifest = {"tags": list(TAGS), "max_length": self.max_length,
                    "subwords": self.subwords, **info}  # fmt: skip
        (folder / TAGGER_MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", "utf-8")
        return folder


def _torch() -> Any:
    import torch

    return torch


def load_tagger(folder: str | Path) -> EvidenceTagger:
    """A tagger folder written by :meth:`EvidenceTagger.save` (``mavenfact train-evidence``)."""
    from lmforge.inputs import read_json

    folder = check_tagger_dir(folder)
    manifest = read_json(folder / TAGGER_MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("tags") != list(TAGS):
        raise InputError("tagger manifest without the O/B/I tags", path=folder / TAGGER_MANIFEST)
    tagger = EvidenceTagger(folder / "model", max_length=int(manifest.get("max_length", 160)),
                            subwords=manifest.get("subwords", "first"))  # fmt: skip
    tagger.model.train(False)
    return tagger
