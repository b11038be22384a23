"""Splitting a job over machines by record id, and joining the pieces again."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Any

from lmforge.errors import InputError

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


def shard_path(path: Path, shard: tuple[int, int] | None) -> Path:
    """``out/records.jsonl`` -> ``out/records.shard-0-of-4.jsonl`` (unchanged without a shard)."""
    return path.with_name(path.stem + shard_suffix(shard) + path.suffix)


def merge_jsonl(
    inputs: list[Path], output: Path, *, order: list[str] | None = None
) -> tuple[int, int]:
    """Join shard outputs; a record present in two shards is kept once (the first). Every row
    needs its ``id`` (shard outputs carry one): without it "each id once" means nothing. Every
    file is read and checked before the output is written. An empty shard is valid (a shard
    can get no records). ``order``: record ids in input order; rows follow it (ids it lacks
    go last, in shard order).

    Returns (rows written, duplicates dropped).
    """
    seen: set[str] = set()
    rows = []
    duplicates = 0
    for path in inputs:
        for line, row in iter_jsonl(path, allow_empty=True, tolerate_torn_tail=True):
            if not isinstance(row.get("id"), str | int) or isinstance(row["id"], bool):
                got = "no id" if row.get("id") is None else f"a {type(row['id']).__name__}"
                raise InputError(
                    f"expected the record's id (text or a whole number), got {got}",
                    path=path,
                    line=line,
                    field="id",
                )
            rid = record_id(row)
            if rid in seen:
                duplicates += 1
                continue
            seen.add(rid)
            rows.append(row)
    if order is not None:
        position = {rid: i for i, rid in reversed(list(enumerate(order)))}
        rows.sort(key=lambda row: position.get(record_id(row), len(position)))
    return write_jsonl(output, rows), duplicates


def shard_files(directory: Path, name: str) -> list[Path]:
    """The complete set of shard outputs of ``name`` (e.g. ``records.jsonl``) in a folder.

    Error files (``*.errors.jsonl``) never match; a folder holding shards of two different
    counts, or missing a shard, is an input error rather than a silently partial merge.
    """
    stem, _, ext = name.partition(".")
    pattern = re.compile(rf"^{re.escape(stem)}\.shard-(\d+)-of-(\d+)\.{re.escape(ext)}$")
    found: dict[int, dict[int, Path]] = {}
    for path in directory.iterdir():
        match = pattern.match(path.name)
        if match:
            found.setdefault(int(match[2]), {})[int(match[1])] = path
    if not found:
        return []
    if len(found) > 1:
        raise InputError(
            f"shards of different counts {sorted(found)} in one folder", path=directory
        )
    ((count, shards),) = found.items()
    missing = [i for i in range(count) if i not in shards]
    if missing:
        raise InputError(f"shard outputs missing for i = {missing} of {count}", path=directory)
    return [shards[i] for i in range(count)]


ADDED = frozenset(
    {
        "total",
        "done",
        "skipped",
        "dropped",
        "failed",
        "rows",
        "kept",
        "scored",
        "missing_predictions",
        "llm_calls",
        "cached_calls",
        "prompt_tokens",
        "completion_tokens",
        "tokens",
        "retries",
        "wall_s",
    }
)
"""Summary counts that add up over shards (``drops`` and ``failures`` add up by reason)."""


def combine_summaries(parts: dict[tuple[int, int], dict[str, Any]]) -> dict[str, Any]:
    """The summaries of shards (by (i, n)) as one: counts added up, by-reason counts too,
    error-row files listed, anything else kept where every shard agrees on it (``what``,
    ``report``), left out where they differ (each shard's ``scores``, ``output``)."""
    shards = sorted(parts)
    summaries = [parts[s] for s in shards]
    out: dict[str, Any] = {}
    for key in dict.fromkeys(k for s in summaries for k in s):
        values = [s.get(key) for s in summaries]
        if key in ADDED:
            numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
            out[key] = round(sum(numbers), 3) if key == "wall_s" else sum(numbers)
        elif key in ("drops", "failures"):
            total: Counter[str] = Counter()
            for value in values:
                total.update(value or {})
            out[key] = dict(total.most_common())
        elif key == "whole_run":  # each shard's costs over its own resumes, added up
            runs = [v for v in values if isinstance(v, dict)]
            out[key] = {
                k: round(sum(r.get(k, 0) for r in runs), 3)
                for k in dict.fromkeys(k for r in runs for k in r)
            }
        elif key == "error_rows":
            out[key] = [path for value in values for path in value or []]
        elif key not in ("shard", "stages", "history") and all(v == values[0] for v in values):
            out[key] = values[0]
    counts = {n for _, n in shards}
    out["shards"] = [f"{i}/{n}" for i, n in shards]
    out["complete"] = len(counts) == 1 and len(shards) == next(iter(counts))
    return out
