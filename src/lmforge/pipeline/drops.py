"""Records a stage leaves out on purpose: ``Drop``, the sidecar file, and reading it back.

A drop is a verdict, not a failure: the record was looked at and does not belong in the output
(AgentWrite's text came out too short, CRAB kept no constraint). Failures are retried on the next
run; a drop is final, so resuming must not pay for it again. That is why a drop gets its own
file next to the stage output (``records.dropped.jsonl``: ``id``, ``reason``, ``_meta``) whose ids
count as done, and its own counts in the run summary (``dropped``, ``drops`` by reason).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .records import META, given_id, iter_jsonl, record_id

__all__ = ["DROPPED_SUFFIX", "Drop", "drop_row", "dropped_path", "dropped_reasons"]

DROPPED_SUFFIX = ".dropped.jsonl"


class Drop:
    """What a stage function returns instead of a row to leave its record out.

    ``return Drop("too_short", words=12)``: the record leaves the stage output (and so never
    reaches a later stage), goes to the sidecar with ``reason`` and ``meta`` under ``_meta``, is
    counted by reason, and is not retried when the run resumes. Returning (rather than raising)
    keeps exceptions for failures, which *are* retried.
    """

    __slots__ = ("meta", "reason")

    def __init__(self, reason: str, **meta: Any) -> None:
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("Drop needs a non-empty reason")
        self.reason = reason
        self.meta = meta

    def __repr__(self) -> str:
        return f"Drop({self.reason!r}, **{self.meta!r})"


def drop_row(rid: str, record: dict[str, Any], drop: Drop, accounting: dict[str, Any]) -> dict:
    """The sidecar row: the id as given, the reason, and the stage's meta plus its accounting."""
    return {
        "id": given_id(record, rid),
        "reason": drop.reason,
        META: {**drop.meta, **accounting},
    }


def dropped_path(output: Path) -> Path:
    """``out/records.jsonl`` -> ``out/records.dropped.jsonl`` (shard suffixes kept)."""
    return output.with_suffix(DROPPED_SUFFIX)


def dropped_reasons(path: Path) -> dict[str, str]:
    """id -> reason of every record an earlier run of this stage dropped."""
    if not path.exists():
        return {}
    rows = iter_jsonl(path, allow_empty=True, tolerate_torn_tail=True)
    return {record_id(row): str(row.get("reason", "")) for _, row in rows}
