"""Building constraints from a type key and its sentence, or from their dict form.

Importing this module registers every typed constraint class, so lookups by key find them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from lmforge.errors import InputError

from . import python_types, verifiable  # noqa: F401 - imported to register the classes
from .base import Constraint, registered

__all__ = ["constraint_from_dict", "constraints_from_item", "from_llm"]


def from_llm(type_key: str, text: str) -> Constraint:
    """The constraint for an (official or invented) key and its sentence, with any parameters
    that can be read reliably from the sentence; the rest stays None and `check` defers to a
    judge. The key is stored without surrounding spaces (" Hierarchical_Instructions" occurs)."""
    if not isinstance(text, str):
        got = type(text).__name__
        raise InputError(f"constraint text must be a string, got {got}", field=type_key)
    cls = registered(type_key)
    parse = getattr(cls, "parse", None)
    params = parse(text) if parse is not None else {}
    return cls(type=type_key.strip(), text=text, **params)


def constraint_from_dict(d: Mapping[str, Any], *, where: str | None = None) -> Constraint:
    """Inverse of `Constraint.to_dict`. Bad dicts raise `InputError` naming the field
    (`where`, e.g. "file.jsonl:12", is put in front of the message)."""
    if not isinstance(d, Mapping) or not isinstance(d.get("type"), str):
        raise InputError("constraint needs a string 'type'", path=where, field="type")
    cls = registered(d["type"])
    try:
        return cls.model_validate(dict(d))
    except ValidationError as exc:
        raise InputError.from_validation(
            exc, path=where, note=f" (type {d['type']})", default_field="?"
        ) from None


def constraints_from_item(item: Mapping[str, Any]) -> dict[str, Constraint]:
    """Every constraint of a stage-6 item (`Aug_instruction.Additional_Instruction`), by key."""
    try:
        extra = item["Aug_instruction"]["Additional_Instruction"]
    except (KeyError, TypeError):
        missing = "missing Aug_instruction.Additional_Instruction"
        raise InputError(missing, field="Aug_instruction") from None
    return {key: from_llm(key, text) for key, text in extra.items()}
