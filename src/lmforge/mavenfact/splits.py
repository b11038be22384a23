"""A fixed, seeded, document-level train/valid/test split of a MAVEN-Fact document file.

Why by document: mentions of one article share sentences, and a mention-level split would put
the same sentence on both sides. Why fixed and written once: every figure of this system
(the baseline, the encoder's seeds, the LLM runs) must be measured on the same test mentions,
so :func:`write_split` writes the three files once and refuses to write a different split over
them. The split is a pure function of the document ids and the seed (ids sorted, then a
``random.Random(seed)`` shuffle, then cut by the ratios), so anyone gets the same files.

MAVEN-Fact itself has its official split (train 2,913 / valid 710 / test 857 documents); use
its files as they are. This is for corpora without one, such as MEANTIME.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath, read_json
from lmforge.pipeline.records import iter_jsonl, write_jsonl

from .data import document_mentions, label_stats, load_documents

__all__ = ["SPLITS", "SplitConfig", "split", "split_ids", "write_split"]

SPLITS = ("train", "valid", "test")


def split_ids(
    ids: list[str], seed: int = 42, ratios: tuple[float, float, float] = (0.7, 0.1, 0.2)
) -> dict[str, list[str]]:
    """Document ids per split: sorted, shuffled with ``seed``, cut by ``ratios`` (rounded;
    the test split takes the rest). Each split's ids are returned sorted."""
    if len(set(ids)) != len(ids):
        raise ValueError("document ids must be unique")
    order = sorted(ids)
    random.Random(seed).shuffle(order)
    n_train = round(ratios[0] * len(order))
    n_valid = round(ratios[1] * len(order))
    cuts = {
        "train": order[:n_train],
        "valid": order[n_train : n_train + n_valid],
        "test": order[n_train + n_valid :],
    }
    return {name: sorted(part) for name, part in cuts.items()}


class SplitConfig(BaseModel):
    """Split a document file into train/valid/test by document, once."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    data: JsonlPath
    """A MAVEN-Fact document file (e.g. meantime_en_mavenfact_format.jsonl)."""
    dir: Path
    """Folder to write train.jsonl, valid.jsonl, test.jsonl (documents), *_mentions.jsonl and
    split.json into; a folder holding a different split is refused."""
    seed: int = 42
    """Seed of the document shuffle."""
    ratios: tuple[float, float, float] = (0.7, 0.1, 0.2)
    """Shares of train, valid and test documents."""

    @field_validator("ratios")
    @classmethod
    def _sum_to_one(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(r < 0 for r in value) or abs(sum(value) - 1) > 1e-6:
            raise ValueError("ratios must be three non-negative shares summing to 1")
        return value


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _manifest(cfg: SplitConfig, ids: dict[str, list[str]], counts: dict[str, Any]) -> dict:
    return {
        "source": Path(cfg.data).name,
        "source_sha256": _digest(Path(cfg.data)),
        "seed": cfg.seed,
        "ratios": list(cfg.ratios),
        "documents": ids,
        "labels": counts,
    }


def write_split(cfg: SplitConfig) -> dict[str, Any]:
    """Write the split (documents as read, line for line; mention rows; ``split.json``).

    Rerunning with the same input and seed finds the same ``split.json`` and rewrites nothing;
    a folder whose ``split.json`` differs is an error rather than a silently changed test set.
    """
    docs = load_documents(cfg.data)
    raw = {str(row["id"]): row for _, row in iter_jsonl(cfg.data)}
    ids = split_ids([str(d.id) for d in docs], cfg.seed, cfg.ratios)
    by_id = {str(d.id): d for d in docs}
    mentions = {name: document_mentions(by_id[i] for i in ids[name]) for name in SPLITS}
    counts = {name: label_stats(rows) for name, rows in mentions.items()}
    manifest = _manifest(cfg, ids, counts)
    target = Path(cfg.dir)
    existing = target / "split.json"
    if existing.is_file():
        if read_json(existing) != json.loads(json.dumps(manifest)):
            raise InputError("holds a different split; choose another folder", path=target)
        return {"dir": str(target), "written": False, **_figures(manifest)}
    target.mkdir(parents=True, exist_ok=True)
    for name in SPLITS:
        write_jsonl(target / f"{name}.jsonl", [raw[i] for i in ids[name]])
        slim = [{k: v for k, v in r.items() if k != "tokens"} for r in mentions[name]]
        write_jsonl(target / f"{name}_mentions.jsonl", slim)
    existing.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return {"dir": str(target), "written": True, **_figures(manifest)}


def _figures(manifest: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in SPLITS:
        c = manifest["labels"][name]
        per = " ".join(f"{k}={c[k]}" for k in ("CT+", "CT-", "PS+", "PS-", "Uu"))
        out[name] = (
            f"{len(manifest['documents'][name])} documents, {c['mentions']} mentions ({per})"
        )
    return out


def split(cfg: SplitConfig) -> dict[str, Any]:
    """Split a document file into train/valid/test by document (seeded), written once."""
    return write_split(cfg)


class StatsConfig(BaseModel):
    """Label statistics of a data file."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    data: JsonlPath
    """A MAVEN-Fact document file or mention-level JSONL."""
    top: int = Field(0, ge=0)
    """Also list the N most frequent triggers of each non-CT+ label."""


def stats(cfg: StatsConfig) -> list[str]:
    """Label counts and shares (and, with --top, the frequent non-CT+ triggers)."""
    from collections import Counter

    from .data import load_mentions

    rows = load_mentions(cfg.data)
    s = label_stats(rows)
    lines = [f"mentions: {s['mentions']}", f"majority: {s['majority']}"]
    for label, share in s["shares"].items():
        lines.append(f"{label}: {s[label]} ({100 * share:.1f}%)")
    if "unlabelled" in s:
        lines.append(f"unlabelled: {s['unlabelled']}")
    for label in ("CT-", "PS+", "PS-", "Uu") if cfg.top else ():
        common = Counter(r["trigger_word"] for r in rows if r.get("label") == label)
        lines.append(
            f"top {label}: " + ", ".join(f"{w} {n}" for w, n in common.most_common(cfg.top))
        )
    return lines
