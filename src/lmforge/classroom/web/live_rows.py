"""The `live_session` row of a web class: its lease (who steps the session) and the learner's
controls (paused, mode), read and written with Core statements in any ORM session.

Why apart from the driver (`web.live`): these are the few conditional UPDATEs that decide
between two claimants, and the routes and event streams use them without a driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Table, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from lmforge.classroom.store.models import aware
from lmforge.classroom.teach.engine import Session
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.errors import InputError

from .models import LiveSession

__all__ = [
    "MODES",
    "Controls",
    "claim",
    "controls",
    "due",
    "ensure_live",
    "live_table",
    "release",
    "set_controls",
    "utcnow",
    "wake_time",
]

MODES = ("continuous", "interactive")


def live_table(_s: OrmSession | None = None) -> Table:
    """The lease/controls table (`web.models.LiveSession`), for Core statements."""
    return LiveSession.__table__  # type: ignore[return-value]


@dataclass
class Controls:
    paused: bool
    mode: str
    holder: str | None
    lease_until: datetime | None
    wake_at: datetime | None

    def leased(self, now: datetime) -> bool:
        return self.holder is not None and self.lease_until is not None and self.lease_until > now


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def ensure_live(s: OrmSession, session_id: str, mode: str = "continuous") -> None:
    table = live_table(s)
    if s.execute(select(table.c.session_id).where(table.c.session_id == session_id)).first():
        return
    try:
        with s.begin_nested():
            s.execute(
                insert(table).values(
                    session_id=session_id, paused=False, mode=mode, updated_at=utcnow()
                )
            )
    except IntegrityError:  # a concurrent request made it
        pass


def controls(s: OrmSession, session_id: str) -> Controls | None:
    table = live_table(s)
    row = s.execute(select(table).where(table.c.session_id == session_id)).first()
    if row is None:
        return None
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
    values: dict[str, Any] = {"updated_at": utcnow()}
    if paused is not None:
        values["paused"] = paused
        values["wake_at"] = None if paused else utcnow()
    if mode is not None:
        if mode not in MODES:
            raise InputError(f"mode must be one of {', '.join(MODES)}", field="mode")
        values["mode"] = mode
        values["wake_at"] = utcnow()
    table = live_table(s)
    s.execute(update(table).where(table.c.session_id == session_id).values(**values))


def claim(s: OrmSession, session_id: str, holder: str, lease_s: float) -> bool:
    """Take (or renew) the lease: one conditional UPDATE, so of two claimants one wins."""
    table = live_table(s)
    now = utcnow()
    result = s.execute(
        update(table)
        .where(
            and_(
                table.c.session_id == session_id,
                or_(
                    table.c.holder.is_(None),
                    table.c.holder == holder,
                    table.c.lease_until.is_(None),
                    table.c.lease_until < now,
                ),
            )
        )
        .values(holder=holder, lease_until=now + timedelta(seconds=lease_s), updated_at=now)
    )
    return result.rowcount == 1


def release(s: OrmSession, session_id: str, holder: str, wake_at: datetime | None) -> None:
    table = live_table(s)
    s.execute(
        update(table)
        .where(table.c.session_id == session_id, table.c.holder == holder)
        .values(holder=None, lease_until=None, wake_at=wake_at, updated_at=utcnow())
    )


def wake_time(session: Session, config: TeachConfig, paused: bool) -> datetime | None:
    """When the session next needs a step with no learner action: now (mid-run), the end of
    the continuous-mode silence window, or never (paused, finished, interactive wait)."""
    state = session.state
    if paused or state.finished:
        return None
    if session.waiting_for() is None or session.ready():  # mid-run (a call cut off, too)
        return utcnow()
    fn = state.current()
    if state.mode == "continuous" and fn is not None and fn.wait_since is not None:
        return aware(fn.wait_since) + timedelta(seconds=config.wait_s)
    return None


def due(ctl: Controls | None, now: datetime | None = None) -> bool:
    """Does the session want a drive now (woken, not paused, nobody holding it)?"""
    if ctl is None or ctl.paused or ctl.wake_at is None:
        return False
    now = now or utcnow()
    return ctl.wake_at <= now and not ctl.leased(now)
