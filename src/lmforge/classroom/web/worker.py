"""The prepare worker: uploaded courses are prepared in the background, one at a time.

Why a queue in the database: the server may run several worker processes and restart at any
time; a course row in `queued` is the job, a conditional UPDATE claims it (only one process
wins, on SQLite and PostgreSQL alike), `heartbeat_at` is refreshed while it runs, and a claim
whose heartbeat is older than `STALE_S` (its process died) is claimed again. Progress goes to
`course.progress` so the status page, served by any worker, can show it after a reload.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select, update

from lmforge.classroom.store.db import Database

from .models import Course

__all__ = ["STALE_S", "PrepareWorker", "claim_next", "prepare_course", "run_pending"]

log = logging.getLogger(__name__)
STALE_S = 120.0
"""A claim without a heartbeat for this long belongs to a dead process and is taken over."""
HEARTBEAT_S = 10.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _claimable(now: datetime) -> Any:
    stale = now - timedelta(seconds=STALE_S)
    return or_(
        Course.status == "queued",
        and_(Course.status == "preparing", Course.heartbeat_at < stale),
    )


def claim_next(database: Database, worker_id: str) -> str | None:
    """Claim the oldest queued (or abandoned) course for `worker_id`; its id, or None."""
    now = _now()
    with database.session() as s:
        query = select(Course.id).where(_claimable(now)).order_by(Course.created_at).limit(1)
        course_id = s.scalar(query)
        if course_id is None:
            return None
        claimed = s.execute(
            update(Course)
            .where(Course.id == course_id, _claimable(now))
            .values(status="preparing", worker=worker_id, heartbeat_at=now, error="")
        )
        return course_id if claimed.rowcount == 1 else None


def _set(database: Database, course_id: str, worker_id: str, **values: Any) -> bool:
    """Update our claimed course; False when the claim was lost (taken over or deleted)."""
    with database.session() as s:
        done = s.execute(
            update(Course)
            .where(Course.id == course_id, Course.worker == worker_id)
            .values(heartbeat_at=_now(), **values)
        )
        return done.rowcount == 1


class _Heartbeat:
    """Refreshes the claim every HEARTBEAT_S while a long model call gives no progress tick."""

    def __init__(self, database: Database, course_id: str, worker_id: str) -> None:
        self.args = (database, course_id, worker_id)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="prepare-heartbeat")

    def _run(self) -> None:
        while not self.stop.wait(HEARTBEAT_S):
            try:
                _set(*self.args)
            except Exception:  # a missed beat is harmless; the next one retries
                log.warning("heartbeat of course %s failed", self.args[1], exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def _one_line(exc: BaseException, deck: Path, shown: str) -> str:
    text = str(exc).replace(str(deck), shown).splitlines()
    return (text[0] if text else type(exc).__name__)[:500]


def prepare_course(app: Any, course_id: str, worker_id: str) -> str:
    """Ingest the course's deck, run Read + Plan with the app's model, store the lecture.
    Returns the final status (`ready` or `failed`; the error is a one-line message)."""
    from lmforge.classroom.ingest import load_deck
    from lmforge.classroom.prepare import PrepareConfig, prepare_with_report
    from lmforge.classroom.store import ClassroomStore

    settings, database = app.state.settings, app.state.db
    with database.read() as s:
        course = s.get(Course, course_id)
        if course is None:
            return "failed"
        deck_path, shown = Path(course.deck_path), course.deck_name or "deck"
    slides = settings.data_dir / "courses" / course_id / "slides"

    def progress(step: str, done: int, total: int) -> None:
        _set(database, course_id, worker_id, progress={"step": step, "done": done, "total": total})

    try:
        with _Heartbeat(database, course_id, worker_id):
            progress("read", 0, 1)
            deck = load_deck(
                deck_path,
                images_dir=slides,
                limits=settings.limits,
                isolated=settings.isolated_ingest,
            )
            config = PrepareConfig(
                describe=settings.prepare_describe, outline=settings.prepare_outline
            )
            agenda, _report = asyncio.run(
                prepare_with_report(deck, app.state.llm, progress=progress, config=config)
            )
            lecture_id = ClassroomStore(database).save_lecture(deck, agenda)
    except Exception as exc:  # a deck or model failure fails this course, not the worker
        log.warning("preparing course %s failed: %s", course_id, exc)
        _set(
            database, course_id, worker_id, status="failed", error=_one_line(exc, deck_path, shown)
        )
        return "failed"
    pages = len(deck.pages)
    done = {"step": "done", "done": pages, "total": pages}
    if not _set(database, course_id, worker_id, status="ready", lecture_id=lecture_id,
                progress=done):  # fmt: skip
        # The claim was lost while we worked: the other worker's result stands, ours goes.
        ClassroomStore(database).delete_lecture(lecture_id)
        return "failed"
    return "ready"


def run_pending(app: Any, worker_id: str | None = None, limit: int | None = None) -> int:
    """Prepare queued courses in this thread until the queue is empty (tests, `serve` with no
    worker thread); returns how many were prepared."""
    worker_id = worker_id or _worker_id()
    count = 0
    while limit is None or count < limit:
        course_id = claim_next(app.state.db, worker_id)
        if course_id is None:
            break
        prepare_course(app, course_id, worker_id)
        count += 1
    return count


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class PrepareWorker:
    """A daemon thread of the server process that polls the queue (see the module docstring)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.worker_id = _worker_id()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="prepare-worker")

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.thread.join(timeout=timeout)

    def _run(self) -> None:
        poll = self.app.state.settings.worker_poll_s
        while not self.stopping.is_set():
            try:
                course_id = claim_next(self.app.state.db, self.worker_id)
                if course_id is not None:
                    prepare_course(self.app, course_id, self.worker_id)
                    continue
            except Exception:  # the worker must outlive one bad course or a database hiccup
                log.exception("prepare worker error")
            self.stopping.wait(poll)
