"""FollowBench items and model responses: loading, checking and matching them.

FollowBench (Jiang et al., ACL 2024; github.com/YJiangcm/FollowBench) ships one JSON list per
constraint category. Each *group* (one ``example_id`` in one category) is a seed instruction
(level 0) evolved by adding one constraint per level up to level 5; the category ``example``
has no level 0. Only levels 1..5 are answered and scored; level 0 is kept because the judge
prompt shows the whole evolution path.

Responses are matched to items by ``(category, example_id, level)`` when a row carries them,
else by the exact instruction text (the official code matches on the prompt), so the official
``prompt_new``/``choices`` output files load too.

Every item and response row is checked against a typed row schema (:class:`FBItemRow`,
:class:`FBResponseRow`) before anything is scored: ``level: 1.9`` or ``"1"`` is an error naming
the field, not a level 1.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from lmforge.errors import InputError
from lmforge.pipeline.records import check_row, iter_jsonl, read_json_list

__all__ = [
    "CATEGORIES",
    "FBItem",
    "FBItemRow",
    "FBResponse",
    "FBResponseRow",
    "evolution_path",
    "load_fb_responses",
    "load_followbench",
]

CATEGORIES = ("content", "situation", "style", "format", "example", "mixed")
"""The six English categories, in the order the FollowBench paper lists them."""
_RESPONSE_FIELDS = ("response", "generation", "output")
_INSTRUCTION_FIELDS = ("instruction", "prompt_new", "prompt")

Key = tuple[str, int, int]


class FBItemRow(BaseModel):
    """One entry of a ``<category>_constraints.json`` file, as the official release writes it."""

    model_config = ConfigDict(extra="allow")

    example_id: StrictInt
    category: StrictStr
    source: StrictStr
    level: Annotated[StrictInt, Field(ge=0, le=5)]
    instruction: StrictStr
    target: StrictStr
    answer: StrictStr | None = None


class FBResponseRow(BaseModel):
    """A response row: keyed by ``category``/``example_id``/``level`` or by the instruction,
    the answer under ``response``, ``generation`` or ``output`` (``null``: a failed generation)
    or in an official API reply (``choices``)."""

    model_config = ConfigDict(extra="allow")

    category: StrictStr | None = None
    example_id: StrictInt | None = None
    level: StrictInt | None = None
    instruction: StrictStr | None = None
    prompt_new: StrictStr | None = None
    prompt: StrictStr | None = None
    response: StrictStr | None = None
    generation: StrictStr | None = None
    output: StrictStr | None = None


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


def _item(raw: Any, where: str, index: int, category: str | None) -> FBItem:
    if not isinstance(raw, dict):
        kind = type(raw).__name__
        raise InputError(f"expected a JSON object, got {kind}", path=where, line=index)
    row = check_row(FBItemRow, raw, path=where, line=index)
    if category is None:  # a file not named <category>_constraints.json: the item's own field
        if row.category not in CATEGORIES:
            raise InputError(
                f"{row.category!r} is not a FollowBench category ({', '.join(CATEGORIES)}); "
                "name the file <category>_constraints.json",
                path=where,
                line=index,
                field="category",
            )
        category = row.category
    return FBItem(
        example_id=row.example_id,
        category=category,
        source=row.source,
        level=row.level,
        instruction=row.instruction,
        target=row.target,
        answer=row.answer,
        constraint_types=row.category,
    )


def _data_files(data: Path, categories: tuple[str, ...]) -> list[tuple[Path, str | None]]:
    """(file, its category) for a folder of the six files, or for one file (the category from
    its name ``<category>_constraints.json``, else None: each item's own ``category``)."""
    if not data.is_dir():
        name = data.name.removesuffix(".json").removesuffix("_constraints")
        return [(data, name if name in CATEGORIES else None)]
    files = []
    for category in categories:
        path = data / f"{category}_constraints.json"
        if not path.is_file():
            raise InputError(f"no FollowBench file for category '{category}'", path=path)
        files.append((path, category))
    return files


def load_followbench(data: str | Path, categories: tuple[str, ...] = CATEGORIES) -> list[FBItem]:
    """Every item of ``<data>/<category>_constraints.json`` for the given categories, or of
    ``data`` itself when it is one such file (only its items of ``categories`` are kept).

    Level-0 seeds are included (the judge needs them); duplicated keys are an error because
    responses could not be matched unambiguously. Files go through the input gate: a file that
    is not UTF-8, not a JSON list, or holds a badly typed item stops here in one line.
    """
    items: list[FBItem] = []
    seen: set[Key] = set()
    for path, category in _data_files(Path(data), categories):
        raw = read_json_list(path, what="FollowBench items")
        if not raw:
            raise InputError("no FollowBench items (an empty list)", path=path)
        where = f"{path} item"  # a JSON list has no useful line numbers: the item's position
        for index, entry in enumerate(raw, start=1):
            item = _item(entry, where, index, category)
            if item.key in seen:
                raise InputError(f"duplicate item {item.key}", path=where, line=index)
            seen.add(item.key)
            if item.category in categories:
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
    typed = check_row(FBResponseRow, row, path=path, line=line)
    if typed.category is not None and typed.example_id is not None and typed.level is not None:
        return (typed.category, typed.example_id, typed.level)
    name, text = _first(row, _INSTRUCTION_FIELDS)
    if name is None or text is None:
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
    keys = by_text.get(text, [])
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
