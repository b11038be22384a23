"""Reverse training data (CRAB stage 2b): from (instruction, response) back to the constraints.

The auxiliary task teaches a model the back-translation itself: given a response and its
original instruction, write the refined instruction and/or the constraints the response
satisfies, in a requested format. Numbers follow the official ``Reverse_data_generate.py``
(``--min_number 3 --max_number 6``):

* one example per forward root, multi-turn with the same shots as its forward example;
* eligible types: in the root AND in every shot AND described in
  ``prompts/compose_reverse.yaml`` (the 15 official types of spec A3; ``Word`` is not one);
* flags: O overview (p 0.7), R refine (p 0.3), A add constraints (p 0.5, forced on when R is off);
* number of types: p 0.7 uniform in [min(3, L), min(6, L)], else in [1, L]; with p 0.3 (when
  every turn still has a constraint left over) the pseudo-type ``Others`` is appended, whose
  target is a random remaining constraint of that turn's item;
* user turn = overview / refine task / add task + type descriptions, the output-format spec,
  then (response, original instruction) in one of 15 layouts; assistant turn = the refined
  instruction and/or the item's own constraint sentences for the sampled types, in that order,
  serialised as the spec demands (9 combined, 5 refined-only, 5 constraints-only specs).

Fixes (official behaviour behind ``faithful_quirks=True`` where it changes the text): JSON
targets are valid JSON (Q7); see :mod:`.targets`. Always: an R turn needs a refined instruction
in every turn (otherwise R is off), and a root left with nothing to predict (no refined
instruction, no eligible type) gets no reverse example, where the official code wrote an empty
target.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lmforge.errors import InputError

from .items import ComposeItem, parse_items
from .layouts import OutputSpec, ReverseTexts, reverse_texts
from .targets import describe_types, serialise_target

__all__ = ["OTHERS", "REVERSE_SUFFIX", "reverse_examples"]

OTHERS = "Others"
REVERSE_SUFFIX = "_reverse"


@dataclass(frozen=True)
class _Plan:
    """What one reverse example asks for; shared by all its turns."""

    overview: bool
    refine: bool
    types: list[str]
    spec: OutputSpec
    head: str
    input_layout: str


def _flags(rng: random.Random) -> tuple[bool, bool, bool]:
    overview = rng.random() > 0.3
    refine = rng.random() > 0.7
    add = rng.random() > 0.5
    return overview, refine, add or not refine


def _eligible(root: ComposeItem, shots: list[ComposeItem], described: Mapping) -> list[str]:
    return [
        t
        for t in root.constraints
        if t != OTHERS and t in described and all(t in s.constraints for s in shots)
    ]


def _plan(
    rng: random.Random,
    root: ComposeItem,
    shots: list[ComposeItem],
    texts: ReverseTexts,
    min_number: int,
    max_number: int,
) -> _Plan | None:
    overview, refine, add = _flags(rng)
    if refine and not all(t.refined for t in [*shots, root]):
        refine, add = False, True
    eligible = _eligible(root, shots, texts.type_descriptions)
    length = len(eligible)
    if rng.random() > 0.3:
        low, high = min(min_number, length), min(max_number, length)
    else:
        low, high = min(1, length), length
    k = rng.randint(low, high)
    types: list[str] = []
    if add:
        types = rng.sample(eligible, k)
        spare = all(len(types) < len(t.constraints) for t in [root, *shots])
        if spare and rng.random() > 0.7:
            types.append(OTHERS)
        if not types:
            if not refine:
                return None  # nothing to predict
            add = False
    group = "combined" if refine and add else ("refined_only" if refine else "constraints_only")
    spec = rng.choice(texts.specs[group])
    parts = []
    if overview:
        parts.append(rng.choice(texts.overviews))
    if refine:
        parts.append(rng.choice(texts.refine_tasks))
    if add:
        described = [rng.choice(texts.type_descriptions[t]) for t in types]
        parts.append(rng.choice(texts.add_tasks) + "\n" + describe_types(spec, described))
    head = "\n".join(parts) + "\n\n" + spec.query + "\n\n"
    return _Plan(overview, refine, types, spec, head, rng.choice(texts.input_layouts))


def _resolve(rng: random.Random, item: ComposeItem, types: list[str]) -> list[str]:
    """The plan's types for one item, ``Others`` replaced by a random remaining type."""
    resolved = [t for t in types if t != OTHERS]
    if OTHERS in types:
        rest = [t for t in item.constraints if t not in types]
        resolved.append(rng.choice(rest))
    return resolved


def _turns(
    rng: random.Random, plan: _Plan, turn_items: list[ComposeItem], faithful_quirks: bool
) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    messages, meta = [], []
    for item in turn_items:
        user = plan.head + plan.input_layout.format(
            response=item.response, instruction=item.instruction
        )
        resolved = _resolve(rng, item, plan.types) if plan.types else []
        target = serialise_target(
            plan.spec,
            refined=item.refined if plan.refine else None,
            constraints=[item.constraints[t] for t in resolved] if plan.types else None,
            faithful_quirks=faithful_quirks,
        )
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": target}]
        meta.append({"key": item.key, "types": resolved})
    return messages, meta


def reverse_examples(
    items: Iterable[Any],
    rng: random.Random,
    shot_map: Mapping[str, list[str]],
    *,
    min_number: int = 3,
    max_number: int = 6,
    faithful_quirks: bool = False,
) -> list[dict[str, Any]]:
    """Reverse rows ``{id: "<id>_reverse", cnt_id, source, messages, shots, _meta}``.

    ``shot_map``: root ``<id>_<source>`` -> shot keys, from :func:`.forward.shot_map`; one row
    per root, in the map's order. ``_meta`` records the spec, flags and the resolved types of
    every turn (what the target lists, in order).
    """
    texts = reverse_texts()
    by_key = {item.key: item for item in parse_items(items)}
    rows = []
    for root_key, shot_keys in shot_map.items():
        missing = [k for k in [root_key, *shot_keys] if k not in by_key]
        if missing:
            raise InputError(
                f"names {missing[0]!r}, which is not among the items", field="shot_map"
            )
        root, shots = by_key[root_key], [by_key[k] for k in shot_keys]
        plan = _plan(rng, root, shots, texts, min_number, max_number)
        if plan is None:
            continue
        messages, turns = _turns(rng, plan, [*shots, root], faithful_quirks)
        rows.append(
            {
                "id": f"{root.id}{REVERSE_SUFFIX}",
                "cnt_id": root.cnt_id,
                "source": root.source,
                "messages": messages,
                "shots": list(shot_keys),
                "_meta": {
                    "spec": plan.spec.name,
                    "overview": plan.overview,
                    "refine": plan.refine,
                    "types": plan.types,
                    "turns": turns,
                },
            }
        )
    return rows
