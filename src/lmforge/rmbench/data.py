"""RM-Bench samples from the official JSON files, checked row by row.

Two layouts exist upstream and users have either: the per-domain ``<domain>_filtered.json``
arrays (no ``domain`` field: the file name says it) and the Hugging Face ``total_dataset.json``
(every row carries ``domain``). Both are JSON arrays, so a bad row would otherwise be reported as
"element 417"; the loader records where each element starts and names its line instead.

The math split is not shipped with lmforge (it is 4 MB and lives at HF ``THU-KEG/RM-Bench``):
nothing here assumes it is present, and :func:`load_samples` says which domains it found.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lmforge.errors import InputError
from lmforge.inputs import (
    check_file,
    decode,
    input_limits,
    iter_lines,
    loads_json,
    open_input,
    read_text,
)

__all__ = [
    "DATA_ENV",
    "DOMAINS",
    "STYLES",
    "SUBDOMAINS",
    "Sample",
    "default_data",
    "domain_of",
    "iter_rows",
    "load_file",
    "load_samples",
    "looks_truncated",
    "select_domains",
    "subdomain_from_name",
]

#: Response styles, in the order of the ``chosen``/``rejected`` lists (rows and columns of A).
STYLES = ("concise", "plain", "markdown")
#: Metric domains in the official order; safety pools safety-refuse and safety-response.
DOMAINS = ("chat", "math", "code", "safety")
#: The five file-level domains of the release.
SUBDOMAINS = ("chat", "math", "code", "safety-refuse", "safety-response")
#: Environment variable naming the default data folder (or files, separated by ``os.pathsep``).
DATA_ENV = "LMFORGE_RMBENCH_DATA"
TOTAL_FILE = "total_dataset.json"
WHAT = "RM-Bench file"
BOM = b"\xef\xbb\xbf"

# A response whose last character is none of these looks cut off (THU-KEG/RM-Bench#3). This set
# reproduces the counts in the research notes: chat 215/774, safety-refuse 334/1704, code 17/1368.
_TERMINAL = frozenset(".!?\"')]}`*:;>")


@dataclass(frozen=True)
class Sample:
    """One prompt with its three chosen and three rejected responses (styles in STYLES order)."""

    id: Any
    """The release's id (an int there); unique within a subdomain only: chat and code share 23."""
    subdomain: str
    prompt: str
    chosen: tuple[str, str, str]
    rejected: tuple[str, str, str]
    source: str = ""
    """``file:line`` the row came from, for messages."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    """Fields beyond the schema (``subset``, ``error``, ``language`` ...), kept for the report."""

    @property
    def domain(self) -> str:
        return domain_of(self.subdomain)

    @property
    def key(self) -> str:
        """Run-wide record id: the release's ids repeat across domains."""
        return f"{self.subdomain}/{self.id}"

    @property
    def truncated(self) -> dict[str, list[bool]]:
        return {
            "chosen": [looks_truncated(r) for r in self.chosen],
            "rejected": [looks_truncated(r) for r in self.rejected],
        }


def domain_of(subdomain: str) -> str:
    """The metric domain: the official split is ``domain.startswith(d)``, so safety is pooled."""
    for name in DOMAINS:
        if subdomain.startswith(name):
            return name
    raise ValueError(f"unknown RM-Bench domain {subdomain!r}")


def looks_truncated(response: str) -> bool:
    """No terminal punctuation at the end: the upstream data problem of issue #3."""
    text = response.rstrip()
    return not text or text[-1] not in _TERMINAL


def _array(text: str, path: Path) -> Iterator[tuple[int, Any]]:
    """(line, value) of each element of a top-level JSON array.

    Each element is located with the standard decoder, then parsed again by the input gate's
    strict :func:`~lmforge.inputs.loads_json` (no NaN/Infinity, bounded nesting), so an error
    names the line the element starts on.
    """
    lines = _LineCounter(text)
    pos = _skip(text, _skip(text, 0) + 1)  # past the opening '['
    while not text.startswith("]", pos):
        line = lines.at(pos)
        end = _element_end(text, pos, path, line)
        yield line, loads_json(text[pos:end], path, line)
        pos = _skip(text, end)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif not text.startswith("]", pos):
            raise InputError("invalid JSON (expected ',' or ']')", path=path, line=lines.at(pos))
    pos = _skip(text, pos + 1)
    if pos < len(text):
        raise InputError("invalid JSON (extra data after the array)", path=path, line=lines.at(pos))


