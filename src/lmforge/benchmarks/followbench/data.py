"""FollowBench items and model responses: loading, checking and matching them.

FollowBench (Jiang et al., ACL 2024; github.com/YJiangcm/FollowBench) ships one JSON list per
constraint category. Each *group* (one ``example_id`` in one category) is a seed instruction
(level 0) evolved by adding one constraint per level up to level 5; the category ``example``
has no level 0. Only levels 1..5 are answered and scored; level 0 is kept because the judge
prompt shows the whole evolution path.

Responses are matched to items by ``(category, example_id, level)`` when a row carries them,
else by the exact instruction text (the official code matches on the prompt), so the official
``prompt_new``/``choices`` output files load too.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lmforge.errors import InputError
from lmforge.pipeline.records import iter_jsonl

__all__ = [
    "CATEGORIES",
    "FBItem",
    "FBResponse",
    "evolution_path",
    "load_fb_responses",
    "load_followbench",
]

CATEGORIES = ("content", "situation", "style", "format", "example", "mixed")
"""The six English categories, in the order the FollowBench paper lists them."""
_FIELDS = ("example_id", "category", "source", "level", "instruction", "target")
_RESPONSE_FIELDS = ("response", "generation", "output")
_INSTRUCTION_FIELDS = ("instruction", "prompt_new", "prompt")

Key = tuple[str, int, int]


@dataclass(frozen=True)
class FBItem:
    """One instruction of FollowBench at one level."""

    example_id: int
    category: str
    source: str
    level: int
    instruction: str
    target: str
    answer: str | None = None
    """Only in the ``example`` category: the expected answer (the target holds the template)."""
    constraint_types: str = ""
    """The item's own ``category`` field. In the mixed file it lists the types of the added
    constraints ("format, content"); ``category`` is always the file's category, which is
    what the official code groups by."""

    @property
    def key(self) -> Key:
        return (self.category, self.example_id, self.level)

    @property
    def group(self) -> tuple[str, int]:
        return (self.category, self.example_id)


@dataclass(frozen=True)
class FBResponse:
    """A model's answer to one item, with where it came from for error messages."""

    key: Key
    response: str
    origin: str = ""


def _item(raw: Any, path: Path, index: int, category: str) -> FBItem:
    if not isinstance(raw, dict):
        raise InputError(f"item {index}: expected an object", path=path)
    for name in _FIELDS:
        if name not in raw:
            raise InputError(f"item {index}: missing required field", path=path, field=name)
    level = raw["level"]
    if not isinstance(level, int) or not 0 <= level <= 5:
        raise InputError(f"item {index}: level must be 0..5, got {level!r}", path=path)
    return FBItem(
        example_id=int(raw["example_id"]),
        category=category,
        source=str(raw["source"]),
        level=level,
        instruction=str(raw["instruction"]),
        target=str(raw["target"]),
        answer=raw.get("answer"),
        constraint_types=str(raw["category"]),
    )


def load_followbench(
    data_dir: str | Path, categories: tuple[str, ...] = CATEGORIES
) -> list[FBItem]:
    """Every item of ``<data_dir>/<category>_constraints.json`` for the given categories.

    Level-0 seeds are included (the judge needs them); duplicated keys are an error because
    responses could not be matched unambiguously.
    """
    root = Path(data_dir)
    items: list[FBItem] = []
    seen: set[Key] = set()
    for category in categories:
        path = root / f"{category}_constraints.json"
        if not path.is_file():
            raise InputError(f"no FollowBench file for category '{category}'", path=path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({exc.msg})", path=path, line=exc.lineno) from None
        if not isinstance(raw, list):
            raise InputError("expected a JSON list of items", path=path)
        for index, entry in enumerate(raw):
            item = _item(entry, path, index, category)
            if item.key in seen:
                raise InputError(f"item {index}: duplicate {item.key}", path=path)
            seen.add(item.key)
            items.append(item)
    return items


def evolution_path(items: list[FBItem], item: FBItem) -> list[str]:
    """The instructions of ``item``'s group from its lowest level up to ``item.level``."""
    same = sorted(
        (i for i in items if i.group == item.group and i.level <= item.level),
        key=lambda i: i.level,
    )
    return [i.instruction for i in same]


def _first(row: dict[str, Any], names: tuple[str, ...]) -> tuple[str | None, Any]:
    for name in names:
        if name in row:
            return name, row[name]
    return None, None


def _response_text(row: dict[str, Any], path: Path, line: int) -> str | None:
    name, value = _first(row, _RESPONSE_FIELDS)
    if name is None and isinstance(row.get("choices"), list) and row["choices"]:
        with contextlib.suppress(KeyError, TypeError, IndexError):  # official API output
            name, value = "choices", row["choices"][0]["message"]["content"]
    if name is None:
        wanted = ", ".join(_RESPONSE_FIELDS)
        raise InputError(f"missing the answer: need one of {wanted}", path=path, line=line)
    if value is None:
        return None  # a generation that failed: scored as a missing response
    if not isinstance(value, str):
        raise InputError(
            f"expected a string, got {type(value).__name__}", path=path, line=line, field=name
        )
    return value


def _row_key(row: dict[str, Any], by_text: dict[str, list[Key]], path: Path, line: int) -> Key:
    if all(f in row for f in ("category", "example_id", "level")):
        try:
            return (str(row["category"]), int(row["example_id"]), int(row["level"]))
        except (TypeError, ValueError):
            raise InputError(
                "example_id and level must be integers", path=path, line=line
            ) from None
    name, text = _first(row, _INSTRUCTION_FIELDS)
    if name is None:
        raise InputError(
            "cannot match the row: need category+example_id+level or the instruction",
            path=path,
            line=line,
        )
    if not by_text:
        raise InputError(
            "matching by instruction needs the FollowBench items: give category, example_id"
            " and level",
            path=path,
            line=line,
        )
    keys = by_text.get(str(text), [])
    if "category" in row:
        keys = [k for k in keys if k[0] == row["category"]]
    if len(keys) != 1:
        why = "matches no FollowBench item" if not keys else f"matches {len(keys)} items"
        raise InputError(f"instruction {why}", path=path, line=line, field=name)
    return keys[0]


def load_fb_responses(path: str | Path, items: list[FBItem] | None = None) -> dict[Key, FBResponse]:
    """Responses from a JSONL file, keyed like the items they answer.

    Without ``items`` every row must carry ``category``, ``example_id`` and ``level``; with
    them, rows may carry only the instruction and unknown keys are rejected. Raises
    :class:`InputError` with file:line for a row without an answer, a row that matches no
    scored item (level 1..5), or a second answer to the same item. A null answer (a failed
    generation) is skipped, so scoring reports that item as missing.
    """
    path = Path(path)
    known = {i.key for i in items or () if i.level > 0}
    by_text: dict[str, list[Key]] = {}
    for item in items or ():
        if item.level > 0:
            by_text.setdefault(item.instruction, []).append(item.key)
    out: dict[Key, FBResponse] = {}
    for line, row in iter_jsonl(path):
        key = _row_key(row, by_text, path, line)
        if not 1 <= key[2] <= 5 or (items is not None and key not in known):
            raise InputError(
                f"no FollowBench item {key} (levels 1..5 are scored)", path=path, line=line
            )
        if key in out:
            raise InputError(
                f"second response to {key} (first at {out[key].origin})", path=path, line=line
            )
        text = _response_text(row, path, line)
        if text is not None:
            out[key] = FBResponse(key, text, f"{path}:{line}")
    return out
