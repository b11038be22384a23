"""LongBench-Write's length score S_l and its length buckets, exactly as the official code has them.

Lengths are counted with :func:`lmforge.text.count_words` (the official rule: CJK characters plus
``\\b[a-zA-Z]+\\b`` words), so a required length means words in English and characters in
Chinese, as in the benchmark's prompts.
"""

from __future__ import annotations

from collections.abc import Iterable

from lmforge.text.count import count_words

__all__ = [
    "BUCKETS",
    "count_words",
    "length_bucket",
    "length_score",
    "mean",
]

BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("[0,500)", 0, 500),
    ("[500,2k)", 500, 2000),
    ("[2k,4k)", 2000, 4000),
    ("[4k,20k]", 4000, float("inf")),
)
"""(label, low, high) with ``low <= length < high``: the paper's ranges. The last is open so
that 20,000 (and LongWrite-Ruler's 30,000) land in it."""


def length_score(required: float, produced: float, *, official: bool = False) -> float:
    """S_l in [0, 100] for an output of ``produced`` units against ``required``.

    Overshooting loses a third of the score per 100% excess (0 at four times the length),
    undershooting half per 100% of ``required/produced - 1`` (0 at a third of the length): a
    short answer is the failure the benchmark exists to measure, so it costs more.

    An empty output scores 0. The official ``eval_length.py`` divides by the output length and
    crashes there; ``official=True`` keeps that (``ZeroDivisionError``) for anyone who needs the
    reference behaviour bit for bit.
    """
    if required <= 0:
        raise ValueError(f"required length must be positive, got {required}")
    if produced < 0:
        raise ValueError(f"output length cannot be negative, got {produced}")
    if produced == 0 and not official:
        return 0.0
    if produced > required:
        return 100 * max(0.0, 1 - (produced / required - 1) / 3)
    return 100 * max(0.0, 1 - (required / produced - 1) / 2)


def length_bucket(required: float) -> str:
    """The paper's range label of a required length ([0,500), [500,2k), [2k,4k), [4k,20k])."""
    for label, low, high in BUCKETS:
        if low <= required < high:
            return label
    raise ValueError(f"required length must be >= 0, got {required}")


def mean(values: Iterable[float]) -> float | None:
    """Plain mean, None for no values: an empty bucket has no score rather than a zero one."""
    items = list(values)
    return sum(items) / len(items) if items else None
