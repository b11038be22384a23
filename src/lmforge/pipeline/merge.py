"""``lmforge merge``: join the outputs of ``--shard i/n`` runs into one file."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath

from .records import iter_jsonl, record_id
from .rundir import RunDir, check_output_file
from .shards import merge_jsonl, shard_files

__all__ = ["MergeConfig", "merge"]


class MergeConfig(BaseModel):
    """Shard outputs to join."""

    inputs: list[JsonlPath]
    """Shard outputs, or folders of them (``*.shard-i-of-n.jsonl``)."""
    output: Path
    """Merged JSONL."""
    order: JsonlPath | None = None
    """The runs' input: rows are written in its record order, as one unsharded run writes
    them (byte for byte); without it, shard after shard."""


def merge(config: MergeConfig) -> list[str]:
    """Join the outputs of `--shard i/n` runs into one file (each id once).

    A folder of shards also gets its ``summary.json``: the shards' summaries added up.
    """
    check_output_file(config.output)
    files: list[Path] = []
    folders: list[Path] = []
    for item in config.inputs:
        if item.is_dir():
            found = shard_files(item, "records.jsonl") or shard_files(item, "final.jsonl")
            if not found:
                raise InputError("no shard outputs (*.shard-i-of-n.jsonl) in folder", path=item)
            files += found
            folders.append(item)
        else:
            files.append(item)
    order = None
    if config.order is not None:
        order = [record_id(row) for _, row in iter_jsonl(config.order)]
    written, dropped = merge_jsonl(files, config.output, order=order)
    for folder in folders:
        RunDir(folder).combine_shards()
    return [f"merged {len(files)} files: {written} records, {dropped} duplicates dropped"]
