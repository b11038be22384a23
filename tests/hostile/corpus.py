"""The hostile-input corpus, built in code from the commands' own declarations.

Each probed verb (``PROBES`` in a ``cli.py``, see :mod:`lmforge.probes`) names a valid run and a
valid sample for each file it reads. The kind of each file comes from its config field's marker
(``JsonlPath``, ``DeckPath`` ... from :mod:`lmforge.inputs`); this module turns (probe, kind) into
cases, each breaking or bending one thing: the file a field names, the ``--config`` file, a
``--set`` value, the output path, an ``LMFORGE_*`` variable. A case is *refused* (exit 2, one
``error:`` line naming what is broken, nothing written) or *accepted* (exit 0).

Nothing large is stored: every case writes its own few files into the folder it runs in.
"""

from __future__ import annotations

import copy
import json
import os
import random
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import text_pdf
from lmforge.inputs import Reads, reads_of
from lmforge.probes import Probe

REFUSED, ACCEPTED = "refused", "accepted"
BOM = b"\xef\xbb\xbf"
DEEP = 100_000
"""Nesting depth of the deep-JSON cases (the gate allows 100)."""
SMALL_LINE_LIMIT = 4096
"""``LMFORGE_MAX_LINE_BYTES`` of the long-line case, so its line need only be 10 KB."""
OUT, OUTPUT = "out", "output"
"""Placeholders of a fresh run folder and a fresh output file."""
OUT_NAME, OUTPUT_NAME = "run-out", "output.jsonl"
"""What they become, relative to the folder a case runs in."""
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


@dataclass
class Plant:
    """What one case hands the command in place of the valid input."""

    path: str | None = None
    """What the placeholder becomes (default: the name the valid file would have)."""
    names: tuple[str, ...] = ()
    """Any of these must appear in the error line (default: ``path`` and its basename)."""
    args: tuple[str, ...] = ()
    """Added after the probe's arguments (``--config FILE``, ``--set K=V``)."""
    env: dict[str, str] = field(default_factory=dict)
    stdin: bytes | None = None
    pipe: bytes | None = None
    """Served through a ``/dev/fd/N`` pipe (as ``<(cat f)`` does); ``path`` holds ``{fd}``."""


Build = Callable[["Place"], Plant]


@dataclass(frozen=True)
class Place:
    """Where a case plants its input: the folder it runs in and the name of the input there."""

    root: Path
    name: str
    run_dir: Callable[[], Path]
    """A finished run folder (built once per session), for ``rundir`` fields."""

    @property
    def file(self) -> Path:
        return self.root / self.name


@dataclass(frozen=True)
class Case:
    id: str
    """``VERB-TARGET-WHAT``: ``batch-input-nan``, ``batch-config-typo``."""
    target: str
    """The sample field broken, or ``config``, ``set``, ``env``, ``output``; empty: the baseline."""
    kind: str
    expect: str
    build: Build


# ----------------------------------------------------------------------------- declarations


def slug(words: str) -> str:
    return words.replace(" ", "-")


def marked_fields(cls: type | None, prefix: str = "") -> dict[str, Reads]:
    """Config field path -> its ``Reads`` marker, nested models included."""
    import typing

    from pydantic import BaseModel

    found: dict[str, Reads] = {}
    for name, info in (cls.model_fields if cls is not None else {}).items():
        path = f"{prefix}{name}"
        marker = reads_of(info)
        if marker is not None:
            found[path] = marker
            continue
        stack = [info.annotation]
        while stack:
            node = stack.pop()
            if isinstance(node, type) and issubclass(node, BaseModel):
                found.update(marked_fields(node, f"{path}."))
            else:
                stack.extend(typing.get_args(node))
    return found


def config_class(verb: Any) -> type | None:
    from lmforge.verbs import resolve

    return resolve(verb.config) if verb.config else None


def kind_of(key: str, sample: Any, marks: dict[str, Reads]) -> str:
    """The kind of the file ``{key}``: its field's marker, else what the sample looks like."""
    if key in marks:
        return marks[key].kind
    if isinstance(sample, list):
        return "jsonl"
    if sample in ("pdf", "pptx"):
        return "deck"
    if sample == "run":
        return "rundir"
    return "json"


