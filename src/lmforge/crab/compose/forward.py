"""Forward training data (CRAB stage 2a): instruction + sampled constraints -> original response.

The target is the item's own response, untouched; the constraints were written from it, so the
response satisfies them by construction. Numbers follow the official ``Forward_data_generate.py``
(commit ``12d153d``) with its script arguments (``--min_number 6 --max_number 8 --diverse_rate
0.3 --ICL_rate 0.5``):

* k: with p ``1 - diverse_rate`` uniform in [min(6, L), min(8, L)], else uniform in [1, L];
* instruction: the refined one with p ``max(0, 1 - diverse_rate - 0.1 * overlap)`` (= 0.7 - 0.1 *
  overlap; the official code reuses ``diverse_rate`` here), the original otherwise; whenever the
  refined instruction has fewer words (``str.split(" ")``, as official) than the original, the
  original is used and a "long instruction" layout replaces the chosen one;
* types: priority ``random() - max(count_type / N, 0.5)`` (frequent types drawn less), top k,
  then the sentences are shuffled;
* layout: p ``base_rate`` one of 2 basic layouts x 5 line prefixes, else one of 8 layouts x 7
  connectors (texts in ``prompts/compose_forward.yaml``);
* few-shot: with p ``icl_rate`` 1..3 later items become earlier turns (window of 50 items more
  per try, 10 tries); they are never roots themselves; k is raised to >= 3 (capped at L); earlier
  turns get non-decreasing constraint counts below k (easy to hard).

Deviation (a fix): a shot turn drawn with 0 constraints is the bare instruction, where the
official code leaves an empty constraint block (a dangling "Additional Constraints:").
Seeded: the same ``rng`` state gives the same rows (the official scripts are unseeded, Q3).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .items import ComposeItem, parse_items
from .layouts import INLINE, ForwardTexts, Layout, forward_texts, render_lines

__all__ = ["forward_examples", "shot_map", "type_weights"]

FORWARD_SUFFIX = "_forward"


@dataclass(frozen=True)
class _Style:
    layout: Layout
    connector: str


def type_weights(
    items: list[ComposeItem], counts: Mapping[str, int] | None = None
) -> dict[str, float]:
    """``max(count_type / N, 0.5)`` per type; counts default to the items' own type counts.

    The official script reads the counts of stage 1.6 (before the ROUGE filter); pass them as
    ``counts`` to reproduce that exactly.
    """
    if counts is None:
        counts = Counter(t for item in items for t in item.constraints)
    n = max(len(items), 1)
    return {t: max(c / n, 0.5) for t, c in counts.items()}


def _count(rng: random.Random, length: int, lo: int, hi: int, diverse_rate: float) -> int:
    """k: p ``1 - diverse_rate`` in [min(lo, L), min(hi, L)] (hi = -1: L), else in [1, L]."""
    if rng.random() > diverse_rate:
        low, high = min(lo, length), (length if hi == -1 else min(hi, length))
    else:
        low, high = min(1, length), length
    return rng.randint(low, high)


def _style(rng: random.Random, texts: ForwardTexts, base_rate: float) -> _Style:
    if rng.random() < base_rate:
        return _Style(rng.choice(texts.basic_layouts), rng.choice(texts.basic_connectors))
    return _Style(rng.choice(texts.layouts), rng.choice(texts.connectors))


def _words(text: str) -> int:
    return len(text.split(" "))


def _user_turn(
    item: ComposeItem,
    k: int,
    style: _Style,
    weights: Mapping[str, float],
    rng: random.Random,
    *,
    diverse_rate: float,
    add_weight: float,
    texts: ForwardTexts,
) -> str:
    """One rendered user turn with k of the item's constraints."""
    instruction = item.instruction
    if item.refined and rng.random() > item.overlap * 0.1 + diverse_rate:
        instruction = item.refined
    long_instruction = _words(item.refined) < _words(item.instruction)
    layout = style.layout
    if long_instruction:
        instruction = item.instruction
        layout = rng.choice(texts.long_layouts)
    priority = {t: rng.random() - weights.get(t, add_weight) for t in item.constraints}
    chosen = sorted(priority, key=priority.__getitem__, reverse=True)[:k]
    sentences = [item.constraints[t] for t in chosen]
    rng.shuffle(sentences)
    if not sentences:
        return instruction
    block = render_lines(style.connector, sentences, layout.indent)
    if style.connector != INLINE and not long_instruction:
        block = "\n" + block
    return layout.text.format(instruction=instruction, constraints=block)


def _draw_shots(
    rng: random.Random,
    items: list[ComposeItem],
    i: int,
    banned: set[str],
    wanted: int,
    window: int = 50,
    tries: int = 10,
) -> list[ComposeItem]:
    """Up to ``wanted`` later items, each banned from now on (they must not become roots)."""
    shots: list[ComposeItem] = []
    attempt = 0
    while wanted and attempt < tries and i + 1 < len(items):
        attempt += 1
        end = min(i + attempt * window, len(items))
        shot = items[rng.randrange(i + 1, end)]
        if shot.key not in banned:
            banned.add(shot.key)
            shots.append(shot)
            wanted -= 1
    return shots


def forward_examples(
    items: Iterable[Any],
    rng: random.Random,
    *,
    min_number: int = 6,
    max_number: int = 8,
    diverse_rate: float = 0.3,
    icl_rate: float = 0.5,
    base_rate: float = 0.85,
    shot_num: int = 3,
    add_weight: float = 0.0,
    type_counts: Mapping[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Forward rows ``{id: "<id>_forward", cnt_id, source, messages, Num_Cons, shots}``.

    ``messages`` alternate user/assistant (TRL format); ``shots`` lists the ``<id>_<source>``
    keys of the earlier turns (the official shot map, INFO_forward_ICL.json).
    """
    texts = forward_texts()
    items = parse_items(items)
    weights = type_weights(items, type_counts)
    kw = {"diverse_rate": diverse_rate, "add_weight": add_weight, "texts": texts}
    banned: set[str] = set()
    rows = []
    for i, item in enumerate(items):
        if item.key in banned:
            continue
        length = len(item.constraints)
        k = _count(rng, length, min_number, max_number, diverse_rate)
        style = _style(rng, texts, base_rate)
        wanted = rng.randint(1, shot_num) if rng.random() < icl_rate else 0
        shots = _draw_shots(rng, items, i, banned, wanted)
        if shots:
            k = min(max(k, shot_num), length)
        messages: list[dict[str, str]] = []
        low = 0
        for remaining in range(len(shots), 0, -1):
            shot = shots[len(shots) - remaining]
            count = rng.randint(low, max(low, k - remaining))
            messages += _turn(_user_turn(shot, count, style, weights, rng, **kw), shot.response)
            low = count
        messages += _turn(_user_turn(item, k, style, weights, rng, **kw), item.response)
        rows.append(
            {
                "id": f"{item.id}{FORWARD_SUFFIX}",
                "cnt_id": item.cnt_id,
                "source": item.source,
                "messages": messages,
                "Num_Cons": k,
                "shots": [s.key for s in shots],
            }
        )
    return rows


def _turn(user: str, assistant: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


def shot_map(forward_rows: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Root ``<id>_<source>`` -> its shots' keys, from forward rows (input of stage 2b)."""
    out = {}
    for row in forward_rows:
        root_id = str(row["id"]).removesuffix(FORWARD_SUFFIX)
        out[f"{root_id}_{row['source']}"] = list(row.get("shots", []))
    return out
