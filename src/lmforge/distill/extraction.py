"""``lmforge distill extract``: run a teacher over a tokenised corpus into a logit store.

The corpus (JSONL rows with ``text``, TRL's language-modelling format) is tokenised with the
teacher's tokenizer, each text followed by EOS, concatenated and cut into windows of ``window``
tokens (the remainder is dropped). Windows go through the teacher in batches; each position keeps
its top-p-then-top-k ids and temperature-1 log-probs (:mod:`.truncate`), and every
``windows_per_shard`` windows become one shard (:mod:`.store`). Memory holds one shard at a time.

Resumable: the manifest lists finished shards and a fingerprint of everything that decides
their bytes (corpus bytes, teacher, p, k, window, dtypes, shard size; a server teacher counts by
its model name and tokenizer, not its URLs). Rerunning the same command
on the same folder skips the listed shards and continues; the result is byte-identical to an
uninterrupted run because a shard's batches never depend on what ran before it. A folder made
with other settings is refused rather than mixed.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, create_model

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath, check_file

from .store import FORMAT, ShardWriter, id_dtype, write_manifest

__all__ = ["ExtractConfig", "TextRow", "extract", "tokenize_corpus"]


class TextRow(BaseModel):
    model_config = ConfigDict(extra="allow")
    text: str


def row_schema(field: str) -> type[BaseModel]:
    """The row schema for a corpus whose text is under ``field`` (LecEval: ``transcript``)."""
    if field == "text":
        return TextRow
    return create_model("CorpusRow", __config__=ConfigDict(extra="allow"), **{field: (str, ...)})


class ExtractConfig(BaseModel):
    """Teacher logits over a corpus, kept top-p-then-top-k, into a sharded store."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    input: JsonlPath
    """Corpus: JSONL rows with a ``text`` field (see text_field)."""
    text_field: str = "text"
    """The row field that holds the text."""
    store: Path
    """Store folder to write (rerun with the same folder to resume a killed extraction)."""
    teacher: str = "tiny:0"
    """Teacher: hf:PATH (a transformers folder, or hf:embedded-tiny), openai:NAME@URL[,URL...]
    #tokenizer=PATH (a server's prompt log-probs, e.g. vLLM; docs/endpoints.md) or tiny:SEED."""
    top_p: float | None = Field(0.95, gt=0, le=1)
    """Mass to reach before the k cap (the paper's top-p stage); 1 or null: top-k only."""
    top_k: int = Field(100, ge=1)
    """At most this many ids kept per position (the paper's best: 50; vanilla: 100)."""
    window: int = Field(64, ge=2)
    """Tokens per window (the teacher's context); a window gives window-1 target rows."""
    batch_size: int = Field(8, ge=1)
    """Windows per teacher forward pass."""
    windows_per_shard: int = Field(256, ge=1)
    """Windows per shard: the unit of resume (a kill loses at most one shard's work)."""
    value_dtype: Literal["float16", "bfloat16", "float32"] = "float16"
    """How the kept log-probs are stored (bfloat16 is kept as its 16 bits)."""
    id_dtype: Literal["auto", "uint16", "int32"] = "auto"
    """How the kept ids are stored; auto: uint16 when the vocabulary fits."""
    max_windows: int | None = Field(None, ge=1)
    """Only the first N windows of the corpus."""


def teacher_identity(spec: str, teacher: Any) -> str:
    """What decides a teacher's outputs, for the fingerprint. An ``openai:`` teacher is its
    model name, vocabulary size and a digest of its tokenizer's vocabulary, not its server URLs
    or request limit, so the same model behind another list of servers resumes the same store.
    Other teachers are their spec (``hf:PATH``, ``tiny:SEED``), as before."""
    if not spec.startswith("openai:"):
        return spec
    import json

    from lmforge.llm.registry import parse_openai_spec

    from .http_teacher import split_spec

    name = parse_openai_spec(split_spec(spec)[0]).name
    vocab = json.dumps(sorted(teacher.tokenizer.get_vocab().items()), ensure_ascii=False)
    digest = hashlib.sha256(vocab.encode()).hexdigest()[:16]
    return f"openai:{name}#vocab={teacher.vocab_size},tokenizer={digest}"