_DECODER = json.JSONDecoder()


def _element_end(text: str, pos: int, path: Path, line: int) -> int:
    """Where the JSON value starting at ``pos`` ends; errors name the line."""
    try:
        _, end = _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg})", path=path, line=exc.lineno) from None
    except RecursionError:
        depth = input_limits().json_depth
        raise InputError(
            f"invalid JSON (nested deeper than {depth} levels)", path=path, line=line
        ) from None
    return end


class _LineCounter:
    """Line numbers of increasing offsets, counting each newline once (files are megabytes)."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def at(self, pos: int) -> int:
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


def _jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """One value per line, through the gate's line reader: lines end at ``\\n`` only (U+2028
    or U+0085 in a string is data), a line past ``LMFORGE_MAX_LINE_BYTES`` is refused."""
    for number, raw, _ in iter_lines(path, what=WHAT):
        if raw.strip():
            yield number, loads_json(decode(raw, path, number, bom=number == 1), path, number)


def _is_array(path: Path) -> bool:
    """Whether the file's first character (after a BOM and blanks) opens a JSON array."""
    with open_input(path, what=WHAT) as fh:
        head = fh.read(len(BOM))
        if head != BOM:
            fh.seek(0)
        while chunk := fh.read(1 << 16):
            if stripped := chunk.lstrip(b" \t\r\n"):
                return stripped.startswith(b"[")
    return False


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _three_strings(row: dict, name: str, path: Path, line: int) -> tuple[str, str, str]:
    value = row.get(name)
    if not isinstance(value, list) or len(value) != 3:
        got = f"{len(value)} items" if isinstance(value, list) else _kind(value)
        raise InputError(
            f"expected a list of 3 responses ({', '.join(STYLES)}), got {got}",
            path=path,
            line=line,
            field=name,
        )
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise InputError(
                f"response {i} ({STYLES[i]}) is {_kind(item)}, not a string",
                path=path,
                line=line,
                field=name,
            )
    return value[0], value[1], value[2]


def _kind(value: Any) -> str:
    """A JSON value's type as a user reads it (``null``, not ``NoneType``)."""
    return "null" if value is None else type(value).__name__


def _sample(row: Any, subdomain: str | None, path: Path, line: int) -> Sample:
    """Validate one row; every message names the file, the line and the field."""
    if not isinstance(row, dict):
        raise InputError(f"expected a JSON object, got {_kind(row)}", path=path, line=line)
    given_id = row.get("id")
    if isinstance(given_id, bool) or not isinstance(given_id, int | str) or given_id == "":
        raise InputError("missing or not an integer/string", path=path, line=line, field="id")
    prompt = row.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        problem = (
            "missing or empty"
            if prompt in (None, "") or isinstance(prompt, str)
            else (f"expected a string, got {_kind(prompt)}")
        )
        raise InputError(problem, path=path, line=line, field="prompt")
    given = row.get("domain")
    if given is not None and given not in SUBDOMAINS:
        known = ", ".join(SUBDOMAINS)
        raise InputError(
            f"unknown domain {given!r} ({known})", path=path, line=line, field="domain"
        )
    name = given or subdomain
    if name is None:
        raise InputError(
            "no 'domain' field and the file name does not start with a domain "
            f"({', '.join(SUBDOMAINS)})",
            path=path,
            line=line,
            field="domain",
        )
    known_fields = {"id", "prompt", "chosen", "rejected", "domain"}
    return Sample(
        id=row["id"],
        subdomain=name,
        prompt=row["prompt"],
        chosen=_three_strings(row, "chosen", path, line),
        rejected=_three_strings(row, "rejected", path, line),
        source=f"{path}:{line}",
        extra={k: v for k, v in row.items() if k not in known_fields},
    )