def file_name(key: str, kind: str, sample: Any) -> str:
    """The name of a field's valid file in a case's folder."""
    stem = key.replace(".", "_")
    ext = {"jsonl": ".jsonl", "json": ".json", "agenda": ".json", "yaml": ".yaml", "text": ".txt"}
    ext = ext.get(kind, "")
    if kind == "deck":
        ext = f".{sample}"
    return stem + ext


def placeholders(probe: Probe) -> set[str]:
    return {m for arg in probe.args for m in PLACEHOLDER.findall(arg)}


# ----------------------------------------------------------------------------- valid files


def row_line(row: Any) -> str:
    return json.dumps(row, ensure_ascii=False)


def jsonl_bytes(rows: list[Any], first: str | None = None, end: str = "\n") -> bytes:
    """The rows as JSONL; ``first`` replaces the first line's text."""
    lines = [row_line(r) for r in rows]
    if first is not None:
        lines[:1] = [first]
    return "".join(line + end for line in lines).encode("utf-8")


def valid_bytes(kind: str, sample: Any) -> bytes:
    if kind == "jsonl":
        return jsonl_bytes(sample)
    if kind in ("json", "agenda"):
        return json.dumps(sample, ensure_ascii=False, indent=1).encode("utf-8")
    if kind == "yaml":
        import yaml

        return yaml.safe_dump(sample, allow_unicode=True).encode("utf-8")
    if kind == "text":
        return sample.encode("utf-8")
    raise ValueError(kind)


def write_valid(kind: str, sample: Any, place: Place) -> None:
    """The field's valid input at ``place.file``."""
    if kind == "deck":
        (text_pdf if sample == "pdf" else make_pptx)(place.file)
    elif kind == "rundir":
        shutil.copytree(place.run_dir(), place.file, symlinks=True)
    else:
        place.file.write_bytes(valid_bytes(kind, sample))


def make_pptx(path: Path) -> Path:
    """A two-slide deck: a title slide and a bullet slide with notes."""
    from pptx import Presentation

    prs = Presentation()
    first = prs.slides.add_slide(prs.slide_layouts[0])
    first.shapes.title.text = "Tokenization"
    first.placeholders[1].text = "A short lecture"
    second = prs.slides.add_slide(prs.slide_layouts[1])
    second.shapes.title.text = "Splitting text"
    second.placeholders[1].text_frame.text = "Whitespace is a baseline"
    second.notes_slide.notes_text_frame.text = "Start with an example."
    prs.save(path)
    return path


# ----------------------------------------------------------------------------- bad paths


def _write(data: bytes) -> Build:
    def build(place: Place) -> Plant:
        place.file.write_bytes(data)
        return Plant()

    return build


def _folder(place: Place) -> Plant:
    place.file.mkdir()
    return Plant()


def _missing(place: Place) -> Plant:
    return Plant()


def _fifo(place: Place) -> Plant:
    os.mkfifo(place.file)
    return Plant()


def _dev_zero(place: Place) -> Plant:
    return Plant(path="/dev/zero")


def _symlink_loop(place: Place) -> Plant:
    other = place.root / f"{place.name}.loop"
    os.symlink(other.name, place.file)
    os.symlink(place.name, other)
    return Plant()


PATH_CASES: dict[str, Build] = {
    "folder": _folder,
    "missing": _missing,
    "fifo": _fifo,
    "dev-zero": _dev_zero,
}


# ----------------------------------------------------------------------------- JSON values


def _leaves(value: Any, want: Callable[[Any], bool]) -> Iterator[tuple[Any, Any]]:
    """(container, key) of every leaf that ``want`` accepts, depth first."""
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        if want(item):
            yield value, key
        yield from _leaves(item, want)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def with_number(value: Any, number: float) -> str:
    """``value`` as JSON text with its first number replaced by ``number`` (``NaN``,
    ``Infinity``), or added under ``score`` when it has none."""
    value = copy.deepcopy(value)
    spot = next(_leaves(value, _is_number), None)
    if spot is not None:
        spot[0][spot[1]] = number
    elif isinstance(value, dict):
        value["score"] = number
    else:
        value = [value, number]
    return json.dumps(value, ensure_ascii=False)


