"""Word lists of the trigger heuristic and of the LLM trigger check (English)."""

from __future__ import annotations

__all__ = ["BEFORE", "EVENT_VERBS", "FUNCTION_WORDS", "NOT_EVENT_NOUNS", "SUFFIXES"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BEFORE = _words(
    """
    may might could would can will shall should must to not n't never did does do was were
    is are be been has have had
    """
)
"""Words after which the next word is taken as a verb (an event)."""
SUFFIXES = ("ed", "ing", "tion", "sion", "ment", "ance", "ence", "ure", "al")
"""Verb and nominal event endings (-ed, -ing, -tion, ...)."""
EVENT_VERBS = _words(
    """
    say said says go went win won lose lost sign meet met buy sell sold rise rose fall fell
    announce agree vote die attack strike struck hold held launch open close grow make made
    take took give gave leave left come came start begin began end reach
    """
)
"""Common event verbs the endings miss."""
FUNCTION_WORDS = _words(
    """
    the a an and or but of in on at for with by from as that this these those it its he she
    they we you i his her their our your who which what when where there here than then also
    very more most so such not no never may might could would can will shall should must to
    did does do was were is are be been has have had being during
    """
)
"""Articles, pronouns, prepositions, conjunctions, negations, modals and auxiliaries: never an
event trigger (the LLM trigger check rejects them too)."""
NOT_EVENT_NOUNS = _words("hospital capital several general national total final usual natural")
"""Words with an event ending that are not events."""
