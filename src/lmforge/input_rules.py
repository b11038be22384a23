"""What an input may be: the :class:`Reads` markers config fields declare their files with, and
the :class:`InputLimits` every reader in :mod:`lmforge.inputs` enforces.

Apart from the readers so that a config module can import its path types (``JsonlPath``) and the
hostile-input suite the markers without the reading machinery; :mod:`lmforge.inputs` re-exports
every name here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from .errors import InputError

__all__ = [
    "AgendaPath",
    "DeckPath",
    "InputLimits",
    "JsonPath",
    "JsonlPath",
    "Reads",
    "RunDirPath",
    "TextPath",
    "YamlPath",
    "input_limits",
    "reads_of",
]

MIB = 1 << 20


@dataclass(frozen=True)
class Reads:
    """Marks a config field as a file the command reads, and of which kind."""

    kind: str
    """``jsonl``, ``json``, ``yaml``, ``deck``, ``agenda`` or ``rundir``."""


JsonlPath = Annotated[Path, Reads("jsonl")]
JsonPath = Annotated[Path, Reads("json")]
YamlPath = Annotated[Path, Reads("yaml")]
DeckPath = Annotated[Path, Reads("deck")]
AgendaPath = Annotated[Path, Reads("agenda")]
RunDirPath = Annotated[Path, Reads("rundir")]
TextPath = Annotated[Path, Reads("text")]


def reads_of(field_info: Any) -> Reads | None:
    """The :class:`Reads` marker of a pydantic field (``JsonlPath``, ``JsonlPath | None``,
    ``list[JsonlPath]``), or None."""
    import typing

    for meta in getattr(field_info, "metadata", ()):
        if isinstance(meta, Reads):
            return meta
    stack = [getattr(field_info, "annotation", None)]
    while stack:
        node = stack.pop()
        stack.extend(typing.get_args(node))
        for meta in getattr(node, "__metadata__", ()):
            if isinstance(meta, Reads):
                return meta
    return None


@dataclass(frozen=True)
class InputLimits:
    """Bounds on one input; each can be raised with an ``LMFORGE_MAX_*`` variable."""

    line_bytes: int = 64 * MIB
    """One JSONL line (``LMFORGE_MAX_LINE_BYTES``): a 200 MB line cost 3-4 GB of memory."""
    json_bytes: int = 2048 * MIB
    """A whole-file JSON document (``LMFORGE_MAX_JSON_BYTES``)."""
    json_depth: int = 100
    """Nesting of arrays and objects (``LMFORGE_MAX_JSON_DEPTH``); real rows need under 10."""
    yaml_bytes: int = 1 * MIB
    """A YAML config file or ``--set`` value (``LMFORGE_MAX_YAML_BYTES``)."""
    yaml_aliases: int = 32
    """``*alias`` references in one YAML document (``LMFORGE_MAX_YAML_ALIASES``)."""
    yaml_nodes: int = 100_000
    """Values in a YAML document once aliases are expanded (``LMFORGE_MAX_YAML_NODES``)."""
    pipe_bytes: int = 4096 * MIB
    """What is read from a pipe (``LMFORGE_MAX_PIPE_BYTES``)."""
    text_bytes: int = 512 * MIB
    """A whole plain-text document (``LMFORGE_MAX_TEXT_BYTES``), read into memory at once."""


def input_limits() -> InputLimits:
    """The limits, with any ``LMFORGE_MAX_<NAME>`` override (a positive integer)."""
    values: dict[str, int] = {}
    for name in InputLimits.__dataclass_fields__:
        var = f"LMFORGE_MAX_{name.upper()}"
        raw = os.environ.get(var)
        if raw is None:
            continue
        try:
            values[name] = int(raw)
        except ValueError:
            values[name] = -1
        if values[name] <= 0:
            raise InputError(f"environment variable {var}={raw!r}: expected a positive integer")
    return InputLimits(**values)
