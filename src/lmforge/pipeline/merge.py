"""``lmforge merge``: join the outputs of ``--shard i/n`` runs into one file."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from lmforge.errors import InputError

from .shards import merge_jsonl, shard_files

__all__ = ["MergeConfig", "merge"]


class MergeConfig(BaseModel):
    """Shard outputs to join."""

    inputs: list[Path]
    """Shard outputs, or folders of them (``*.shard-i-of-n.jsonl``)."""
    output: Path
    """Merged JSONL."""


def merge(config: MergeConfig) -> list[str]:
    """Join the outputs of `--shard i/n` runs into one file (each id once)."""
    files: list[Path] = []
    for item in config.inputs:
        if item.is_dir():
            found = shard_files(item, "records.jsonl") or shard_files(item, "final.jsonl")
            if not found:
                raise InputError("no shard outputs (*.shard-i-of-n.jsonl) in folder", path=item)
            files += found
        else:
            files.append(item)
    written, dropped = merge_jsonl(files, config.output)
    return [f"merged {len(files)} files: {written} records, {dropped} duplicates dropped"]
