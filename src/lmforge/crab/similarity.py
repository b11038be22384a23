"""ROUGE-L de-duplication of an item's constraints (spec A2 stage 1.7, threshold 0.6).

ROUGE-L F1 is computed here over lower-cased word tokens (the official scripts call the
``rouge`` package, whose tokenisation differs slightly; scores agree on ordinary sentences).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["dedupe_constraints", "overlap_count", "rouge_l"]

_WORD = re.compile(r"\w+")


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _lcs(a: list[str], b: list[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 (beta = 1) of two texts; 0.0 when either has no words."""
    a, b = _tokens(candidate), _tokens(reference)
    if not a or not b:
        return 0.0
    lcs = _lcs(a, b)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


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
