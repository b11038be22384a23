"""The texts of CRAB's forward and reverse training prompts, loaded from YAML data files.

Texts shown to a model are files, not code (``prompts/compose_forward.yaml`` and
``prompts/compose_reverse.yaml``): a researcher can reword a layout without reading Python. The
files are checked when loaded, so a layout that lost its ``{instruction}`` placeholder fails at
start-up with the file and the entry, not as a silent drop of the instruction from 10,000 rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from lmforge.errors import InputError

__all__ = [
    "INLINE",
    "ForwardTexts",
    "Layout",
    "OutputSpec",
    "ReverseTexts",
    "forward_texts",
    "render_lines",
    "reverse_texts",
]

INLINE = "inline"
"""The connector that joins constraint sentences with spaces on one line."""

SPEC_GROUPS = ("combined", "refined_only", "constraints_only")


@dataclass(frozen=True)
class Layout:
    """A forward prompt layout: ``text`` with {instruction} and {constraints}; connector lines
    are indented by ``indent``."""

    text: str
    indent: str


@dataclass(frozen=True)
class ForwardTexts:
    basic_layouts: tuple[Layout, ...]
    basic_connectors: tuple[str, ...]
    layouts: tuple[Layout, ...]
    connectors: tuple[str, ...]
    long_layouts: tuple[Layout, ...]


@dataclass(frozen=True)
class OutputSpec:
    """How a reverse target is written: a text template or JSON fields, plus the list item form."""

    group: str
    """``combined``, ``refined_only`` or ``constraints_only``."""
    index: int
    query: str
    target: str | None
    json_keys: dict[str, str] | None
    item: str
    quirk_item: str | None

    @property
    def name(self) -> str:
        return f"{self.group}/{self.index}"


@dataclass(frozen=True)
class ReverseTexts:
    overviews: tuple[str, ...]
    refine_tasks: tuple[str, ...]
    add_tasks: tuple[str, ...]
    type_descriptions: dict[str, tuple[str, ...]]
    input_layouts: tuple[str, ...]
    specs: dict[str, tuple[OutputSpec, ...]]


def render_lines(connector: str, sentences: list[str], indent: str = "") -> str:
    """Sentences as lines in ``connector`` form ({index} 1-based), or space-joined for INLINE."""
    if connector == INLINE:
        return " ".join(sentences)
    return "\n".join(
        indent + connector.format(index=i, item=s) for i, s in enumerate(sentences, start=1)
    )


def _load_yaml(name: str) -> tuple[dict[str, Any], str]:
    node = files("lmforge.crab").joinpath("prompts").joinpath(name)
    where = str(node)
    try:
        data = yaml.safe_load(node.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read layout file: {exc}", path=where) from None
    if not isinstance(data, dict):
        raise InputError("expected a mapping at the top level", path=where)
    return data, where


def _strings(data: dict, key: str, where: str, *, needs: tuple[str, ...] = ()) -> tuple[str, ...]:
    values = data.get(key)
    if not isinstance(values, list) or not values:
        raise InputError("expected a non-empty list of strings", path=where, field=key)
    for i, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            raise InputError("expected a non-empty string", path=where, field=f"{key}[{i}]")
        missing = [n for n in needs if "{" + n + "}" not in value]
        if missing:
            raise InputError(
                f"missing placeholder {{{missing[0]}}}", path=where, field=f"{key}[{i}]"
            )
    return tuple(values)


def _layouts(data: dict, key: str, where: str) -> tuple[Layout, ...]:
    values = data.get(key)
    if not isinstance(values, list) or not values:
        raise InputError("expected a non-empty list of layouts", path=where, field=key)
    out = []
    for i, value in enumerate(values):
        field = f"{key}[{i}]"
        if not isinstance(value, dict) or not isinstance(value.get("text"), str):
            raise InputError("expected {text, indent}", path=where, field=field)
        for name in ("instruction", "constraints"):
            if "{" + name + "}" not in value["text"]:
                raise InputError(f"missing placeholder {{{name}}}", path=where, field=field)
        out.append(Layout(text=value["text"], indent=str(value.get("indent", ""))))
    return tuple(out)


def _connectors(data: dict, key: str, where: str) -> tuple[str, ...]:
    values = _strings(data, key, where)
    for i, value in enumerate(values):
        if value != INLINE and "{item}" not in value:
            raise InputError(
                "a connector needs {item} (or is 'inline')", path=where, field=f"{key}[{i}]"
            )
    return values


@cache
def forward_texts() -> ForwardTexts:
    """The forward layouts (2 basic x 5 prefixes, 8 x 7 connectors, 3 long-instruction ones)."""
    data, where = _load_yaml("compose_forward.yaml")
    return ForwardTexts(
        basic_layouts=_layouts(data, "basic_layouts", where),
        basic_connectors=_connectors(data, "basic_connectors", where),
        layouts=_layouts(data, "layouts", where),
        connectors=_connectors(data, "connectors", where),
        long_layouts=_layouts(data, "long_layouts", where),
    )


def _spec(group: str, index: int, value: Any, where: str) -> OutputSpec:
    field = f"output_specs.{group}[{index}]"
    if not isinstance(value, dict) or not isinstance(value.get("query"), str):
        raise InputError("expected a mapping with a 'query' string", path=where, field=field)
    target, keys = value.get("target"), value.get("json")
    if (target is None) == (keys is None):
        raise InputError("give exactly one of 'target' and 'json'", path=where, field=field)
    wants = {
        "combined": ("refined", "constraints"),
        "refined_only": ("refined",),
        "constraints_only": ("constraints",),
    }[group]
    have = tuple(
        n
        for n in ("refined", "constraints")
        if (keys is not None and n in keys) or (target and "{" + n + "}" in target)
    )
    if have != wants:
        raise InputError(
            f"must use exactly {list(wants)}, uses {list(have)}", path=where, field=field
        )
    item = value.get("item", "{index}. {item}")
    for name in ("item", "quirk_item"):
        form = value.get(name, item)
        if not isinstance(form, str) or "{item}" not in form:
            raise InputError("an item form needs {item}", path=where, field=f"{field}.{name}")
    return OutputSpec(
        group=group,
        index=index,
        query=value["query"],
        target=target,
        json_keys=dict(keys) if keys else None,
        item=item,
        quirk_item=value.get("quirk_item"),
    )


@cache
def reverse_texts() -> ReverseTexts:
    """The reverse phrasings, type descriptions, 15 input layouts and 9/5/5 output specs."""
    data, where = _load_yaml("compose_reverse.yaml")
    described = data.get("type_descriptions")
    if not isinstance(described, dict) or not described:
        raise InputError(
            "expected a mapping of type -> phrasings", path=where, field="type_descriptions"
        )
    specs_raw = data.get("output_specs")
    if not isinstance(specs_raw, dict):
        raise InputError("expected a mapping of spec groups", path=where, field="output_specs")
    specs = {}
    for group in SPEC_GROUPS:
        entries = specs_raw.get(group)
        if not isinstance(entries, list) or not entries:
            raise InputError("expected a non-empty list", path=where, field=f"output_specs.{group}")
        specs[group] = tuple(_spec(group, i, v, where) for i, v in enumerate(entries))
    return ReverseTexts(
        overviews=_strings(data, "overviews", where),
        refine_tasks=_strings(data, "refine_tasks", where),
        add_tasks=_strings(data, "add_tasks", where),
        type_descriptions={k: _strings(described, k, where) for k in described},
        input_layouts=_strings(data, "input_layouts", where, needs=("instruction", "response")),
        specs=specs,
    )


def layout_files() -> list[Path]:
    """Paths of the two data files (for stage signatures and listings)."""
    root = files("lmforge.crab").joinpath("prompts")
    return [Path(str(root.joinpath(n))) for n in ("compose_forward.yaml", "compose_reverse.yaml")]
