"""Serialising reverse targets exactly as the chosen output spec demands.

A reverse example teaches a model to write constraints in a requested format, so the target must
be what the query asks for, byte for byte. JSON targets are built with :func:`json.dumps`: the
official templates paste constraint sentences between quotes unescaped (quirk Q7), so a sentence
such as ``include the keywords "GPU", "VRAM"`` produced invalid JSON in the training data.
``faithful_quirks=True`` reproduces that insertion (and the numbered items of the one spec whose
query asks for "> " lines).
"""

from __future__ import annotations

import json

from .layouts import OutputSpec, render_lines

__all__ = ["describe_types", "serialise_target"]


def _item_form(spec: OutputSpec, faithful_quirks: bool) -> str:
    return spec.quirk_item if (faithful_quirks and spec.quirk_item) else spec.item


def _json_target(
    spec: OutputSpec, refined: str | None, constraints: list[str] | None, faithful_quirks: bool
) -> str:
    keys = spec.json_keys or {}
    obj: dict[str, object] = {}
    if refined is not None:
        obj[keys["refined"]] = refined
    if constraints is not None:
        obj[keys["constraints"]] = list(constraints)
    if not faithful_quirks:
        return json.dumps(obj, ensure_ascii=False, indent=4)
    # the official shape: values pasted between quotes, fields joined by ", \n"
    fields = []
    for key, value in obj.items():
        if isinstance(value, list):
            fields.append(f'    "{key}": [' + ", ".join(f'"{v}"' for v in value) + "]")
        else:
            fields.append(f'    "{key}": "{value}"')
    return "{\n" + ", \n".join(fields) + "\n}"


def serialise_target(
    spec: OutputSpec,
    *,
    refined: str | None,
    constraints: list[str] | None,
    faithful_quirks: bool = False,
) -> str:
    """The assistant turn: the refined instruction and/or the constraint sentences, in order.

    ``refined``/``constraints`` are None when the spec's group does not ask for them.
    """
    if spec.json_keys is not None:
        return _json_target(spec, refined, constraints, faithful_quirks)
    assert spec.target is not None
    values = {}
    if refined is not None:
        values["refined"] = refined
    if constraints is not None:
        values["constraints"] = render_lines(_item_form(spec, faithful_quirks), constraints)
    return spec.target.format(**values)


def describe_types(spec: OutputSpec, descriptions: list[str]) -> str:
    """The list of type descriptions shown in the prompt, in the spec's own item form."""
    return render_lines(spec.item, descriptions)
