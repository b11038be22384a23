"""The `live_session` row of a class: its lease, the learner's controls and its wake-up time.

Why a module of its own: these are the small, single-statement operations that every route and
the driver share (claim or renew the lease with one conditional UPDATE, release it with the next
wake-up, read and set the controls); `live` composes them into a drive, and a learner's post
(`learner_post`) uses only the wake-up. See `live` for why the lease and controls live in a row.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from lmforge.classroom.store.models import aware
from lmforge.classroom.store.repository import ClassroomStore
from lmforge.classroom.teach.engine import Session
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.errors import InputError

from .models import LiveSession

__all__ = [
    "ClassBusy",
    "Controls",
    "bound_store",
    "claim",
    "claim_controls",
    "controls",
    "controls_of",
    "due",
    "ensure_live",
    "live_table",
    "new_holder",
    "release",
    "set_controls",
    "utc_now",
    "wake_time",
]

MODES = ("continuous", "interactive")


def live_table(_s: OrmSession | None = None) -> Table:
    """The lease/controls table (`web.models.LiveSession`), for Core statements."""
    return LiveSession.__table__  # type: ignore[return-value]


class ClassBusy(Exception):
    """Another request or worker is stepping this session right now (HTTP 409)."""


@dataclass
class Controls:
    paused: bool
    mode: str
    holder: str | None
    lease_until: datetime | None
    wake_at: datetime | None

    def leased(self, now: datetime) -> bool:
        return self.holder is not None and self.lease_until is not None and self.lease_until > now


class _BoundDatabase:
    """Makes one ORM session look like a `Database` to the store, so the store's operations
    join the request's transaction (on SQLite a second connection would wait for its lock)."""

    def __init__(self, session: OrmSession) -> None:
        self._session = session
        self.url = session.get_bind().url

    @contextlib.contextmanager
    def session(self) -> Iterator[OrmSession]:
        yield self._session
        self._session.flush()

    read = session


def bound_store(session: OrmSession) -> ClassroomStore:
    """The repository working inside `session`'s transaction."""
    return ClassroomStore(_BoundDatabase(session))  # type: ignore[arg-type]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def ensure_live(s: OrmSession, session_id: str, mode: str = "continuous") -> None:
    table = live_table(s)
    if s.execute(select(table.c.session_id).where(table.c.session_id == session_id)).first():
        return
    try:
        with s.begin_nested():
            s.execute(
                insert(table).values(
                    session_id=session_id, paused=False, mode=mode, updated_at=utc_now()
                )
            )
    except IntegrityError:  # a concurrent request made it
        pass


_TABLE = live_table()
_CONTROLS = select(_TABLE).where(_TABLE.c.session_id == bindparam("b_sid"))
"""Built once: SQLAlchemy spends more building a statement than SQLite running it (0.44 ms
against 0.09 ms for the claim below), and these run at every step and stream read. They run
on the transaction's connection (`s.connection()`): the ORM session's own `execute` added a
third to each Core statement's cost, and these statements touch no ORM objects."""


def controls(s: OrmSession, session_id: str) -> Controls | None:
    row = s.connection().execute(_CONTROLS, {"b_sid": session_id}).first()
    return None if row is None else controls_of(row)


def controls_of(row: Any) -> Controls:
    """A `live_session` row as `Controls`."""
    return Controls(
        paused=bool(row.paused),
        mode=row.mode,
        holder=row.holder,
        lease_until=aware(row.lease_until) if row.lease_until else None,
        wake_at=aware(row.wake_at) if row.wake_at else None,
    )


def set_controls(
    s: OrmSession, session_id: str, *, paused: bool | None = None, mode: str | None = None
) -> None:
    """The learner's switches; they take effect at the driver's next step."""
    values: dict[str, Any] = {"updated_at": utc_now()}
    if paused is not None:
        values["paused"] = paused
        values["wake_at"] = None if paused else utc_now()
    if mode is not None:
        if mode not in MODES:
            raise InputError(f"mode must be one of {', '.join(MODES)}", field="mode")
        values["mode"] = mode
        values["wake_at"] = utc_now()
    table = live_table(s)
    s.execute(update(table).where(table.c.session_id == session_id).values(**values))


_FREE = or_(
    _TABLE.c.holder.is_(None),
    _TABLE.c.holder == bindparam("b_holder"),
    _TABLE.c.lease_until.is_(None),
    _TABLE.c.lease_until < bindparam("b_now"),
)
_CLAIM = (
    update(_TABLE)
    .where(_TABLE.c.session_id == bindparam("b_sid"), _FREE)
    .values(
        holder=bindparam("b_holder"),
        lease_until=bindparam("b_until"),
        updated_at=bindparam("b_now"),
        claims=_TABLE.c.claims + 1,
    )
    .returning(_TABLE.c.claims, _TABLE.c.paused, _TABLE.c.mode)
)


def claim(s: OrmSession, session_id: str, holder: str, lease_s: float) -> int | None:
    """Take (or renew) the lease: one conditional UPDATE, so of two claimants one wins.
    Returns the row's claim count after this claim (see `LiveSession.claims`), None when
    someone else holds the lease."""
    row = claim_controls(s, session_id, holder, lease_s)
    return None if row is None else row[0]


def claim_controls(
    s: OrmSession, session_id: str, holder: str, lease_s: float
) -> tuple[int, bool, str] | None:
    """`claim`, returning the claim count and the learner's switches (paused, mode) of the
    same row: a drive's step needs both, and one statement is cheaper than two."""
    now = utc_now()
    params = {"b_sid": session_id, "b_holder": holder, "b_now": now}
    params["b_until"] = now + timedelta(seconds=lease_s)
    row = s.connection().execute(_CLAIM, params).first()
    return None if row is None else (int(row[0]), bool(row[1]), str(row[2]))


_RELEASE = (
    update(_TABLE)
    .where(_TABLE.c.session_id == bindparam("b_sid"), _TABLE.c.holder == bindparam("b_holder"))
    .values(
        holder=None, lease_until=None, wake_at=bindparam("b_wake"), updated_at=bindparam("b_now")
    )
)


def release(s: OrmSession, session_id: str, holder: str, wake_at: datetime | None) -> None:
    params = {"b_sid": session_id, "b_holder": holder, "b_wake": wake_at, "b_now": utc_now()}
    s.connection().execute(_RELEASE, params)


def wake_time(session: Session, config: TeachConfig, paused: bool) -> datetime | None:
    """When the session next needs a step with no learner action: now (mid-run), the end of
    the continuous-mode silence window, or never (paused, finished, interactive wait)."""
    state = session.state
    if paused or state.finished:
        return None
    if session.waiting_for() is None or session.ready():  # mid-run (a call cut off, too)
        return utc_now()
    fn = state.current()
    if state.mode == "continuous" and fn is not None and fn.wait_since is not None:
        return aware(fn.wait_since) + timedelta(seconds=config.wait_s)
    return None


def new_holder() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def due(ctl: Controls | None, now: datetime | None = None) -> bool:
    """Does the session want a drive now (woken, not paused, nobody holding it)?"""
    if ctl is None or ctl.paused or ctl.wake_at is None:
        return False
    now = now or utc_now()
    return ctl.wake_at <= now and not ctl.leased(now)
