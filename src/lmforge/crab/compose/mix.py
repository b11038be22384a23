"""Mixing forward, reverse and general conversations into one SFT set (CRAB stage 2c).

Numbers follow the official ``mix_forward_reverse.py`` with its script arguments
(``--forward_rate 0.70 --max_num 13500 --sharegpt_num 53000 --word_limit 100000
--dataset_limit 10000``, seed 36), which give the released Crab-SFT: 9,450 forward + 4,050
reverse + 53,000 ShareGPT = 66,500 conversations.

* forward: shuffled, taken while fewer than ``min(max_num, |F|) * forward_rate`` (the official
  loop condition, i.e. the ceiling of that product), skipping rows over ``word_limit``
  whitespace words and rows of a source that already has ``dataset_limit``;
* reverse: shuffled, fill up to ``max_num`` in total, skipping any item already used as a
  forward root or shot (a model must not see the answer of a reverse example as a forward
  target, and vice versa);
* extra (ShareGPT-style) conversations: ``extra_num`` sampled at random, appended.

Output rows are ``{id, cnt_id, source, messages}``, as in Crab-SFT.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lmforge.errors import InputError
from lmforge.pipeline.records import iter_jsonl, read_json_list

__all__ = ["conversation_messages", "load_conversations", "mix", "mix_counts"]

ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "chatgpt": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "assistant": "assistant",
    "system": "system",
}
"""ShareGPT ``from`` values -> TRL roles (the speakers found in ShareGPT Vicuna)."""

SUFFIXES = ("_forward", "_reverse")


def _words(messages: Iterable[Mapping[str, Any]]) -> int:
    return sum(len(str(m["content"]).split(" ")) for m in messages)


def _too_long(messages: Sequence[Mapping[str, Any]], word_limit: int) -> bool:
    """Official ``check_length``: whitespace words (``split(" ")``) over the limit.

    A text of n characters has at most n + 1 such words, so short rows skip the split.
    """
    if sum(len(str(m["content"])) + 1 for m in messages) <= word_limit:
        return False
    return _words(messages) > word_limit


def _root_key(row: Mapping[str, Any]) -> str:
    root_id = str(row["id"])
    for suffix in SUFFIXES:
        root_id = root_id.removesuffix(suffix)
    return f"{root_id}_{row['source']}"


def _out(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "cnt_id": str(row.get("cnt_id", row["id"])),
        "source": row["source"],
        "messages": row["messages"],
    }


def conversation_messages(row: Mapping[str, Any], where: str = "<extra>") -> list[dict[str, str]]:
    """TRL messages of a ShareGPT row (``conversations: [{from, value}]``) or a messages row."""
    if "messages" in row:
        turns = row["messages"]
        if not isinstance(turns, list) or not turns:
            raise InputError(
                "expected a non-empty list of {role, content}", path=where, field="messages"
            )
        for i, turn in enumerate(turns):
            if not (
                isinstance(turn, Mapping)
                and isinstance(turn.get("role"), str)
                and isinstance(turn.get("content"), str)
            ):
                raise InputError(
                    "expected {role, content} with string values",
                    path=where,
                    field=f"messages[{i}]",
                )
        return [{"role": m["role"], "content": m["content"]} for m in turns]
    turns = row.get("conversations")
    if not isinstance(turns, list):
        raise InputError("missing 'conversations' (ShareGPT) or 'messages' (TRL)", path=where)
    messages = []
    for i, turn in enumerate(turns):
        speaker = turn.get("from") if isinstance(turn, Mapping) else None
        if speaker not in ROLES or not isinstance(turn.get("value"), str):
            raise InputError(
                f"unknown speaker {speaker!r} or missing text (known: {', '.join(sorted(ROLES))})",
                path=where,
                field=f"conversations[{i}]",
            )
        messages.append({"role": ROLES[speaker], "content": turn["value"]})
    return messages


def load_conversations(path: str | Path) -> list[dict[str, Any]]:
    """Extra conversations from JSONL (or a JSON list, as ShareGPT dumps are), checked."""
    path = Path(path)
    if path.suffix == ".json":
        data = read_json_list(path, what="conversations")
        numbered = list(enumerate(data, start=1))
        where = f"{path} item"
    else:
        numbered = list(iter_jsonl(path))
        where = str(path)
    for line, row in numbered:
        if not isinstance(row, Mapping):
            raise InputError("expected a JSON object", path=where, line=line)
        conversation_messages(row, f"{where}:{line}")
    return [row for _, row in numbered]


def _take_forward(
    rows: list[dict], limit: float, word_limit: int, dataset_limit: int, banned: set[str]
) -> list[dict[str, Any]]:
    taken: list[dict[str, Any]] = []
    per_source: dict[str, int] = {}
    for row in rows:
        if len(taken) >= limit:
            break
        key = _root_key(row)
        if key in banned or _too_long(row["messages"], word_limit):
            continue
        if per_source.get(row["source"], 0) >= dataset_limit:
            continue
        per_source[row["source"]] = per_source.get(row["source"], 0) + 1
        taken.append(_out(row))
        banned.add(key)
        banned.update(row.get("shots", []))
    return taken


def _take_reverse(
    rows: list[dict], room: int, word_limit: int, banned: set[str]
) -> list[dict[str, Any]]:
    taken: list[dict[str, Any]] = []
    for row in rows:
        if len(taken) >= room:
            break
        key = _root_key(row)
        if key in banned or _too_long(row["messages"], word_limit):
            continue
        taken.append(_out(row))
        banned.add(key)  # as official: a reverse row bans its root, not its shots
    return taken


def mix(
    forward: Sequence[Mapping[str, Any]],
    reverse: Sequence[Mapping[str, Any]],
    rng: random.Random,
    *,
    forward_rate: float = 0.70,
    max_num: int = 13500,
    extra: Sequence[Mapping[str, Any]] | None = None,
    extra_num: int = 53000,
    dataset_limit: int = 10000,
    word_limit: int = 100000,
) -> list[dict[str, Any]]:
    """Forward rows, then reverse rows, then extra conversations (official order, no shuffle).

    ``extra`` rows are ShareGPT (``conversations``) or TRL (``messages``); their ``id`` is kept,
    ``cnt_id`` is their position in the sample, ``source`` defaults to ``sharegpt``.
    """
    if not 0 <= forward_rate <= 1:
        raise InputError(f"forward_rate must be in [0, 1], got {forward_rate}")
    sampled = rng.sample(list(extra), min(extra_num, len(extra))) if extra else []
    forward_rows, reverse_rows = list(forward), list(reverse)
    rng.shuffle(forward_rows)
    rng.shuffle(reverse_rows)
    # round() only removes float noise (13500 * 0.7 must be 9450, not 9450.000000001)
    limit = math.ceil(round(min(max_num, len(forward_rows)) * forward_rate, 9))
    banned: set[str] = set()
    out = _take_forward(forward_rows, limit, word_limit, dataset_limit, banned)
    out += _take_reverse(reverse_rows, max_num - len(out), word_limit, banned)
    for i, row in enumerate(sampled):
        messages = conversation_messages(row)
        if not messages or _too_long(messages, word_limit):
            continue
        row_id = row.get("id", f"extra_{i}")
        out.append(
            {
                "id": str(row_id),
                "cnt_id": str(i),
                "source": str(row.get("source", "sharegpt")),
                "messages": messages,
            }
        )
    return out


def mix_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many mixed rows are forward, reverse and extra (by id suffix)."""
    counts = {"forward": 0, "reverse": 0, "extra": 0}
    for row in rows:
        row_id = str(row["id"])
        kind = next((s[1:] for s in SUFFIXES if row_id.endswith(s)), "extra")
        counts[kind] += 1
    return counts
