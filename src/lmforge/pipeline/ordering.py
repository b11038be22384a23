"""Where a stage's rows end up once a run is over: input order, no empty side files.

Moved out of ``runner.py`` as they are (the runner calls :func:`tidy` at the end of each
``run_stage``; ``executors.py`` does the same for a Ray run). The lines of a finished record
move byte for byte, never re-made (``tests/pipeline/test_resume_promise.py``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from .records import iter_jsonl, record_id, write_jsonl
from .rundir import cleaned
from .summary import RunSummary


def done_ids(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {record_id(r) for _, r in iter_jsonl(path, allow_empty=True, tolerate_torn_tail=True)}


def _lines_by_id(path: Path) -> dict[str, bytes] | None:
    """Each complete line of our own output file by its row's id (the last line of an id
    wins; a torn last line is left out); None when a line is not a JSON object."""
    *whole, _after_last_newline = path.read_bytes().split(b"\n")
    lines: dict[str, bytes] = {}
    for raw in whole:
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(row, dict):
            return None
        lines[record_id(row)] = raw
    return lines


def _reorder(path: Path, order: list[str]) -> None:
    """Input order first; rows of ids not in this input (an earlier, larger run) stay, after.

    The lines move as they are, read once for their ids and never re-made (5,000 rows: 40 ms
    less than through the input gate). A file with a line that is not a JSON object goes
    through the gate instead, which names the line.
    """
    lines = _lines_by_id(path)
    if lines is None:
        rows = {
            record_id(r): r for _, r in iter_jsonl(path, allow_empty=True, tolerate_torn_tail=True)
        }
        with cleaned(path):
            write_jsonl(path, [*(rows.pop(i) for i in order if i in rows), *rows.values()])
        return
    ordered = [lines.pop(i) for i in order if i in lines]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with cleaned(path):
        with tmp.open("wb") as fh:
            fh.writelines(raw + b"\n" for raw in (*ordered, *lines.values()))
        os.replace(tmp, path)


def _tidy(out_path: Path, side_paths: Sequence[Path], order: list[str], s: RunSummary) -> None:
    """Input order once every record is accounted for; no empty side files left behind."""
    if s.failed == 0 and s.done + s.skipped + s.dropped == s.total:
        for path in (out_path, *side_paths):
            if path.exists():
                _reorder(path, order)
    for path in side_paths:
        if path.exists() and path.stat().st_size == 0:
            path.unlink()
