"""The input gate: every file a user hands lmforge is checked, decoded and parsed here, once.

Why one place: a hostile tester found 31 ways past sixteen separate readers (a folder as input, a
FIFO that hangs, ``NaN`` in a number, a BOM refused here and accepted there, a pipe read twice, a
YAML alias bomb). Every reader now goes through these functions, so a rule holds everywhere:

- the path is a regular readable file; ``/dev/stdin`` and ``/dev/fd/N`` pipes (``<(cmd)``) are
  read once into a private temp file and every later read sees the same bytes; a named FIFO, a
  device, a socket or a folder is refused (opening a FIFO blocks forever, ``/dev/zero`` never ends);
- text is UTF-8, with or without a BOM; lines are split on ``\\n`` only, so U+2028, U+0085 and
  other Unicode line separators inside JSON strings are data, not line ends;
- JSON is strict: no ``NaN``/``Infinity`` (they are not JSON and cannot be written back), bounded
  nesting depth and line size;
- YAML is safe: a few aliases at most, a bounded expanded size and file size;
- errors are one :class:`~lmforge.errors.InputError`: ``FILE:LINE: field 'X': what is wrong``.

Config fields that name files declare what they read with :func:`reads` (``input: JsonlPath``), so
the hostile-input suite finds every command that reads a file without a list kept by hand.
"""

from __future__ import annotations

import atexit
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from . import input_rules
from .errors import InputError
from .input_rules import *  # noqa: F403  (the path types and limits, re-exported)
from .input_rules import MIB, InputLimits, input_limits

__all__ = [
    *input_rules.__all__,
    "check_file",
    "iter_lines",
    "loads_json",
    "open_input",
    "read_document",
    "read_json",
    "read_text",
    "source",
]

# ----------------------------------------------------------------------------- paths

_PIPES: dict[str, Path] = {}
"""Pipes already read: the name the user gave -> the temp file holding what came through."""


def _is_pipe_name(path: Path) -> bool:
    text = str(path)
    return text in ("-", "/dev/stdin") or text.startswith(("/dev/fd/", "/proc/self/fd/"))


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError("broken symbolic link", path=path) from None
        raise InputError("no such file", path=path) from None
    except RuntimeError:  # pathlib's symlink loop on some versions
        raise InputError("symbolic link loop", path=path) from None
    except OSError as exc:
        raise InputError(_os_reason(exc), path=path) from None


def _os_reason(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EISDIR:
        return "is a folder, expected a file"
    return exc.strerror or str(exc)


def check_file(path: str | Path, *, what: str = "file") -> Path:
    """A readable regular file (pipes included), else one :class:`InputError` saying why."""
    path = Path(path)
    if str(path) in _PIPES:
        return path
    info = _stat(path)
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise InputError(f"is a folder, expected a {what}", path=path)
    if stat.S_ISFIFO(mode) and not _is_pipe_name(path):
        raise InputError(
            "is a named pipe (FIFO), expected a regular file; to stream, use /dev/stdin",
            path=path,
        )
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        detail = "a terminal" if _is_pipe_name(path) and os.isatty(0) else "a device"
        raise InputError(f"is {detail}, expected a regular file", path=path)
    if stat.S_ISSOCK(mode):
        raise InputError("is a socket, expected a regular file", path=path)
    if not os.access(path, os.R_OK):
        raise InputError("permission denied", path=path)
    return path


def source(path: str | Path, *, what: str = "file") -> Path:
    """A path that can be read as often as needed: the file itself, or for a pipe the temp file
    its one read was kept in (so validation and the run see the same bytes)."""
    path = check_file(path, what=what)
    key = str(path)
    if key in _PIPES:
        return _PIPES[key]
    if not stat.S_ISFIFO(path.stat().st_mode):
        return path
    limit = input_limits().pipe_bytes
    fd, name = tempfile.mkstemp(prefix="lmforge-pipe-", suffix=".data")
    kept = Path(name)
    atexit.register(kept.unlink, missing_ok=True)
    total = 0
    with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
        while chunk := src.read(MIB):
            total += len(chunk)
            if total > limit:
                raise InputError(
                    f"pipe gave more than {limit} bytes (LMFORGE_MAX_PIPE_BYTES)", path=path
                )
            dst.write(chunk)
    _PIPES[key] = kept
    return kept


def open_input(path: str | Path, *, what: str = "file") -> IO[bytes]:
    """The file opened for binary reading, after :func:`check_file`."""
    real = source(path, what=what)
    try:
        return real.open("rb")
    except OSError as exc:
        raise InputError(_os_reason(exc), path=path) from None


# ----------------------------------------------------------------------------- text


def decode(raw: bytes, path: str | Path, line: int | None = None, *, bom: bool = True) -> str:
    """UTF-8 text (a leading BOM removed where ``bom``), or an error naming the byte."""
    try:
        return raw.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        where = f"byte 0x{raw[exc.start]:02x} at " + (
            f"column {exc.start + 1}" if line is not None else f"offset {exc.start}"
        )
        raise InputError(f"not UTF-8 ({where})", path=path, line=line) from None


def read_text(path: str | Path, *, limit: int | None = None, what: str = "file") -> str:
    """The whole file as text, refused past ``limit`` bytes."""
    with open_input(path, what=what) as fh:
        raw = fh.read(limit + 1) if limit is not None else fh.read()
    if limit is not None and len(raw) > limit:
        raise InputError(f"larger than {limit} bytes", path=path)
    return decode(raw, path)


def read_document(path: str | Path, *, what: str = "text file") -> str:
    """A plain-text document (a ``TextPath``): UTF-8, within ``text_bytes``, not blank (an
    empty document would only make an empty run)."""
    text = read_text(path, limit=input_limits().text_bytes, what=what)
    if not text.strip():
        raise InputError(f"the {what} is empty", path=path)
    return text


def iter_lines(path: str | Path, *, what: str = "JSONL file") -> Iterator[tuple[int, bytes, bool]]:
    """(line number, raw bytes without the newline, whether the line ended with a newline).

    Lines end at ``\\n`` only; one longer than the line limit is refused without reading it all.
    """
    limit = input_limits().line_bytes
    with open_input(path, what=what) as fh:
        number = 0
        while True:
            raw = fh.readline(limit + 2)
            if not raw:
                return
            number += 1
            ended = raw.endswith(b"\n")
            if len(raw) > limit + (1 if ended else 0):
                raise InputError(
                    f"line longer than {limit} bytes (LMFORGE_MAX_LINE_BYTES)",
                    path=path,
                    line=number,
                )
            yield number, raw.rstrip(b"\n").rstrip(b"\r"), ended


# ----------------------------------------------------------------------------- JSON


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number")


def _depth_ok(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, dict | list))
    return True


