"""The five MAVEN-Fact labels, in the official code's order, and how loose spellings map to them.

The official code numbers them ``label2id = {CT+: 0, CT-: 1, PS+: 2, PS-: 3, Uu: 4}``; every
table, confusion matrix and classifier head here keeps that order. ``CT-`` is spelled with an
ASCII hyphen as in the data files; a typographic minus (``CT−``, what the paper prints) is read
as the same label.
"""

from __future__ import annotations

__all__ = ["INVALID", "LABELS", "LABEL2ID", "MISSING", "NON_FACTUAL", "normalise_label"]

LABELS: tuple[str, ...] = ("CT+", "CT-", "PS+", "PS-", "Uu")
LABEL2ID: dict[str, int] = {label: i for i, label in enumerate(LABELS)}
NON_FACTUAL: tuple[str, ...] = ("CT-", "PS+", "PS-")
"""The labels whose mentions carry supporting (cue) words in MAVEN-Fact."""
INVALID = "invalid"
"""The bucket of a prediction whose label is absent or not one of the five (counted wrong)."""
MISSING = "missing"
"""The bucket of a gold mention that has no prediction row at all (counted wrong)."""

_ALIASES = {
    "ct+": "CT+",
    "ct-": "CT-",
    "ct−": "CT-",
    "ct–": "CT-",
    "ps+": "PS+",
    "ps-": "PS-",
    "ps−": "PS-",
    "ps–": "PS-",
    "uu": "Uu",
}


def normalise_label(value: object) -> str | None:
    """The canonical label of ``value`` (case and minus sign forgiven), None if it is none."""
    if not isinstance(value, str):
        return None
    return _ALIASES.get(value.strip().lower())
