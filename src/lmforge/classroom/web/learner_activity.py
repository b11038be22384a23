"""An offline keyword classifier of learner messages into the activity types of MAIC (spec §3.3).

Why keywords: the deployment study coded in-class student activity by hand (60.9% asking
questions, about 11% managing the class: progress such as "go back a slide", members such as
"explain more simply"; the rest expressing opinions, discussing/verifying, answering); spec
§5.3 asks for a keyword classifier offline with an LLM as an option. The rules run in a fixed
order and the first that matches wins: managing before asking, because a request like "can you
explain more simply?" steers the class even though it ends with a question mark.
"""

from __future__ import annotations

import re

__all__ = ["ACTIVITY_TYPES", "classify_learner_message"]

ACTIVITY_TYPES = ("asking", "managing", "opinion", "discussing", "answering", "other")
"""The study's categories, in the order the dashboard lists them."""

_MANAGING = re.compile(
    r"\b(next (slide|page|part|topic)|previous (slide|page)|go back|move on|skip|"
    r"continue|slow(er| down)|faster|speed up|pause|stop|repeat|again|"
    r"more simpl[ey]|simpler|in simple terms|louder|quiet|be quiet|shut up|"
    r"let me (speak|talk|ask)|(teacher|assistant|clown|note taker|thinker),? (please )?"
    r"(stop|wait)|stay on topic|back to the (lesson|topic))\b",
    re.IGNORECASE,
)
_ASKING = re.compile(
    r"(\?|^\s*(what|why|how|when|where|who|which|whom|whose|is|are|was|were|do|does|did|"
    r"can|could|would|should|will|may|might|shall)\b|\b(i wonder|i don't understand|"
    r"i do not understand|explain|what does .* mean|tell me)\b)",
    re.IGNORECASE,
)
_ANSWERING = re.compile(
    r"^\s*([a-f](\s*[,&]?\s*[a-f])*|yes|no|yeah|yep|nope|ok(ay)?|sure|true|false|"
    r"the answer is\b.*|because\b.*)\s*[.!]?\s*$",
    re.IGNORECASE,
)
_OPINION = re.compile(
    r"\b(i think|i believe|i feel|in my (opinion|view)|i like|i love|i prefer|i hate|"
    r"i guess|personally|interesting|cool|boring|amazing|great)\b",
    re.IGNORECASE,
)
_DISCUSSING = re.compile(
    r"\b(agree|disagree|but|however|actually|so that means|that means|in other words|"
    r"for example|on the other hand|similar(ly)?|compared? (to|with)|unlike|correct me|"
    r"let me check|i see|makes sense|that's right|that is right)\b",
    re.IGNORECASE,
)
_RULES = (
    ("managing", _MANAGING),
    ("asking", _ASKING),
    ("answering", _ANSWERING),
    ("opinion", _OPINION),
    ("discussing", _DISCUSSING),
)


def classify_learner_message(text: str) -> str:
    """One of `ACTIVITY_TYPES` for a learner's message (the first matching rule)."""
    text = (text or "").strip()
    if not text:
        return "other"
    for name, pattern in _RULES:
        if pattern.search(text):
            return name
    return "other"