def loads_json(
    text: str, path: str | Path, line: int | None = None, *, allow_nan: bool = False
) -> Any:
    """Strict JSON: no NaN/Infinity, nesting within the depth limit; errors name file and line.

    ``allow_nan`` is for files lmforge itself wrote before it wrote ``null`` for a missing
    score (an older run's ``summary.json``), never for what a user hands in.
    """
    limit = input_limits().json_depth
    constant = None if allow_nan else _refuse_constant
    try:
        value = json.loads(text, parse_constant=constant)
    except json.JSONDecodeError as exc:  # a whole file: the error's own line is the line
        where = line if line is not None else exc.lineno
        raise InputError(
            f"invalid JSON ({exc.msg} at column {exc.colno})", path=path, line=where
        ) from None
    except _NotJson as exc:
        raise InputError(f"invalid JSON ({exc})", path=path, line=line) from None
    except RecursionError:
        raise InputError(
            f"invalid JSON (nested deeper than {limit} levels)", path=path, line=line
        ) from None
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        raise InputError(f"invalid JSON ({exc})", path=path, line=line) from None
    if (text.count("[") + text.count("{")) > limit and not _depth_ok(value, limit):
        raise InputError(f"invalid JSON (nested deeper than {limit} levels)", path=path, line=line)
    return value


def read_json(path: str | Path, *, what: str = "JSON file", allow_nan: bool = False) -> Any:
    """A whole-file JSON document, through the same checks as a JSONL row."""
    text = read_text(path, limit=input_limits().json_bytes, what=what)
    return loads_json(text, path, allow_nan=allow_nan)


# ----------------------------------------------------------------------------- YAML


def _loader(limits: InputLimits, path: str | Path | None) -> type:
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        """SafeLoader that counts alias references: a few aliases can expand exponentially."""

        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > limits.yaml_aliases:
                    mark = self.peek_event().start_mark
                    raise InputError(
                        f"YAML uses more than {limits.yaml_aliases} aliases "
                        "(LMFORGE_MAX_YAML_ALIASES)",
                        path=path,
                        line=mark.line + 1 if path is not None else None,
                    )
            return super().compose_node(parent, index)

    return BoundedLoader


def _count_nodes(value: Any, limit: int) -> bool:
    """True when the expanded value has at most ``limit`` nodes (stops counting past it)."""
    stack, seen = [value], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > limit:
            return False
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True


def loads_yaml(text: str, path: str | Path | None = None, *, what: str = "YAML") -> Any:
    """Safe YAML with bounded aliases, size and expanded node count."""
    import yaml

    limits = input_limits()
    if len(text.encode("utf-8", "surrogatepass")) > limits.yaml_bytes:
        raise InputError(f"{what} larger than {limits.yaml_bytes} bytes", path=path)
    try:
        value = yaml.load(text, Loader=_loader(limits, path))  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None and path is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"invalid YAML: {problem}", path=path, line=line) from None
    except RecursionError:
        raise InputError("invalid YAML: nested too deeply", path=path) from None
    if not _count_nodes(value, limits.yaml_nodes):
        raise InputError(
            f"{what} expands to more than {limits.yaml_nodes} values (LMFORGE_MAX_YAML_NODES)",
            path=path,
        )
    return value


def read_yaml(path: str | Path, *, what: str = "YAML file") -> Any:
    """A YAML file through :func:`loads_yaml`."""
    text = read_text(path, limit=input_limits().yaml_bytes, what=what)
    return loads_yaml(text, path, what=what)
