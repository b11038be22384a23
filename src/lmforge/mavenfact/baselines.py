"""Two baselines that need no model: the majority class, and a cue-word rule.

``majority`` labels every mention CT+, the majority class of MAVEN-Fact and of MEANTIME (87.5%
of its mentions); its macro-F1 is the floor any classifier must beat (a fifth of CT+'s F1).
``cues`` looks for negation and possibility cue words (spec §5's lexicons) among the few
tokens before the trigger and in the trigger itself: negation alone -> CT-, possibility alone
-> PS+, both -> PS-, reported speech or conditional "if" -> Uu, nothing -> CT+.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["BASELINES", "baseline_label", "cue_label"]

NEGATION = frozenset(
    [
        "not",
        "n't",
        "no",
        "never",
        "neither",
        "nor",
        "without",
        "fail",
        "failed",
        "fails",
        "prevent",
        "prevented",
        "stop",
        "stopped",
        "deny",
        "denied",
        "refuse",
        "refused",
    ]
)
POSSIBILITY = frozenset(
    [
        "may",
        "might",
        "could",
        "would",
        "can",
        "should",
        "possibly",
        "perhaps",
        "likely",
        "probably",
        "plan",
        "plans",
        "planned",
        "try",
        "tried",
        "tries",
        "seek",
        "sought",
        "aim",
        "intend",
        "intends",
        "expect",
        "expected",
        "hope",
        "hoped",
        "want",
        "wants",
        "proposed",
        "potential",
    ]
)
UNCOMMITTED = frozenset(["if", "whether", "unless"])
WINDOW = 5
"""Tokens before the trigger in which a cue counts."""
BASELINES = ("majority", "cues")


def _before(text: str) -> list[str]:
    head = text.split("<e>", 1)[0]
    return re.findall(r"[\w']+", head.lower())[-WINDOW:]


def cue_label(text: str) -> str:
    """The cue rule's label for a mention text with ``<e> ... </e>``."""
    words = set(_before(text))
    negated, possible = bool(words & NEGATION), bool(words & POSSIBILITY)
    if words & UNCOMMITTED:
        return "Uu"
    if negated and possible:
        return "PS-"
    if negated:
        return "CT-"
    if possible:
        return "PS+"
    return "CT+"


def baseline_label(name: str, row: dict[str, Any]) -> str:
    """The label baseline ``name`` gives the mention row."""
    if name == "majority":
        return "CT+"
    if name == "cues":
        return cue_label(row["text"])
    raise ValueError(f"unknown baseline {name!r} (expected one of {', '.join(BASELINES)})")
