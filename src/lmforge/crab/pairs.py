"""Input of back-translation: (instruction, response) pairs, flat or as TRL ``messages``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lmforge.errors import InputError
from lmforge.pipeline.records import iter_jsonl, record_id

__all__ = ["load_pairs", "pair_from_row"]


def _turn(messages: list[Any], role: str) -> tuple[int, dict[str, Any]] | None:
    return next(
        ((i, m) for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == role),
        None,
    )


def pair_from_row(row: dict[str, Any], *, path: str | Path, line: int) -> dict[str, Any]:
    """``{id, instruction, response}`` from a flat row or the first user/assistant turns."""
    if "messages" in row and not ("instruction" in row and "response" in row):
        messages = row["messages"]
        if not isinstance(messages, list):
            raise InputError(
                "must be a list of {role, content}", path=path, line=line, field="messages"
            )
        user, reply = _turn(messages, "user"), _turn(messages, "assistant")
        if user is None or reply is None:
            raise InputError(
                "needs a user and an assistant turn", path=path, line=line, field="messages"
            )
        texts = {f"messages[{i}].content": turn.get("content") for i, turn in (user, reply)}
    else:
        for name in ("instruction", "response"):
            if name not in row:
                raise InputError(
                    "missing required field (or give 'messages')", path=path, line=line, field=name
                )
        texts = {"instruction": row["instruction"], "response": row["response"]}
    for name, value in texts.items():
        if not isinstance(value, str) or not value.strip():
            raise InputError("must be a non-empty string", path=path, line=line, field=name)
    given = row.get("id")
    if isinstance(given, bool) or not (given is None or isinstance(given, str | int)):
        raise InputError("expected a string or an integer", path=path, line=line, field="id")
    instruction, response = texts.values()
    pair = {"instruction": instruction, "response": response}
    pair["id"] = record_id({"id": given, **pair})
    if "source" in row:
        if not isinstance(row["source"], str) or not row["source"].strip():
            raise InputError("must be a non-empty string", path=path, line=line, field="source")
        pair["source"] = row["source"]
    return pair


def load_pairs(path: str | Path) -> list[dict[str, Any]]:
    """Every pair of a JSONL file, checked up front so a bad row stops the run before any call."""
    return [pair_from_row(row, path=path, line=line) for line, row in iter_jsonl(path)]
