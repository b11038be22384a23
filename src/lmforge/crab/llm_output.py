"""Reading what the constraint writer and checker reply (spec A2 stages 1.3 and 1.6).

Each function takes an ``official`` switch. Off (the default) is the fixed behaviour: the shared
JSON ladder instead of the official two tries, keys with stray spaces trimmed, and the checker's
rewrite of "text" to "response" applied to the whole word only. On reproduces the official
scripts, whose rewrite hits the first "text" anywhere ("context" becomes "conresponse", Q6) and
whose parser keeps keys such as " Hierarchical_Instructions" with a leading space.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from lmforge.pipeline.jsonladder import ParseFailure, extract_json

__all__ = [
    "CHECK_KEYS",
    "SYMBOL_FILTERED",
    "apply_check",
    "parse_constraint_json",
    "parse_refined_instruction",
    "symbol_filter",
]

SYMBOL_FILTERED = ("Key_Formatting", "Item_Listing_Details", "Paragraphs_Constraints")
"""Local types whose constraint is dropped when it names a symbol the response never uses."""
SYMBOLS = ("******", "**", "*", "•", "1.", "-")
CHECK_KEYS = ("satisfaction", "modified_constraint", "constraint_validity")
_PREAMBLE = re.compile(r"refined instruction:\s*\n\s*\n", re.IGNORECASE)


def parse_refined_instruction(text: str, *, official: bool = False) -> str:
    """Unquote a quoted reply and drop a "Refined instruction:" preamble.

    Raises :class:`ParseFailure` when nothing is left (``""``, a bare preamble): an empty
    instruction must not replace the original one.
    """
    body = text.strip()
    try:
        value = ast.literal_eval(body)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        value = body
    body = value if isinstance(value, str) else body
    if official:
        marker = "refined instruction:\n\n"
        refined = body.split(marker, 1)[1] if marker in body else body
    else:
        found = _PREAMBLE.search(body)
        refined = (body[found.end() :] if found else body).strip()
    if not refined.strip():
        raise ParseFailure("empty refined instruction", text)
    return refined


def _official_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        parts = text.split("\n\n")
        if len(parts) < 2:
            raise
        return json.loads(parts[1])


def parse_constraint_json(text: str, *, official: bool = False) -> dict[str, str]:
    """The constraints of a global/local reply, "NULL" values left out.

    Raises :class:`ParseFailure` when no JSON object can be read; keys the model invents are kept
    (the official data is full of them).
    """
    try:
        data = _official_json(text) if official else extract_json(text, expect=dict)
    except (json.JSONDecodeError, ParseFailure) as exc:
        raise ParseFailure("no JSON object of constraints", text, str(exc)) from exc
    if not isinstance(data, dict):
        raise ParseFailure("constraints are not a JSON object", text)
    out: dict[str, str] = {}
    for key, value in data.items():
        if value is None or not isinstance(value, str | int | float):
            continue
        value = str(value).strip()
        if not value or value.upper() in ("NULL", "NONE", "N/A"):
            continue
        out[key if official else str(key).strip()] = value
    return out


def symbol_filter(type_key: str, constraint: str, response: str) -> str | None:
    """The constraint as kept after the local post-filter, or None when it is dropped.

    A formatting constraint naming a marker the response does not contain would teach the model
    to ignore the constraint; "no use of CAPITAL LETTERS" loses its last comma clause, as the
    official filter does.
    """
    if type_key.strip() not in SYMBOL_FILTERED:
        return constraint
    if any(symbol in constraint and symbol not in response for symbol in SYMBOLS):
        return None
    if type_key.strip() == "Key_Formatting" and "no use of CAPITAL LETTERS" in constraint:
        constraint = ",".join(constraint.split(",")[:-1]) or constraint
    return constraint


def apply_check(constraint: str, reply: str, *, official: bool = False) -> str | None:
    """The constraint after the checker's verdict: unchanged, rewritten, or None (deleted).

    An unreadable verdict keeps the constraint, as the official step does. A "NO" with an empty
    rewrite deletes it (the official code would keep an empty constraint).
    """
    try:
        verdict = _official_json(reply) if official else extract_json(reply, expect=dict)
    except (json.JSONDecodeError, ParseFailure):
        return constraint
    if not isinstance(verdict, dict) or not all(k in verdict for k in CHECK_KEYS):
        return constraint
    if str(verdict["satisfaction"]).strip().upper() != "NO":
        return constraint
    if str(verdict["constraint_validity"]).strip().upper() == "NO":
        return None
    modified = str(verdict["modified_constraint"] or "")
    if official:
        return modified.replace("text", "response", 1)
    modified = re.sub(r"\btext\b", "response", modified.strip(), count=1)
    return modified or None
