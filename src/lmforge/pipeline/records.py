"""JSONL in and out: every bad row is reported with its file and line, nothing is half-written.

Rows are plain dicts. Each has a stable ``id``: the one given, or a hash of its content, so that a
rerun over the same input recognises the records it already finished.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from lmforge.errors import InputError
from lmforge.inputs import decode, iter_lines, loads_json, read_json

META = "_meta"
M = TypeVar("M", bound=BaseModel)


def content_id(row: dict[str, Any]) -> str:
    """16 hex digits of the SHA-256 of the row's canonical JSON (``_meta`` left out)."""
    body = {k: v for k, v in row.items() if k != META}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def record_id(row: dict[str, Any]) -> str:
    given = row.get("id")
    if given is None or given == "":
        return content_id(row)
    return str(given)


def given_id(record: dict[str, Any], rid: str) -> Any:
    """The id an output row carries: the record's own ``id`` as given (not made a string),
    else ``rid``, the id :func:`record_id` computed for it."""
    given = record.get("id")
    return given if given not in (None, "") else rid


def _decode(raw: bytes, path: Path, line: int) -> dict[str, Any]:
    row = loads_json(decode(raw, path, line, bom=line == 1), path, line)  # editors add a BOM
    if not isinstance(row, dict):
        raise InputError(f"expected a JSON object, got {type(row).__name__}", path=path, line=line)
    return row


def iter_jsonl(
    path: str | Path, *, allow_empty: bool = False, tolerate_torn_tail: bool = False
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, row) through the input gate (:mod:`lmforge.inputs`). Blank lines are
    skipped.

    ``tolerate_torn_tail`` is for our own output files: a process killed mid-write can leave a last
    line without its newline, which is dropped instead of reported.
    """
    path = Path(path)
    seen = 0
    for number, raw, ended in iter_lines(path):  # line by line: files can exceed memory
        if not raw.strip():
            continue
        if tolerate_torn_tail and not ended:
            break  # a last line without its newline: a write cut short by a kill
        seen += 1
        yield number, _decode(raw, path, number)
    if not seen and not allow_empty:
        raise InputError("file is empty: expected one JSON object per line", path=path)


def read_jsonl(
    path: str | Path, *, required: Iterable[str] = (), **kw: Any
) -> list[dict[str, Any]]:
    """All rows, each checked for the required fields."""
    required = tuple(required)
    rows = []
    for line, row in iter_jsonl(path, **kw):
        for name in required:
            if name not in row:
                raise InputError("missing required field", path=path, line=line, field=name)
        rows.append(row)
    return rows


def require_any(
    row: dict, alternatives: list[tuple[str, ...]], *, path: Path | str, line: int
) -> None:
    """Accept the row when one group of fields is complete (instruction+response, messages)."""
    if any(all(f in row for f in group) for group in alternatives):
        return
    wanted = " or ".join("+".join(group) for group in alternatives)
    raise InputError(f"missing fields: need {wanted}", path=path, line=line)


def check_row(schema: type[M], row: dict[str, Any], *, path: str | Path, line: int | None) -> M:
    """The row validated against a command's typed row schema, before any model call.

    Schemas are pydantic models (``extra="allow"``: rows carry fields of their own); a wrong
    type (``null`` or a list as a prompt, ``1.9`` as a level) is one error naming the field.
    """
    from pydantic import ValidationError

    try:
        return schema.model_validate(row)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if not _type_tag(p)) or None
        raise InputError(first["msg"], path=path, line=line, field=field) from None


_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "tuple", "none", "bytes"}


def _type_tag(part: Any) -> bool:
    """Pydantic puts the union member it tried in an error's location (``content.str``);
    that is a type, not a field the user could look for."""
    return isinstance(part, str) and (part in _TYPE_TAGS or "[" in part)


def check_rows(path: str | Path, schema: type[BaseModel], **kw: Any) -> int:
    """Every row of a JSONL file checked against ``schema``; returns the row count."""
    count = 0
    for line, row in iter_jsonl(path, **kw):
        check_row(schema, row, path=path, line=line)
        count += 1
    return count


def read_json_list(path: str | Path, *, what: str = "objects") -> list[Any]:
    """A whole-file JSON list (official releases ship some data that way), errors in one line."""
    data = read_json(path)
    if not isinstance(data, list):
        raise InputError(f"expected a JSON list of {what}", path=path)
    return data


def dumps(row: dict[str, Any]) -> str:
    """One JSON line. A non-finite float (a score of an empty set) is written as ``null``:
    ``NaN`` is not JSON, and no reader, ours included, could take the row back."""
    try:
        return _ROW_JSON.encode(row)
    except ValueError:
        return _ROW_JSON.encode(finite(row))


_DUMP: dict[str, Any] = {
    "ensure_ascii": False,
    "separators": (",", ":"),
    "default": str,
    "allow_nan": False,
}
_ROW_JSON = json.JSONEncoder(**_DUMP)
"""What ``json.dumps(row, **_DUMP)`` uses, made once: ``dumps`` with options builds an encoder
per call, a fifth of a short row's cost."""