def _fingerprint(cfg: ExtractConfig, teacher: Any) -> str:
    digest = hashlib.sha256()
    with open(cfg.input, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    keys = cfg.model_dump(mode="json", exclude={"store", "input"})
    keys["text_field"] = cfg.text_field
    keys["teacher"] = teacher_identity(cfg.teacher, teacher)
    digest.update(repr(sorted(keys.items())).encode())
    return digest.hexdigest()[:20]


def tokenize_corpus(
    path: Path, tokenizer: Any, window: int, limit: int | None, field: str = "text"
) -> np.ndarray:
    """Windows [W, window] of the concatenated, EOS-separated texts of a checked JSONL file."""
    from lmforge.pipeline.records import check_row, iter_jsonl

    eos = tokenizer.eos_token_id
    schema = row_schema(field)
    ids: list[int] = []
    for line, row in iter_jsonl(path):
        text = getattr(check_row(schema, row, path=path, line=line), field)
        ids += tokenizer(text, add_special_tokens=False)["input_ids"]
        if eos is not None:
            ids.append(eos)
        if limit is not None and len(ids) >= limit * window:
            break
    count = len(ids) // window
    if limit is not None:
        count = min(count, limit)
    if count == 0:
        raise InputError(f"corpus has fewer than {window} tokens (one window)", path=path)
    return np.asarray(ids[: count * window], dtype=np.int32).reshape(count, window)


def _check_inputs(cfg: ExtractConfig) -> None:
    """Everything a user handed in, before a model is loaded or a folder made."""
    from lmforge.pipeline.records import check_rows

    check_file(cfg.input, what="corpus")
    check_rows(cfg.input, row_schema(cfg.text_field))
    if cfg.store.exists() and not cfg.store.is_dir():
        raise InputError("store path exists and is not a folder", path=cfg.store)


def _start(cfg: ExtractConfig, teacher: Any, windows: np.ndarray, key: str) -> dict[str, Any]:
    """The manifest to continue from: the folder's own when it matches, else a fresh one."""
    import json

    manifest_path = cfg.store / "store.json"
    if manifest_path.is_file():
        old = json.loads(manifest_path.read_text())
        if old.get("fingerprint") != key:
            raise InputError(
                "store was made from another corpus or with other settings; use a new folder",
                path=cfg.store,
            )
        return old
    cfg.store.mkdir(parents=True, exist_ok=True)
    teacher.tokenizer.save_pretrained(cfg.store / "tokenizer")
    manifest = {
        "format": FORMAT,
        "fingerprint": key,
        "teacher": teacher.spec,
        "top_p": cfg.top_p,
        "top_k": cfg.top_k,
        "window": cfg.window,
        "vocab_size": teacher.vocab_size,
        "value_dtype": cfg.value_dtype,
        "id_dtype": str(id_dtype(cfg.id_dtype, teacher.vocab_size)),
        "windows_total": int(len(windows)),
        "windows_per_shard": cfg.windows_per_shard,
        "shards": [],
        "complete": False,
    }
    write_manifest(cfg.store, manifest)
    return manifest


def _shard(cfg: ExtractConfig, teacher: Any, windows: np.ndarray, index: int, ids_type) -> dict:
    from .truncate import kept_counts

    writer = ShardWriter(cfg.store, index, id_type=ids_type, value_dtype=cfg.value_dtype)
    for start in range(0, len(windows), cfg.batch_size):
        batch = windows[start : start + cfg.batch_size]
        values, ids = teacher.top_logprobs(batch, cfg.top_k)
        counts = kept_counts(values, cfg.top_p, cfg.top_k).reshape(-1)
        keep = (np.arange(values.shape[-1])[None, :] < counts.numpy()[:, None]).reshape(-1)
        flat_v = values.reshape(-1).numpy()[keep]
        flat_i = ids.reshape(-1).numpy()[keep]
        writer.add(batch, counts.numpy(), flat_i, flat_v)
    return writer.close()


def extract(
    cfg: ExtractConfig,
    *,
    quiet: bool = False,
    on_shard: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Extract (or finish extracting) a store; returns the figures ``inspect`` also prints.

    ``on_shard(index)`` runs after each shard is durable (tests interrupt there).
    """
    from .inspect_store import store_figures
    from .store import LogitStore

    _check_inputs(cfg)
    teacher = load_teacher_for(cfg)
    key = _fingerprint(cfg, teacher)
    windows = tokenize_corpus(
        cfg.input, teacher.tokenizer, cfg.window, cfg.max_windows, cfg.text_field
    )
    manifest = _start(cfg, teacher, windows, key)
    ids_type = np.dtype(manifest["id_dtype"])
    per = cfg.windows_per_shard
    n_shards = -(-len(windows) // per)
    began, done_before = time.perf_counter(), len(manifest["shards"])
    for index in range(done_before, n_shards):
        entry = _shard(cfg, teacher, windows[index * per : (index + 1) * per], index, ids_type)
        manifest["shards"].append(entry)
        manifest["complete"] = index + 1 == n_shards
        write_manifest(cfg.store, manifest)
        if not quiet:
            print(f"shard {index + 1}/{n_shards} written", file=sys.stderr)
        if on_shard is not None:
            on_shard(index)
    elapsed = time.perf_counter() - began
    new_windows = sum(e["windows"] for e in manifest["shards"][done_before:])
    new_positions = new_windows * (cfg.window - 1)
    figures = store_figures(LogitStore(cfg.store))
    figures.update(
        store=str(cfg.store),
        shards_resumed=done_before,
        seconds=round(elapsed, 2),
        tokens_per_s=round(new_positions / elapsed, 1) if elapsed > 0 and new_positions else 0.0,
    )
    return figures


def load_teacher_for(cfg: ExtractConfig) -> Any:
    from .teacher import load_teacher

    return load_teacher(cfg.teacher)
