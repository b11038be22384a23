"""The web app's tables, on the classroom store's `Base` (one metadata, one Alembic history).

Why these and no more: everything a page, a worker or a stream needs lives here or in the
store's session tables, so any uvicorn worker can serve any request (no per-process state).
`Account` points at a store `Learner` for students, so the existing session, message and quiz
tables need no change; `Login` rows make a signed cookie revocable (logout ends it on every
worker); `RateEvent` rows are the counters of the rate limits, shared by all workers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lmforge.classroom.store.models import Base, RowId, new_id, utcnow

__all__ = [
    "BUILTIN_AGENTS",
    "COURSE_STATUSES",
    "Account",
    "Activity",
    "Course",
    "CourseAgent",
    "Enrollment",
    "LiveSession",
    "Login",
    "RateEvent",
]

BUILTIN_AGENTS = ("teacher", "assistant", "clown", "inquisitive", "notetaker", "thinker")
"""Roles of the six agents of `teach.agents` (the default cast of a course)."""
COURSE_STATUSES = ("queued", "preparing", "ready", "failed", "published")


def _all_agents() -> list[Any]:
    return list(BUILTIN_AGENTS)


class Account(Base):
    """A person who signs in: a teacher (owns courses) or a student (has a Learner row)."""

    __tablename__ = "account"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    learner_id: Mapped[str | None] = mapped_column(
        ForeignKey("learner.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Login(Base):
    """One signed-in browser; the cookie carries its id, logout deletes it."""

    __tablename__ = "login"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Course(Base):
    """A teacher's deck on its way to a lecture students can join by `code`.

    `status`: queued (uploaded, waiting for the worker) -> preparing (claimed: `worker`,
    `heartbeat_at`) -> ready (`lecture_id` set) or failed (`error`) -> published (`code`).
    """

    __tablename__ = "course"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    code: Mapped[str | None] = mapped_column(String(8), unique=True, nullable=True)
    lecture_id: Mapped[str | None] = mapped_column(
        ForeignKey("lecture.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    deck_path: Mapped[str] = mapped_column(Text, default="")
    deck_name: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    agents: Mapped[list[Any]] = mapped_column(JSON, default=_all_agents)
    worker: Mapped[str | None] = mapped_column(String(100), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CourseAgent(Base):
    """A teacher's own agent for one course (joins when its `key` is in `Course.agents`)."""

    __tablename__ = "course_agent"
    __table_args__ = (UniqueConstraint("course_id", "key"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    course_id: Mapped[str] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    persona: Mapped[str] = mapped_column(Text, default="")
    role_card: Mapped[str] = mapped_column(Text, default="")
    identity: Mapped[int] = mapped_column(Integer, default=8)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Enrollment(Base):
    """A student in a course, with their one ClassSession of it (reopened on every visit)."""

    __tablename__ = "enrollment"
    __table_args__ = (UniqueConstraint("course_id", "account_id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    course_id: Mapped[str] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("session.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Activity(Base):
    """Who did what and when: login, logout, join, mode, pause, resume, continue, quiz, message."""

    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_course_time", "course_id", "created_at"),)
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    account_id: Mapped[str | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), nullable=True, index=True
    )
    course_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LiveSession(Base):
    """The live driver's claim on one ClassSession plus the learner's controls (M2's driver).

    `holder`/`lease_until`: the worker running the engine for it (claimed with one conditional
    UPDATE, so two workers never step one session); `paused`/`mode`: set by the student's POSTs
    without the lease, read by the driver at every step; `wake_at`: when the session next needs
    a step without any learner action (continuous-mode silence, a driver that died), so any
    worker serving its event stream can restart it. Kept out of `session.extra` because
    `save_session_state` rewrites that wholesale.
    """

    __tablename__ = "live_session"
    session_id: Mapped[str] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    mode: Mapped[str] = mapped_column(String(16), default="continuous")
    wake_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    claims: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Claims and renewals of the lease so far: a driver that parked the class's state in
    memory reuses it only when its next claim finds no claim of anybody else in between."""
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class RateEvent(Base):
    """One counted event of a rate limit (a wrong password, a post) under a key."""

    __tablename__ = "rate_event"
    __table_args__ = (Index("ix_rate_event_key_time", "key", "created_at"),)
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