def subdomain_from_name(path: Path) -> str | None:
    """``safety-refuse_filtered.json`` -> ``safety-refuse``; the longest matching prefix wins."""
    stem = path.name.lower()
    hits = [name for name in SUBDOMAINS if stem.startswith(name)]
    return max(hits, key=len) if hits else None


def iter_rows(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line, value) of every element of a JSON array file, or of every line of a JSONL file."""
    path = Path(path)
    if not _is_array(path):
        return _jsonl(path)
    return _array(read_text(path, limit=input_limits().json_bytes, what=WHAT), path)


def load_file(path: str | Path, subdomain: str | None = None) -> list[Sample]:
    """Every sample of one file (JSON array or JSONL); the domain comes from each row's
    ``domain`` field, else ``subdomain``, else the file name."""
    path = Path(path)
    fallback = subdomain or subdomain_from_name(path)
    samples = [_sample(row, fallback, path, line) for line, row in iter_rows(path)]
    if not samples:
        raise InputError("no samples: expected a JSON array or JSONL of RM-Bench rows", path=path)
    return samples


def _files(source: Path) -> list[Path]:
    """A folder's data files: per-domain files first; the total file only when there are none
    (it repeats them, and reading both would count every sample twice)."""
    if not source.is_dir():
        return [check_file(source, what="RM-Bench data file or folder")]
    per_domain = sorted(
        p
        for p in source.iterdir()
        if p.suffix in (".json", ".jsonl") and p.name != TOTAL_FILE and subdomain_from_name(p)
    )
    if per_domain:
        return per_domain
    if (source / TOTAL_FILE).is_file():
        return [source / TOTAL_FILE]
    raise InputError(
        f"no RM-Bench files here (expected <domain>_filtered.json or {TOTAL_FILE})", path=source
    )


def default_data() -> list[Path]:
    """Where data comes from when no ``--data`` is given: ``$LMFORGE_RMBENCH_DATA``."""
    value = os.environ.get(DATA_ENV, "")
    paths = [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]
    if not paths:
        raise InputError(
            f"no RM-Bench data: pass --data DIR (the folder of *_filtered.json files) "
            f"or set {DATA_ENV}"
        )
    return paths


def load_samples(
    sources: Iterable[str | Path], domains: Sequence[str] | None = None
) -> list[Sample]:
    """Samples of every source (folders or files), filtered to ``domains``.

    A repeated (subdomain, id) is an error naming both places: it would count twice. A file
    whose name says it holds an unwanted domain is not read at all.
    """
    samples: list[Sample] = []
    seen: dict[str, str] = {}
    for source in sources:
        for path in _files(Path(source)):
            named = subdomain_from_name(path)
            if domains and named and not any(d in (named, domain_of(named)) for d in domains):
                continue
            for sample in load_file(path):
                if sample.key in seen:
                    raise InputError(
                        f"duplicate sample {sample.key} (first at {seen[sample.key]})",
                        path=path,
                        line=int(sample.source.rsplit(":", 1)[1]),
                        field="id",
                    )
                seen[sample.key] = sample.source
                samples.append(sample)
    return select_domains(samples, domains)


def select_domains(samples: Sequence[Sample], domains: Sequence[str] | None) -> list[Sample]:
    """Keep the asked domains: a metric domain (``safety``) or a subdomain (``safety-refuse``).

    Asking for a domain the data lacks is an error, so a run never silently reports fewer
    domains than the user asked for.
    """
    if not domains:
        return list(samples)
    found = {s.subdomain for s in samples}
    keep: set[str] = set()
    for name in domains:
        if name not in DOMAINS and name not in SUBDOMAINS:
            known = ", ".join(dict.fromkeys(DOMAINS + SUBDOMAINS))
            raise InputError(f"unknown domain {name!r} (one of {known})", field="domains")
        wanted = {s for s in found if s == name or domain_of(s) == name}
        if not wanted:
            hint = " (the math split is at HF THU-KEG/RM-Bench)" if name == "math" else ""
            have = ", ".join(sorted(found))
            raise InputError(f"domain {name!r} is not in the data (found: {have}){hint}")
        keep |= wanted
    return [s for s in samples if s.subdomain in keep]