def finite(value: Any) -> Any:
    """``value`` with every non-finite float made ``None`` (strict JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


class JsonlAppender:
    """Appends rows, flushed line by line, after cutting off a torn tail left by a killed run.

    ``per_turn``: on an event loop, what one turn of the loop wrote is flushed once, at the
    start of the next turn, instead of once per row (the runner: a flush is a system call,
    4-5 % of a record's cost at an instant server). A row written but not yet flushed when the
    process is killed is like a record still in flight: it is not in the file, so the next run
    makes it again (from the call cache, whose commit came first); none is lost or written
    twice. Closing flushes, so a Ctrl-C keeps every row written. Off the loop, or with
    ``fsync``, each write is flushed at once as before.
    """

    def __init__(self, path: str | Path, *, fsync: bool = False, per_turn: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _cut_torn_tail(self.path)
        self._fh = self.path.open("a", encoding="utf-8")
        self._fsync = fsync
        self._per_turn = per_turn and not fsync
        self._queued = False

    def write(self, row: dict[str, Any]) -> None:
        self.write_lines(dumps(row) + "\n")

    def write_lines(self, text: str) -> None:
        """Lines already made (a Ray worker's pack of rows), in one write: a kill in the middle
        leaves a torn last line, which the next run cuts off as it opens."""
        self._fh.write(text)
        if self._queued:
            return
        if self._per_turn and (loop := _running_loop()) is not None:
            self._queued = True
            loop.call_soon(self._flush_turn)
            return
        self._fh.flush()
        if self._fsync:
            os.fsync(self._fh.fileno())

    def _flush_turn(self) -> None:
        self._queued = False
        if not self._fh.closed:
            self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _cut_torn_tail(path: Path) -> None:
    """Drop a last line that has no newline; reads backwards from the end, not the whole file."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as fh:
        end = fh.seek(0, os.SEEK_END)
        fh.seek(end - 1)
        if fh.read(1) == b"\n":
            return
        pos = end
        while pos > 0:
            step = min(1 << 16, pos)
            pos -= step
            fh.seek(pos)
            block = fh.read(step)
            newline = block.rfind(b"\n")
            if newline >= 0:
                fh.truncate(pos + newline + 1)
                return
        fh.truncate(0)


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write a whole file atomically (temp file + rename); returns the row count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    count = 0
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(dumps(row) + "\n")
                count += 1
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # on every exit path: an error, a kill signal turned exception
    return count


# TRL dataset formats ------------------------------------------------------------------------


def sft_messages(prompt: str, completion: str, system: str | None = None) -> dict[str, Any]:
    """Conversational SFT row (TRL ``messages``)."""
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": prompt}, {"role": "assistant", "content": completion}]
    return {"messages": messages}


def prompt_completion(prompt: str, completion: str) -> dict[str, Any]:
    """Conversational prompt-completion row (TRL)."""
    return {
        "prompt": [{"role": "user", "content": prompt}],
        "completion": [{"role": "assistant", "content": completion}],
    }


def preference(prompt: str, chosen: str, rejected: str) -> dict[str, Any]:
    """Conversational preference row (TRL DPO)."""
    return {
        "prompt": [{"role": "user", "content": prompt}],
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
    }
