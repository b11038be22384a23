"""``runs/<what>/<timestamp>/``: the effective config, per-record JSONL and ``summary.json``.

Where a run writes is checked before any work: a ``--out`` run folder or an ``--output`` file
that is in the way (a file where a folder is wanted, a folder where a file is), read-only, or
under a folder that cannot be made or written is a one-line :class:`~lmforge.errors.InputError`
naming the path, and nothing is written (:func:`check_run_folder`, :func:`check_output_file`).

Whole files are written as a temp file (``.NAME.PID.tmp``) then renamed. A kill during that
leaves the temp file behind; reusing the folder removes those of processes no longer alive
(:func:`sweep_temps`), and a write that fails in this process removes its own (:func:`cleaned`).
A temp file modified in the last ``STALE_AFTER_S`` seconds is left alone even when its pid is
not alive here: shards on other machines may share the folder, and their pids mean nothing
on this one (a writer touches its temp file as it goes; one left by a kill is swept next time).

With a shard, the config and summary carry it (``config.shard-0-of-4.yaml``,
``summary.shard-0-of-4.json``), so shards sharing one folder each keep their own; the folder's
``summary.json`` is then the shards' summaries added up (:func:`~.shards.combine_summaries`),
rewritten as each shard finishes and by ``lmforge merge`` and ``lmforge report``.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from lmforge.errors import InputError

from .shards import combine_summaries, shard_path
from .summary import watching, with_history

__all__ = [
    "RunDir",
    "check_output_file",
    "check_run_folder",
    "cleaned",
    "sweep_temps",
]

TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.tmp$")
"""The temp file ``write_jsonl`` writes before its rename: ``.NAME.PID.tmp``."""
STALE_AFTER_S = 30.0
"""A temp file untouched this long, of a pid not alive here, is left over from a kill."""
SHARD_SUMMARY = re.compile(r"^summary\.shard-(\d+)-of-(\d+)\.json$")


def _plain(config: BaseModel | dict[str, Any] | None) -> dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, BaseModel):
        return config.model_dump(mode="json")
    return json.loads(json.dumps(config, default=str))


# --------------------------------------------------------------------------- checks


def _check_folder(folder: Path, path: Path) -> None:
    """``folder`` can take new files: it exists and may be written, or mkdir can make it."""
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise InputError(f"{existing} is a file, not a folder", path=path)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"cannot write in {existing} (permission denied)", path=path)


def _read_only(path: Path) -> bool:
    return not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222


def check_output_file(path: str | Path) -> None:
    """Refuse, before any work, a file path a run could not write at the end."""
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder; expected a file path to write the output to", path=path)
    if path.exists() and _read_only(path):
        raise InputError("file is read-only", path=path)
    _check_folder(path.parent, path)


def check_run_folder(path: str | Path) -> None:
    """Refuse, before any work, a run folder (``--out``) a run could not write in."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError("is a file; --out takes a run folder", path=path)
    _check_folder(path, path)


# --------------------------------------------------------------------------- temp files


def _alive(pid: int) -> bool:
    """Whether another process ``pid`` runs (our own pid counts as gone: nothing of this
    process is writing while it sweeps, and a container may reuse the pid of a killed run)."""
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_temps(
    folder: str | Path, names: Iterable[str] | None = None, *, recursive: bool = False
) -> list[Path]:
    """Remove the temp files left in ``folder`` by writers that are gone (a pid not alive
    here, untouched for ``STALE_AFTER_S``); returns them.

    ``names`` limits the sweep to the temp files of those files (a user's folder holding an
    ``--output``); without it every ``.NAME.PID.tmp`` counts (a run folder, which is ours).
    """
    folder, wanted = Path(folder), set(names) if names is not None else None
    if not folder.is_dir():
        return []
    removed = []
    for path in folder.rglob(".*.tmp") if recursive else folder.glob(".*.tmp"):
        match = TEMP.match(path.name)
        if not match or (wanted is not None and match["name"] not in wanted):
            continue
        try:
            idle = time.time() - path.stat().st_mtime
        except OSError:
            continue
        if idle > STALE_AFTER_S and not _alive(int(match["pid"])):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextmanager
def cleaned(path: str | Path) -> Iterator[None]:
    """Around a whole-file write of ``path``: if it fails (a full disk, Ctrl-C), this
    process's temp file of it is removed rather than left behind."""
    try:
        yield
    except BaseException:
        path = Path(path)
        path.with_name(f".{path.name}.{os.getpid()}.tmp").unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_text(target: Path, text: str) -> None:
    """Whole-file write by temp file and rename, so a reader never sees half a summary."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with cleaned(target):
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)


# --------------------------------------------------------------------------- the folder


class RunDir:
    """One run's folder. Reusing an existing folder (``--out``) resumes that run.

    ``shard`` (i, n) names the config and summary of shard i (``summary.shard-0-of-4.json``).
    """

    def __init__(self, path: str | Path, *, shard: tuple[int, int] | None = None) -> None:
        self.path = Path(path)
        self.shard = shard
        self.started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.invocation = uuid.uuid4().hex[:12]
        """This command's entry in the summary's ``history`` (a resume adds its own)."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot make the run folder ({exc.strerror})", path=path) from None
        if (watch := watching()) is not None:
            watch.folders.append(self.path)

    @classmethod
    def create(cls, what: str, root: str | Path = "runs", *, stamp: str | None = None) -> RunDir:
        stamp = stamp or datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        path = Path(root) / what / stamp
        suffix = 1
        while path.exists():
            suffix += 1
            path = Path(root) / what / f"{stamp}-{suffix}"
        check_run_folder(path)
        return cls(path)

    @classmethod
    def open(cls, out: str | Path | None, what: str, root: str | Path = "runs") -> RunDir:
        """The folder asked for (``--out``: reusing one resumes that run), else a new one.

        The folder is checked first (nothing is made when it cannot be written); a reused
        one loses the temp files a killed run left in it.
        """
        if out is None:
            return cls.create(what, root)
        check_run_folder(out)
        run = cls(out)
        sweep_temps(run.path, recursive=True)
        return run

    @property
    def config_path(self) -> Path:
        return shard_path(self.path / "config.yaml", self.shard)

    @property
    def summary_path(self) -> Path:
        return shard_path(self.path / "summary.json", self.shard)

    def write_config(self, config: BaseModel | dict[str, Any] | None) -> Path:
        text = yaml.safe_dump(_plain(config), sort_keys=False, allow_unicode=True)
        _write_text(self.config_path, text)
        return self.config_path

    def write_summary(self, summary: dict[str, Any]) -> Path:
        """``summary.json`` (a shard's own file with a shard); the CLI's watch learns of it.

        The costs of the commands run into this folder before (a resume) are kept beside
        this command's: ``whole_run`` and ``history`` (:func:`~.summary.with_history`) are
        added to ``summary`` (in place, so a caller returning it returns what was written).
        """
        target = self.summary_path
        previous = _read_json(target) if target.exists() else None
        merged = with_history(
            summary, previous or {}, invocation=self.invocation, started=self.started
        )
        summary.update(whole_run=merged["whole_run"], history=merged["history"])
        _write_text(target, _json(summary))
        if (watch := watching()) is not None:
            watch.summaries[target] = summary
        if self.shard is not None:
            self.combine_shards()
        return target

    def read_summary(self) -> dict[str, Any]:
        target = self.summary_path
        return json.loads(target.read_text()) if target.exists() else {}

    def combine_shards(self) -> Path | None:
        """A shard folder's ``summary.json``: its shard summaries added up (what ``lmforge
        report`` shows). A ``summary.json`` of an unsharded run in the same folder is kept."""
        parts = {}
        for path in sorted(self.path.glob("summary.shard-*-of-*.json")):
            match = SHARD_SUMMARY.match(path.name)
            if match and (part := _read_json(path)) is not None:
                parts[(int(match[1]), int(match[2]))] = part
        target = self.path / "summary.json"
        if not parts or (target.exists() and "shards" not in (_read_json(target) or {})):
            return None
        combined = combine_summaries(parts)
        _write_text(target, _json(combined))
        return target

    def __truediv__(self, name: str) -> Path:
        return self.path / name


def _json(value: Any) -> str:
    """Strict JSON for the run's own files: a NaN score is written as ``null``."""
    from .records import finite

    return json.dumps(finite(value), indent=2, ensure_ascii=False, default=str, allow_nan=False)
