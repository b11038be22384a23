"""Receiving a deck upload: stream it to disk under the size limit, then let the ingestion
decide whether it is a deck, before any course row exists.

Why the full ingestion check at upload and not only the magic bytes: the hostile decks of the
ingestion corpus (ZIP bombs, inflating PDF streams, 400 MB slides, thousands of pages) must be
refused while the teacher is still on the upload page, with the ingestion's own one-line
reason, not discovered later by the background worker. Reading the text is cheap (images are
rendered later by the worker); `isolated_ingest` runs it in a child process under a memory
cap, since the file comes from a stranger.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from fastapi import UploadFile

from lmforge.classroom.ingest.limits import DeckError, Limits

__all__ = ["CHUNK", "UploadRefused", "display_name", "receive_deck"]

CHUNK = 1 << 20
SUFFIXES = (".pdf", ".pptx")


class UploadRefused(Exception):
    """An upload that is not accepted; the message is for the teacher (one line)."""


def display_name(filename: str | None) -> str:
    """The file name as the teacher gave it, without any folder, for messages and pages (the
    templates escape it; this only bounds its length and drops control characters)."""
    name = (filename or "deck").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return (name or "deck")[:200]


async def _save(upload: UploadFile, target: Path, limit: int) -> int:
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise UploadRefused(
                    f"the file is larger than the {limit // (1 << 20)} MiB upload limit"
                )
            out.write(chunk)
    return size


def check_deck_file(path: Path, shown: str, limits: Limits, *, isolated: bool) -> int:
    """Pages of the deck at `path`, or `UploadRefused` with the ingestion's reason."""
    from lmforge.classroom.ingest import load_deck

    try:
        deck = load_deck(path, limits=limits, isolated=isolated)
    except DeckError as exc:
        raise UploadRefused(str(exc).replace(str(path), shown)) from None
    if not deck.pages:
        raise UploadRefused(f"{shown}: the deck has no pages")
    return len(deck.pages)


async def receive_deck(
    upload: UploadFile, folder: Path, limits: Limits, *, isolated: bool
) -> tuple[Path, str, int]:
    """Save the upload into `folder` and check it; returns (path, shown name, pages). On
    refusal the folder is removed and `UploadRefused` says why."""
    shown = display_name(upload.filename)
    suffix = Path(shown).suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadRefused(f"{shown}: upload a .pdf or .pptx deck")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"deck{suffix}"
    try:
        size = await _save(upload, target, limits.max_file_bytes)
        if size == 0:
            raise UploadRefused(f"{shown}: the file is empty")
        from anyio import to_thread

        pages = await to_thread.run_sync(
            lambda: check_deck_file(target, shown, limits, isolated=isolated)
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return target, shown, pages
