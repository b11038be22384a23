"""ROUGE-L de-duplication of an item's constraints (spec A2 stage 1.7, threshold 0.6)."""

from __future__ import annotations

from collections.abc import Mapping

from lmforge.text.overlap import rouge_l

__all__ = ["dedupe_constraints", "overlap_count", "rouge_l"]


def overlap_count(constraints: Mapping[str, str], refined: str, threshold: float = 0.6) -> int:
    """How many constraints restate the refined instruction (lowers its use in stage 2a)."""
    if not refined:
        return 0
    return sum(rouge_l(text, refined) > threshold for text in constraints.values())


def dedupe_constraints(
    constraints: Mapping[str, str], threshold: float = 0.6
) -> tuple[dict[str, str], list[str]]:
    """(kept, removed keys): near-duplicate constraints removed greedily.

    Pairs above the threshold form a conflict graph; nodes are visited once in order of degree
    (most conflicts first, ties in input order) and a node that still has a conflict is removed
    together with its edges, so the fewest constraints go.
    """
    keys = list(constraints)
    edges: dict[str, set[str]] = {k: set() for k in keys}
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if rouge_l(constraints[a], constraints[b]) > threshold:
                edges[a].add(b)
                edges[b].add(a)
    removed: list[str] = []
    for key in sorted(keys, key=lambda k: -len(edges[k])):
        if edges[key]:
            removed.append(key)
            for other in edges.pop(key):
                edges[other].discard(key)
            edges[key] = set()
    kept = {k: v for k, v in constraints.items() if k not in removed}
    return kept, removed
