"""SQLAlchemy 2 tables for the classroom: lectures, their pages and agendas, learners, sessions.

Why these shapes: MAIC-Core keeps in-class state in Mongo collections (`session`,
`function_session`, `conv_msg`, spec §2.2); the spec's self-hostable sketch (§4.2) turns them
into relational tables. We keep the agenda as versioned JSON of the pydantic `Agenda` (a
teacher edits the whole tree; rows per node would buy nothing), and make every per-session
row point at a session so the MAIC web classroom can add courses, enrolments and analytics as
new tables with foreign keys here instead of reshaping these. Ids of user-facing entities are
strings (uuid hex) so they can appear in URLs and be created offline; high-volume rows
(messages, answers) use integer keys whose order is insertion order.

Constraint names follow a fixed convention so Alembic migrations name them the same way on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from lmforge.classroom.teach.agents import Identity

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
RowId = BigInteger().with_variant(Integer(), "sqlite")


ACTIONS = (
    "showFile",
    "allowInput",
    "speak",
    "question",
    "answer",
    "user_answer",
    "control",
    "error",
)
"""Message action types of MAIC-Core's `conv_msg` (spec §2.2)."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; everything here is stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Learner(Base):
    """A person taking lectures; the MAIC web app adds accounts/enrolments that point here."""

    __tablename__ = "learner"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), default="")
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Lecture(Base):
    """One ingested deck (MAIC-Core `lecture.info`)."""

    __tablename__ = "lecture"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    pages: Mapped[list[Page]] = relationship(
        back_populates="lecture", order_by="Page.index", cascade="all, delete-orphan"
    )
    agendas: Mapped[list[AgendaVersion]] = relationship(
        back_populates="lecture", order_by="AgendaVersion.version", cascade="all, delete-orphan"
    )


class Page(Base):
    """One slide/PDF page (MAIC-Core `lecture.file_snippet`); `description` comes from Read."""

    __tablename__ = "page"
    __table_args__ = (UniqueConstraint("lecture_id", "index"),)
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    lecture_id: Mapped[str] = mapped_column(ForeignKey("lecture.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    image_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    lecture: Mapped[Lecture] = relationship(back_populates="pages")


class AgendaVersion(Base):
    """An agenda as saved or edited; every edit adds a version, sessions pin the one they use."""

    __tablename__ = "agenda"
    __table_args__ = (UniqueConstraint("lecture_id", "version"),)
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    lecture_id: Mapped[str] = mapped_column(ForeignKey("lecture.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lecture: Mapped[Lecture] = relationship(back_populates="agendas")


class ClassSession(Base):
    """A learner attending a lecture (MAIC-Core `inclass.session`).

    `agents` holds the chosen agent cards (name, identity code, instruction); `cursor` is the
    index of the current function in the flattened agenda; `extra` keeps any engine state field
    this schema has no column for, so the engine can evolve without a migration.
    """

    __tablename__ = "session"
    __table_args__ = (Index("ix_session_lecture_learner", "lecture_id", "learner_id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    lecture_id: Mapped[str] = mapped_column(ForeignKey("lecture.id", ondelete="CASCADE"))
    learner_id: Mapped[str | None] = mapped_column(
        ForeignKey("learner.id", ondelete="SET NULL"), nullable=True, index=True
    )
    agenda_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mode: Mapped[str] = mapped_column(String(32), default="continuous")
    activation: Mapped[str] = mapped_column(String(32), default="middle")
    agents: Mapped[list[Any]] = mapped_column(default=list)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class FunctionState(Base):
    """Progress of one agenda function in one session (MAIC-Core `function_session`)."""

    __tablename__ = "function_state"
    __table_args__ = (UniqueConstraint("session_id", "function_idx"),)
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    function_idx: Mapped[int] = mapped_column(Integer)
    page_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    call: Mapped[str] = mapped_column(String(32))
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_done: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Message(Base):
    """One classroom event (MAIC-Core `conv_msg`): who said/did what, where, when."""

    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_session_time", "session_id", "created_at"),
        Index("ix_message_session_id", "session_id", "id"),  # streams: rows after id N
    )
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    function_idx: Mapped[int | None] = mapped_column(Integer, nullable=True)
    page_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    speaker_id: Mapped[str] = mapped_column(String(200), default="")
    speaker_type: Mapped[int] = mapped_column(Integer, default=int(Identity.SYSTEM))
    action: Mapped[str] = mapped_column(String(32), default="speak")
    content: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuizAnswer(Base):
    """A learner's answer to an AskQuestion function, with its correctness (spec §3.4)."""

    __tablename__ = "quiz_answer"
    __table_args__ = (Index("ix_quiz_answer_session_time", "session_id", "created_at"),)
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    function_idx: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(String(64))
    correct: Mapped[bool] = mapped_column(Boolean)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