def with_text(value: Any, extra: str) -> str | None:
    """``value`` as JSON text (raw characters, not escapes) with ``extra`` inside its longest
    string value (free text, not a name from a fixed set); None when it has no string value."""
    value = copy.deepcopy(value)
    spots = list(_leaves(value, lambda v: isinstance(v, str)))
    if not spots:
        return None
    spot = max(spots, key=lambda s: len(s[0][s[1]]))
    text = spot[0][spot[1]]
    spot[0][spot[1]] = text[:1] + extra + text[1:]
    return json.dumps(value, ensure_ascii=False)


def not_utf8(text: str) -> bytes:
    """``text`` encoded, with a 0xFF byte inside its first string."""
    return text.encode("utf-8").replace(b'"', b'"\xff', 1)


def deep_json() -> str:
    return "[" * DEEP + "]" * DEEP


def alias_bomb_block(key: str) -> str:
    """YAML: ``key`` holds nine levels of nine aliases each (9**10 values once expanded)."""
    lines = [f"{key}:", "  l0: &l0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def alias_bomb_flow() -> str:
    """The same bomb as one flow value (for ``--set key=VALUE``)."""
    parts = ["&l0 [" + ", ".join(["lol"] * 9) + "]"]
    parts += [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "[" + ", ".join(parts) + "]"


# ----------------------------------------------------------------------------- cases by kind


def jsonl_cases(rows: list[Any]) -> Iterator[tuple[str, str, Build]]:
    first = rows[0] if rows else {}
    text = row_line(first)
    rest = rows[1:]

    def line(first_line: str | bytes, env: dict[str, str] | None = None) -> Build:
        def build(place: Place) -> Plant:
            head = first_line if isinstance(first_line, bytes) else first_line.encode("utf-8")
            place.file.write_bytes(head + b"\n" + jsonl_bytes(rest))
            return Plant(env=dict(env or {}))

        return build

    for name, build in PATH_CASES.items():
        yield name, REFUSED, build
    yield "empty", REFUSED, _write(b"")
    yield "not-utf8", REFUSED, line(not_utf8(text))
    yield "invalid-json", REFUSED, line(text[:-1])
    yield "nan", REFUSED, line(with_number(first, float("nan")))
    yield "infinity", REFUSED, line(with_number(first, float("inf")))
    yield "deep", REFUSED, line(deep_json())
    yield "not-object", REFUSED, line("[1]")
    long_row = {**first, "pad": "x" * 10_240} if isinstance(first, dict) else first
    yield (
        "long-line",
        REFUSED,
        line(row_line(long_row), {"LMFORGE_MAX_LINE_BYTES": str(SMALL_LINE_LIMIT)}),
    )
    yield "symlink-loop", REFUSED, _symlink_loop
    for key, value in first.items() if isinstance(first, dict) else ():
        yield f"drop-{key}", REFUSED, line(row_line({k: v for k, v in first.items() if k != key}))
        yield f"null-{key}", REFUSED, line(row_line({**first, key: None}))
        yield f"list-{key}", REFUSED, line(row_line({**first, key: ["x", 1]}))
        if isinstance(value, int) and not isinstance(value, bool):
            yield f"float-{key}", REFUSED, line(row_line({**first, key: value + 0.9}))
    valid = jsonl_bytes(rows)
    yield "bom", ACCEPTED, _write(BOM + valid)
    for name, char in (("u2028", "\u2028"), ("u0085", "\u0085")):
        bent = with_text(first, char)
        if bent is not None:
            yield name, ACCEPTED, _write(jsonl_bytes(rows, first=bent))
    yield "crlf", ACCEPTED, _write(jsonl_bytes(rows, end="\r\n"))
    yield "stdin", ACCEPTED, lambda place: Plant(path="/dev/stdin", stdin=valid)
    yield "fd-pipe", ACCEPTED, lambda place: Plant(path="/dev/fd/{fd}", pipe=valid)


def json_cases(sample: Any) -> Iterator[tuple[str, str, Build]]:
    text = json.dumps(sample, ensure_ascii=False)
    for name, build in PATH_CASES.items():
        yield name, REFUSED, build
    yield "empty", REFUSED, _write(b"")
    yield "not-utf8", REFUSED, _write(not_utf8(text))
    yield "invalid-json", REFUSED, _write(text[:-1].encode("utf-8"))
    yield "nan", REFUSED, _write(with_number(sample, float("nan")).encode("utf-8"))
    yield "deep", REFUSED, _write(deep_json().encode())
    wrong = [sample] if isinstance(sample, dict) else {"items": sample}
    yield "wrong-top", REFUSED, _write(json.dumps(wrong).encode("utf-8"))
    yield "bom", ACCEPTED, _write(BOM + text.encode("utf-8"))


def yaml_cases(sample: Any, key: str, typo: bool) -> Iterator[tuple[str, str, Build]]:
    """Cases of a YAML file: the ``--config`` (``typo``: unknown keys are refused) or a field."""
    yield "folder", REFUSED, _folder
    yield "missing", REFUSED, _missing
    yield "fifo", REFUSED, _fifo
    yield "not-utf8", REFUSED, _write(f"{key}: \xff\n".encode("latin-1"))
    yield "symlink-loop", REFUSED, _symlink_loop
    yield "alias-bomb", REFUSED, _write(alias_bomb_block(key).encode())
    if typo:
        yield "typo", REFUSED, _write(b"concurency: 4\n")
    yield "list", REFUSED, _write(b"- 1\n- 2\n")
    yield "bom", ACCEPTED, _write(BOM + valid_bytes("yaml", sample))


def text_cases(sample: str) -> Iterator[tuple[str, str, Build]]:
    """A plain-text document (``TextPath``)."""
    valid = sample.encode("utf-8")
    for name, build in PATH_CASES.items():
        yield name, REFUSED, build
    yield "empty", REFUSED, _write(b"")
    yield "blank", REFUSED, _write(b" \n\t\n")
    yield "not-utf8", REFUSED, _write(valid[:4] + b"\xff" + valid[4:])
    yield "symlink-loop", REFUSED, _symlink_loop

    def too_large(place: Place) -> Plant:
        place.file.write_bytes(valid)
        return Plant(env={"LMFORGE_MAX_TEXT_BYTES": str(len(valid) - 1)})

    yield "too-large", REFUSED, too_large
    yield "bom", ACCEPTED, _write(BOM + valid)
    yield "crlf", ACCEPTED, _write(sample.replace("\n", "\r\n").encode("utf-8"))
    yield "stdin", ACCEPTED, lambda place: Plant(path="/dev/stdin", stdin=valid)
    yield "fd-pipe", ACCEPTED, lambda place: Plant(path="/dev/fd/{fd}", pipe=valid)


def deck_cases() -> Iterator[tuple[str, str, Build]]:
    for name, build in PATH_CASES.items():
        yield name, REFUSED, build
    yield "empty", REFUSED, _write(b"")

    def renamed(ext: str, data: Callable[[], bytes]) -> Build:
        def build(place: Place) -> Plant:
            path = place.file.with_suffix(ext)
            path.write_bytes(data())
            return Plant(path=path.name)

        return build

    yield "random-pdf", REFUSED, renamed(".pdf", lambda: random.Random(13).randbytes(4096))
    yield "junk-pptx", REFUSED, renamed(".pptx", junk_zip)


def junk_zip() -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("junk.txt", "not a presentation\n" * 20)
        zf.writestr("ppt/junk.bin", random.Random(7).randbytes(512))
    return buf.getvalue()


def rundir_cases() -> Iterator[tuple[str, str, Build]]:
    yield "missing", REFUSED, _missing

    def a_file(place: Place) -> Plant:
        place.file.write_text("{}\n")
        return Plant()

    def inner(name: str, data: bytes) -> Build:
        def build(place: Place) -> Plant:
            shutil.copytree(place.run_dir(), place.file, symlinks=True)
            (place.file / name).write_bytes(data)
            return Plant(names=(place.name, name))

        return build

    yield "file", REFUSED, a_file
    yield "summary-wrong", REFUSED, inner("summary.json", b'{"report": 5}\n')
    yield "summary-invalid-json", REFUSED, inner("summary.json", b'{"what": "batch",\n')
    yield "summary-not-utf8", REFUSED, inner("summary.json", b'{"what": "\xff"}\n')
    yield "config-alias-bomb", REFUSED, inner("config.yaml", alias_bomb_block("model").encode())


KIND_CASES: dict[str, Callable[[Any], Iterator[tuple[str, str, Build]]]] = {
    "jsonl": jsonl_cases,
    "json": json_cases,
    "agenda": json_cases,
    "yaml": lambda sample: yaml_cases(sample, next(iter(sample or {"x": 1})), typo=False),
    "deck": lambda sample: deck_cases(),
    "text": text_cases,
    "rundir": lambda sample: rundir_cases(),
}


# ----------------------------------------------------------------------------- per verb


def config_key(cls: type) -> str:
    """The field the ``--config``/``--set`` bombs are put under: ``limit``, else the first."""
    names = list(cls.model_fields)
    return "limit" if "limit" in names else names[0]


def option_cases(cls: type | None, probe: Probe) -> Iterator[tuple[str, str, str, Build]]:
    """(target, what, expect, build) of the cases that break no sample file."""
    if cls is not None:
        key = config_key(cls)
        sample = {"limit": 1} if "limit" in cls.model_fields else {}
        for what, expect, build in yaml_cases(sample, key, typo=True):
            yield "config", what, expect, _as_config(build)
        yield "set", "alias-bomb", REFUSED, _as_set(f"{key}={alias_bomb_flow()}")
        yield "set", "typo", REFUSED, _as_set("concurency=4")
    if probe.output is not None:
        yield "output", "folder", REFUSED, _folder
        yield "output", "under-file", REFUSED, _under_file
    if probe.model:
        yield "env", "cache-maybe", REFUSED, _env("LMFORGE_CACHE", "maybe")
        yield "env", "max-line-zero", REFUSED, _env("LMFORGE_MAX_LINE_BYTES", "0")


def _as_config(build: Build) -> Build:
    def wrapped(place: Place) -> Plant:
        plant = build(place)
        path = plant.path or place.name
        plant.args = ("--config", path)
        plant.names = plant.names or (path, Path(path).name)
        return plant

    return wrapped


def _as_set(value: str) -> Build:
    return lambda place: Plant(args=("--set", value), names=("--set",))


def _env(var: str, value: str) -> Build:
    return lambda place: Plant(env={var: value}, names=(var,))


def _under_file(place: Place) -> Plant:
    parent = place.root / "ok.jsonl"
    parent.write_text('{"id": "x"}\n')
    path = f"{parent.name}/{place.name}"
    return Plant(path=path, names=(path, place.name, parent.name))


def cases_for(words: str, verb: Any, probe: Probe) -> list[Case]:
    """Every case of one probed verb, baseline first."""
    cls = config_class(verb)
    marks = marked_fields(cls)
    found = [Case(slug(words), "", "", ACCEPTED, lambda place: Plant())]
    for key, sample in probe.samples.items():
        kind = kind_of(key, sample, marks)
        for what, expect, build in KIND_CASES[kind](sample):
            expect = ACCEPTED if f"{key}-{what}" in probe.accepts else expect
            found.append(Case(f"{slug(words)}-{key}-{what}", key, kind, expect, build))
    for target, what, expect, build in option_cases(cls, probe):
        kind = {"config": "yaml", "set": "yaml"}.get(target, target)
        found.append(Case(f"{slug(words)}-{target}-{what}", target, kind, expect, build))
    if probe.refusals_only:  # no valid run: the baseline and the accepted cases are left out
        found = found[:1] + [c for c in found[1:] if c.expect == REFUSED]
    return found
