"""LongBench-Write, LongWrite-Ruler and prediction files: loaded and checked before any model call.

The official files (THUDM/LongWriter ``evaluation/``) are not shipped with lmforge; point the
loaders at them. Rows are checked field by field so that a bad line stops the run with its file
and line instead of a KeyError halfway through scoring.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lmforge.errors import InputError
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.records import iter_jsonl

from .lengthscore import BUCKETS, length_bucket

__all__ = [
    "RULER_LENGTHS",
    "RULER_SUBJECTS",
    "bucket_counts",
    "load_longbench_write",
    "load_predictions",
    "load_ruler",
    "ruler_prompts",
    "type_counts",
]

RULER_LENGTHS: tuple[int, ...] = (1000, 2000, 5000, 10000, 20000, 30000)
"""The required lengths of LongWrite-Ruler."""

RULER_SUBJECTS: tuple[tuple[str, str], ...] = (
    ("guide", "travel guide to the national parks of Canada"),
    ("story", "story about a lighthouse keeper who finds a message in a bottle"),
    ("article", "article on the history of the printing press"),
    ("paper", "paper on how rising sea levels affect coastal cities"),
)
"""(type, subject) of the built-in ruler prompts, used when no ruler file is given. Our own
subjects in the spirit of the official four (a guide, a novel, a history, an economics paper)."""


def _length(value: Any, path: Path, line: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InputError(
            f"expected a positive number, got {value!r}", path=path, line=line, field=field
        )
    if value != int(value):
        raise InputError(
            f"expected a whole number, got {value!r}", path=path, line=line, field=field
        )
    return int(value)


def _checked_rows(path: str | Path, text_fields: Iterable[str]) -> list[dict[str, Any]]:
    """Rows with a string for each text field and a positive integer ``length``."""
    path = Path(path)
    rows = []
    for line, row in iter_jsonl(path):
        for field in text_fields:
            if field not in row:
                raise InputError("missing required field", path=path, line=line, field=field)
            if not isinstance(row[field], str):
                kind = type(row[field]).__name__
                raise InputError(
                    f"expected a string, got {kind}", path=path, line=line, field=field
                )
        if "length" not in row:
            raise InputError(
                "missing required field (the required length)", path=path, line=line, field="length"
            )
        rows.append({**row, "length": _length(row["length"], path, line, "length")})
    return rows


def load_longbench_write(path: str | Path) -> list[dict[str, Any]]:
    """LongBench-Write prompts: ``prompt``, ``type``, ``length`` (120 in the full file, 60 in
    ``longbench_write_en.jsonl``)."""
    return _checked_rows(path, ("prompt", "type"))


def load_ruler(path: str | Path) -> list[dict[str, Any]]:
    """LongWrite-Ruler prompts: ``prompt``, ``length`` and (optional) ``type``; 48 officially."""
    return _checked_rows(path, ("prompt",))


def load_predictions(path: str | Path) -> list[dict[str, Any]]:
    """Model outputs to score: ``prompt``, ``length`` (required) and ``response``; any other
    field (``type``, ``response_length``, ids) is kept."""
    return _checked_rows(path, ("prompt", "response"))


def ruler_prompts(
    lengths: Iterable[int] = RULER_LENGTHS,
    subjects: Iterable[tuple[str, str]] = RULER_SUBJECTS,
) -> list[dict[str, Any]]:
    """Ruler rows (``id``, ``prompt``, ``type``, ``length``) from the ``ruler`` template: one per
    (subject, length), so any model can be measured without the official file."""
    template = load_prompt("lmforge.longwriter", "ruler")
    rows = []
    for length in lengths:
        for kind, subject in subjects:
            prompt = template.render(length=length, subject=subject).strip()
            rows.append(
                {"id": f"{kind}-{length}", "prompt": prompt, "type": kind, "length": length}
            )
    return rows


def bucket_counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Rows per length range, every range present (zero included), in the paper's order."""
    counts = Counter(length_bucket(row["length"]) for row in rows)
    return {label: counts.get(label, 0) for label, _, _ in BUCKETS}


def type_counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Rows per ``type`` (rows without one count under ``""``), most frequent first."""
    return dict(Counter(str(row.get("type", "")) for row in rows).most_common())
