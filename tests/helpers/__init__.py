"""Shared test builders: in-memory decks and agendas, JSONL files, the CLI as a subprocess,
scripted models that wait.

Tests import them as ``from helpers import ...`` (``pythonpath = ["tests"]`` in
``pyproject.toml``). Each builder is small and takes the variations the tests need as
parameters, so a test's inputs stay visible at the call."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lmforge.classroom.agenda import Agenda, AgendaNode, AgendaPage
from lmforge.classroom.deck import Deck, Page
from lmforge.llm.scripted import ScriptedLLM

__all__ = [
    "GatedLLM",
    "lmforge_cli",
    "make_agenda",
    "make_deck",
    "run_python",
    "write_jsonl",
]


def write_jsonl(path: Path, rows: Iterable[Any]) -> Path:
    """Write ``rows`` to ``path`` (parents made), one ``json.dumps`` line each, and return it.

    A ``str`` row is written as it is, with no newline added: a broken line (``"{not json\\n"``)
    or a torn tail (a last line cut short, as a killed writer leaves it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    return path


def lmforge_cli(
    *args: object,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
    stdin: str | None = None,
) -> subprocess.CompletedProcess:
    """``python -m lmforge.cli ARGS`` as a user runs it: a subprocess with real exit codes,
    stdout and stderr captured as text. ``args`` are turned into strings (paths welcome);
    ``env`` is added over the current environment; ``stdin`` is sent as input."""
    return subprocess.run(
        [sys.executable, "-m", "lmforge.cli", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def run_python(code: str) -> subprocess.CompletedProcess:
    """``python -c CODE`` in a fresh interpreter (output captured as text; a non-zero exit
    raises): for checks that need a clean ``sys.modules``, such as which imports are lazy."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def make_deck(
    titles: int | Sequence[str],
    *,
    name: str = "demo",
    title: str = "Topic {i}",
    text: str = "{title}\nA line about {lower}.",
    notes: Mapping[int, str] | None = None,
    images: Mapping[int, Path] | None = None,
    kind: str = "pptx",
    source: Path | str | None = None,
) -> Deck:
    """An in-memory deck, one page per title (or ``titles`` pages titled ``title``).

    ``title`` and ``text`` are ``str.format`` patterns over ``i`` (1-based page number),
    ``title`` and ``lower`` (the title in lower case); ``notes`` and ``images`` give the
    speaker notes and page images of the pages that have them, by page number. ``source``
    defaults to ``{name}.{kind}``."""
    if isinstance(titles, int):
        titles = [title.format(i=i) for i in range(1, titles + 1)]
    notes, images = notes or {}, images or {}
    pages = [
        Page(
            index=i,
            title=t,
            text=text.format(i=i, title=t, lower=t.lower()),
            notes=notes.get(i, ""),
            image=images.get(i),
        )
        for i, t in enumerate(titles, 1)
    ]
    source = Path(source) if source is not None else Path(f"{name}.{kind}")
    return Deck(name=name, source=source, kind=kind, pages=pages)


Layout = Sequence[int | tuple[str, Sequence[int]]]


def make_agenda(
    layout: Layout,
    *,
    deck: str = "demo.pptx",
    page: Callable[[int], AgendaPage] | None = None,
) -> Agenda:
    """An agenda whose root (titled after the deck's stem) holds ``layout``: a page number
    is a page at the top level, ``(title, [numbers])`` a section of pages. ``page`` builds
    each page from its number (default: ``AgendaPage(index=i, description=f"Page {i}.")``).

    ``make_agenda([1, ("Start", [2, 3]), ("Core", [4, 5])])`` is a cover and two sections."""
    build = page or (lambda i: AgendaPage(index=i, description=f"Page {i}."))
    children = [
        build(item)
        if isinstance(item, int)
        else AgendaNode(title=item[0], children=[build(i) for i in item[1]])
        for item in layout
    ]
    return Agenda(deck=deck, root=AgendaNode(title=Path(deck).stem, children=children))


class GatedLLM(ScriptedLLM):
    """A ``ScriptedLLM`` whose every call waits until ``gate`` is set: a model call that is
    still running while the test looks at what else goes on."""

    def __init__(self, gate: asyncio.Event, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = gate

    async def _generate(self, messages, config):
        await self.gate.wait()
        return await super()._generate(messages, config)


def refused(result, *names: str) -> str:
    """The one error line of a refused run (exit 2, no traceback), naming each of ``names``."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().split("\n")
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


def text_pdf(path: Path, pages: tuple[str, ...] = ("Tokenization", "Splitting text")) -> Path:
    """A valid PDF written by hand, one Helvetica line per page (decks for input tests)."""
    objs = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    ids = [4 + 2 * i for i in range(len(pages))]
    objs[2] = (
        f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in ids)}] /Count {len(ids)} >>".encode()
    )
    for page_id, text in zip(ids, pages, strict=True):
        stream = f"BT /F1 24 Tf 40 340 Td ({text}) Tj ET".encode("latin-1")
        objs[page_id] = (
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 720 405]"
            f" /Resources << /Font << /F1 3 0 R >> >> /Contents {page_id + 1} 0 R >>"
        ).encode()
        objs[page_id + 1] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for num in sorted(objs):
        offsets[num] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, objs[num])
    xref, size = len(out), max(objs) + 1
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offsets[n]:010d} 00000 n \n".encode() for n in range(1, size))
    out += f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path
