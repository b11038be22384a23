"""Splitting a job over machines by record id, and joining the pieces again."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..llm.errors import InputError
from .records import iter_jsonl, record_id, write_jsonl


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"i/n"`` -> (i, n) with 0 <= i < n."""
    if not text:
        return None
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i, n = -1, 0
    if not sep or n < 1 or not 0 <= i < n:
        raise InputError(f"--shard {text!r}: expected i/n with 0 <= i < n, e.g. 0/4")
    return i, n


def shard_of(rid: str, n: int) -> int:
    """Stable across machines and Python versions (unlike ``hash``)."""
    return int.from_bytes(hashlib.sha256(rid.encode("utf-8")).digest()[:8], "big") % n


def in_shard(rid: str, shard: tuple[int, int] | None) -> bool:
    return shard is None or shard_of(rid, shard[1]) == shard[0]


def shard_suffix(shard: tuple[int, int] | None) -> str:
    return "" if shard is None else f".shard-{shard[0]}-of-{shard[1]}"


def merge_jsonl(inputs: list[Path], output: Path) -> tuple[int, int]:
    """Join shard outputs; a record present in two shards is kept once (the first).

    Returns (rows written, duplicates dropped).
    """
    seen: set[str] = set()
    rows = []
    duplicates = 0
    for path in inputs:
        for _, row in iter_jsonl(path, allow_empty=True, tolerate_torn_tail=True):
            rid = record_id(row)
            if rid in seen:
                duplicates += 1
                continue
            seen.add(rid)
            rows.append(row)
    return write_jsonl(output, rows), duplicates


def shard_files(directory: Path, name: str) -> list[Path]:
    """The shard outputs of ``name`` (e.g. ``records.jsonl``) in a folder, in shard order."""
    stem, _, ext = name.partition(".")
    found = sorted(directory.glob(f"{stem}.shard-*-of-*.{ext}"))

    def index(p: Path) -> int:
        return int(p.name.split(".shard-")[1].split("-of-")[0])

    return sorted(found, key=index)
