"""Ingestion in a child process with a hard memory cap and a hard time limit.

The checks in :mod:`detect` and the readers stop every hostile file we know of, but the parsers
underneath (libxml2, PDFium) are native code fed by strangers: a web app that accepts uploads
should not bet the server process on them. ``load_deck(..., isolated=True)`` runs the same
ingestion in ``python -m lmforge.classroom.ingest.isolated`` with ``RLIMIT_AS`` set to
``Limits.max_memory_bytes`` and kills it once ``Limits.max_seconds`` (plus the child's start-up
allowance) has passed. The request and the resulting deck travel as JSON over stdin/stdout;
whatever goes wrong in the child comes back as one :class:`DeckError` line.
"""

from __future__ import annotations

import json
import logging
import resource
import signal
import subprocess
import sys
from pathlib import Path

from lmforge.classroom.deck import Deck
from lmforge.classroom.ingest.limits import DeadlineError, DeckError, Limits

__all__ = ["STARTUP_SECONDS", "load_isolated", "main"]

log = logging.getLogger(__name__)

STARTUP_SECONDS = 15.0
"""Allowance for the child's interpreter and imports (about 1 s on an idle machine)."""


def load_isolated(
    path: Path,
    images_dir: Path | None,
    limits: Limits,
    image_width: int,
    *,
    python: str = sys.executable,
) -> Deck:
    """Run :func:`load_deck` in a capped child process and return its deck."""
    request = {
        "path": str(path),
        "images_dir": None if images_dir is None else str(images_dir),
        "limits": limits.model_dump(),
        "image_width": image_width,
    }
    timeout = limits.max_seconds + STARTUP_SECONDS
    try:
        proc = subprocess.run(
            [python, "-m", "lmforge.classroom.ingest.isolated"],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:  # subprocess.run has killed the child
        raise DeadlineError(
            f"ingestion process killed after {timeout:g} s (Limits.max_seconds"
            f" {limits.max_seconds:g} s + {STARTUP_SECONDS:g} s start-up)",
            path=path,
        ) from None
    return _answer(proc, path, limits)


def _answer(proc: subprocess.CompletedProcess[str], path: Path, limits: Limits) -> Deck:
    """The child's deck, or its error re-raised here."""
    if proc.returncode < 0:  # a native parser that runs out of memory aborts
        name = signal.Signals(-proc.returncode).name
        raise DeckError(
            f"ingestion process died ({name}) under its memory cap of"
            f" {limits.max_memory_bytes} bytes (Limits.max_memory_bytes)",
            path=path,
        )
    try:
        answer = json.loads(proc.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        tail = " ".join(proc.stderr.split())[-300:]
        raise DeckError(
            f"ingestion process failed (exit {proc.returncode}): {tail}", path=path
        ) from None
    if "deck" in answer:
        for line in proc.stderr.splitlines():  # the readers' warnings (no LibreOffice, ...)
            if line.strip():
                log.warning("%s", line)
        return Deck.model_validate(answer["deck"])
    error = DeadlineError if answer.get("error") == "DeadlineError" else DeckError
    raise error(answer["message"])  # the child's message already names the file


def _serve(request: dict) -> dict:
    """The child's work: one load, the answer as a JSON-able dict."""
    from lmforge.classroom.ingest.load import load_deck

    path = Path(request["path"])
    limits = Limits.model_validate(request["limits"])
    try:
        deck = load_deck(
            path,
            images_dir=request["images_dir"],
            limits=limits,
            image_width=request["image_width"],
        )
    except DeckError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    except MemoryError:
        message = (
            f"{path}: needs more than {limits.max_memory_bytes} bytes (Limits.max_memory_bytes)"
        )
        return {"error": "DeckError", "message": message}
    return {"deck": deck.model_dump(mode="json")}


def main() -> None:
    """Entry point of the child: read the request, cap memory, load, print one JSON line."""
    request = json.loads(sys.stdin.read())
    import lmforge.classroom.ingest.load  # noqa: F401 - import the parsers before the cap

    cap = int(request["limits"]["max_memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        answer = _serve(request)
    except Exception as exc:  # noqa: BLE001 - a parser bug on hostile input: report, not crash
        message = f"{request['path']}: unreadable deck: {type(exc).__name__}: {exc}"
        answer = {"error": "DeckError", "message": " ".join(message.split())[:500]}
    sys.stdout.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
