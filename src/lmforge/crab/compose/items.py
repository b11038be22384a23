"""Back-translated items (the official stage-6 shape), checked once before composition starts.

An item is ``{id, messages: [user instruction, assistant response], Aug_instruction:
{Refined_Instruction, Additional_Instruction: {type: sentence}}, overlap?, source?, cnt_id?}``:
what ``lmforge crab backtranslate`` writes and what the official ``6_<source>_filter.json`` files
hold. A malformed row stops the run with its file, line and field, before any row is written,
instead of a KeyError in the middle of a 50,000-item composition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lmforge.errors import InputError
from lmforge.pipeline.records import iter_jsonl, read_json_list

__all__ = ["ComposeItem", "item_key", "load_compose_items", "parse_item", "parse_items"]

DEFAULT_SOURCE = "crab"
"""Source name of items that carry none (the official scripts set it from the file name)."""


@dataclass(frozen=True)
class ComposeItem:
    """One back-translated (instruction, response) pair with its constraints."""

    id: str | int
    cnt_id: str | int
    source: str
    instruction: str
    response: str
    refined: str
    """The refined instruction; "" when the back-translation produced none."""
    constraints: dict[str, str]
    """Constraint type -> sentence, in the item's order."""
    overlap: int
    """How many constraints repeat the refined instruction (ROUGE-L > 0.6); lowers its use."""

    @property
    def key(self) -> str:
        """``<id>_<source>``: the official identity used by the shot map and the mixer."""
        return item_key(self.id, self.source)


def item_key(item_id: str | int, source: str) -> str:
    return f"{item_id}_{source}"


def _fail(message: str, where: tuple[str, int | None], field: str | None = None) -> InputError:
    return InputError(message, path=where[0], line=where[1], field=field)


def _text(value: Any, where: tuple[str, int | None], field: str, *, empty_ok: bool) -> str:
    if not isinstance(value, str):
        raise _fail(f"expected a string, got {type(value).__name__}", where, field)
    if not empty_ok and not value.strip():
        raise _fail("is empty", where, field)
    return value


def _messages(row: Mapping, where: tuple[str, int | None]) -> tuple[str, str]:
    messages = row.get("messages")
    if not isinstance(messages, list) or len(messages) < 2:
        raise _fail("expected a list [user instruction, assistant response]", where, "messages")
    texts = []
    for i, role in enumerate(("user", "assistant")):
        message = messages[i]
        if not isinstance(message, Mapping) or message.get("role") != role:
            raise _fail(f"expected role '{role}'", where, f"messages[{i}].role")
        texts.append(_text(message.get("content"), where, f"messages[{i}].content", empty_ok=False))
    return texts[0], texts[1]


def _constraints(aug: Mapping, where: tuple[str, int | None]) -> dict[str, str]:
    field = "Aug_instruction.Additional_Instruction"
    extra = aug.get("Additional_Instruction")
    if not isinstance(extra, Mapping):
        raise _fail("missing or not a mapping of type -> sentence", where, field)
    return {str(k): _text(v, where, f"{field}.{k}", empty_ok=False) for k, v in extra.items()}


def parse_item(row: Any, where: tuple[str, int | None] = ("<items>", None)) -> ComposeItem:
    """The checked item of one row; ``where`` = (file, line) named by any error."""
    if isinstance(row, ComposeItem):
        return row
    if not isinstance(row, Mapping):
        raise _fail(f"expected a JSON object, got {type(row).__name__}", where)
    if row.get("id") in (None, ""):
        raise _fail("missing required field", where, "id")
    if isinstance(row["id"], bool) or not isinstance(row["id"], str | int):
        raise _fail("expected a string or an integer", where, "id")
    instruction, response = _messages(row, where)
    aug = row.get("Aug_instruction")
    if not isinstance(aug, Mapping):
        raise _fail("missing required field (a mapping)", where, "Aug_instruction")
    refined = aug.get("Refined_Instruction", "")
    refined = (
        ""
        if refined is None
        else _text(refined, where, "Aug_instruction.Refined_Instruction", empty_ok=True)
    )
    overlap = row.get("overlap", 0)
    if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 0:
        raise _fail(f"expected a whole number >= 0, got {overlap!r}", where, "overlap")
    source = row.get("source", DEFAULT_SOURCE)
    source = _text(source, where, "source", empty_ok=False)
    return ComposeItem(
        id=row["id"],
        cnt_id=row.get("cnt_id", row["id"]),
        source=source,
        instruction=instruction,
        response=response,
        refined=refined,
        constraints=_constraints(aug, where),
        overlap=overlap,
    )


def parse_items(
    rows: Iterable[Any], *, path: str = "<items>", lines: Iterable[int | None] | None = None
) -> list[ComposeItem]:
    """Checked items; a repeated ``<id>_<source>`` is an error (the shot map is keyed by it)."""
    line_numbers = list(lines) if lines is not None else None
    items: list[ComposeItem] = []
    seen: dict[str, int | None] = {}
    for i, row in enumerate(rows):
        line = line_numbers[i] if line_numbers is not None else i + 1
        item = parse_item(row, (path, line))
        if item.key in seen:
            raise _fail(
                f"id {item.id!r} of source {item.source!r} repeats line {seen[item.key]}",
                (path, line),
                "id",
            )
        seen[item.key] = line
        items.append(item)
    return items


def load_compose_items(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a back-translation output: JSONL, or a JSON list (the official stage-6 files).

    Every row is checked (:func:`parse_item`); rows the back-translation marked ``dropped`` are
    left out. Returns the rows as read, so callers can keep extra fields.
    """
    path = Path(path)
    if path.suffix == ".json":
        return _load_json_list(path)
    rows, lines = [], []
    for line, row in iter_jsonl(path):
        if "dropped" in row:
            continue
        rows.append(row)
        lines.append(line)
    parse_items(rows, path=str(path), lines=lines)
    return rows


def _load_json_list(path: Path) -> list[dict[str, Any]]:
    data = read_json_list(path, what="items (or use JSONL)")
    rows = [r for r in data if not (isinstance(r, Mapping) and "dropped" in r)]
    # a JSON list has no useful line numbers: errors name the item's position instead
    parse_items(rows, path=f"{path} item", lines=range(1, len(rows) + 1))
    return rows
