"""PPTX page images through LibreOffice: pptx -> pdf (``soffice --convert-to pdf``) -> PNGs.

LibreOffice is an optional system package, so everything here degrades: without ``soffice`` on
PATH, or when the conversion fails or runs out of time, the deck keeps its text and its pages
simply have no image (a warning is logged). The conversion runs in its own process group with a
throw-away user profile, so a hung or crashing LibreOffice is killed whole and never touches the
user's own LibreOffice settings or lock files.

LibreOffice leaves hidden slides out of its PDF; when the PDF has one page per *visible* slide,
images are matched to visible slides in order.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from lmforge.classroom.ingest.limits import Deadline, DeadlineError, DeckError, Limits
from lmforge.classroom.ingest.pdf_reader import open_pdf, render_pages

__all__ = ["find_soffice", "pptx_to_pdf", "render_pptx"]

log = logging.getLogger(__name__)


def find_soffice() -> str | None:
    """The LibreOffice executable on PATH (``soffice`` or ``libreoffice``), if any."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def pptx_to_pdf(soffice: str, pptx: Path, workdir: Path, timeout: float) -> Path | None:
    """Convert with LibreOffice into ``workdir``; None (and a warning) on failure or timeout."""
    src = workdir / "deck.pptx"  # a plain name: LibreOffice names its output after the input
    shutil.copyfile(pptx, src)
    profile = (workdir / "profile").as_uri()
    cmd = [
        soffice,
        f"-env:UserInstallation={profile}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        "pdf",
        "--outdir",
        str(workdir),
        str(src),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):  # soffice forks soffice.bin: kill both
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        log.warning("%s: LibreOffice did not finish in %.0f s; no page images", pptx, timeout)
        return None
    out = workdir / "deck.pdf"
    if proc.returncode != 0 or not out.is_file():
        tail = output.decode("utf-8", "replace").strip()[-300:]
        log.warning("%s: LibreOffice failed (exit %s): %s", pptx, proc.returncode, tail)
        return None
    return out


def _targets(
    n_pdf: int, hidden: list[bool], images_dir: Path, stem: str
) -> dict[int, tuple[int, Path]] | None:
    """PDF page index -> (deck page index, PNG path), or None when the counts cannot match."""
    shown = [i for i, h in enumerate(hidden, start=1) if not h]
    if n_pdf == len(hidden):
        pages = list(range(1, n_pdf + 1))
    elif n_pdf == len(shown):
        pages = shown
    else:
        return None
    return {i: (page, images_dir / f"{stem}-p{page:03d}.png") for i, page in enumerate(pages)}


def render_pptx(
    pptx: Path,
    hidden: list[bool],
    images_dir: Path,
    limits: Limits,
    deadline: Deadline,
    *,
    width: int = 1280,
) -> dict[int, Path]:
    """Deck page index (1-based) -> PNG for the slides LibreOffice rendered; {} without it."""
    soffice = find_soffice()
    if soffice is None:
        log.info("%s: LibreOffice not found on PATH; PPTX pages get no images", pptx)
        return {}
    with tempfile.TemporaryDirectory(prefix="lmforge-soffice-") as tmp:
        pdf_path = pptx_to_pdf(soffice, pptx, Path(tmp), timeout=max(1.0, deadline.left()))
        if pdf_path is None:
            return {}
        try:
            return _render_converted(pdf_path, pptx, hidden, images_dir, limits, deadline, width)
        except DeadlineError:
            raise
        except DeckError as exc:  # LibreOffice wrote something PDFium cannot use
            log.warning("%s: LibreOffice's PDF is unusable (%s); no page images", pptx, exc)
            return {}


def _render_converted(
    pdf_path: Path,
    pptx: Path,
    hidden: list[bool],
    images_dir: Path,
    limits: Limits,
    deadline: Deadline,
    width: int,
) -> dict[int, Path]:
    pdf = open_pdf(pdf_path, limits)
    n_pdf = len(pdf)
    pdf.close()
    targets = _targets(n_pdf, hidden, images_dir, pptx.stem)
    if targets is None:
        log.warning(
            "%s: LibreOffice made %d pages for %d slides; no page images", pptx, n_pdf, len(hidden)
        )
        return {}
    pngs = {i: path for i, (_, path) in targets.items()}
    written = render_pages(pdf_path, pngs, limits, deadline, width=width)
    return {targets[i][0]: path for i, path in written.items()}
