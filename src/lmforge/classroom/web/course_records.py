"""One course's stored records, read once for the analyses and the export (spec §3.4).

Why a bundle: each analysis of `analytics` reads the same enrolments, sessions, agendas,
function states and logs; loading them in one pass keeps the dashboard to a handful of queries
however many plots it draws. Chapters and the function numbering live here because both the
progress figures and the per-slide counts need them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from lmforge.classroom.agenda import Agenda, AgendaNode, AgendaPage
from lmforge.classroom.store.models import (
    AgendaVersion,
    ClassSession,
    FunctionState,
    Identity,
    Message,
    Page,
    QuizAnswer,
    aware,
)

from .models import Account, Activity, Course, Enrollment

__all__ = [
    "LEARNER_MESSAGE",
    "Chapter",
    "CourseRecords",
    "Student",
    "agenda_chapters",
    "function_pages",
    "learner_messages",
    "load_course",
    "records_of",
]

LEARNER_MESSAGE = "user_message"
"""The engine's action of a learner's chat message (`teach.engine.Session.user_message`)."""


class Chapter(BaseModel):
    index: int
    title: str
    pages: list[int]


class Student(BaseModel):
    account_id: str
    name: str
    email: str
    session_id: str | None


class CourseRecords(BaseModel):
    """Everything the analyses read about one course, loaded once."""

    model_config = {"arbitrary_types_allowed": True}

    course_id: str
    title: str
    students: list[Student]
    sessions: dict[str, dict[str, Any]]
    agendas: dict[str, Agenda]
    page_titles: dict[int, str]
    done: dict[str, set[int]]
    messages: list[dict[str, Any]]
    answers: list[dict[str, Any]]
    activities: list[dict[str, Any]]


def agenda_chapters(agenda: Agenda) -> list[Chapter]:
    """Top-level sections as chapters; loose pages under the root make one more chapter."""
    chapters: list[Chapter] = []
    loose: list[int] = []
    for child in agenda.root.children:
        if isinstance(child, AgendaNode):
            pages = [p.index for p in _pages(child)]
            chapters.append(Chapter(index=len(chapters) + 1, title=child.title, pages=pages))
        else:
            loose.append(child.index)
    if loose:
        chapters.append(Chapter(index=len(chapters) + 1, title=agenda.root.title, pages=loose))
    return chapters


def _pages(node: AgendaNode) -> list[AgendaPage]:
    out: list[AgendaPage] = []
    for child in node.children:
        out.extend([child] if isinstance(child, AgendaPage) else _pages(child))
    return out


def function_pages(agenda: Agenda) -> list[tuple[str, int]]:
    """(call, page) of every function in teaching order: the engine's `agenda_functions`
    numbering (pages depth-first, functions in page order), so function_idx lines up."""
    return [(fn.call, page.index) for page in agenda.pages() for fn in page.functions]


def load_course(db: Session, course_id: str) -> CourseRecords:
    """Read a course's enrolments, sessions, agendas, function states and logs."""
    course = db.get(Course, course_id)
    if course is None:
        raise KeyError(f"no course {course_id!r}")
    rows = db.execute(
        select(Enrollment, Account)
        .join(Account, Account.id == Enrollment.account_id)
        .where(Enrollment.course_id == course_id)
        .order_by(Enrollment.created_at, Enrollment.id)
    ).all()
    students = [
        Student(account_id=a.id, name=a.name, email=a.email, session_id=e.session_id)
        for e, a in rows
    ]
    sids = [s.session_id for s in students if s.session_id]
    sessions = {
        r.id: {
            "lecture_id": r.lecture_id,
            "agenda_version": r.agenda_version,
            "cursor": r.cursor,
            "finished": r.finished,
            "updated_at": aware(r.updated_at),
        }
        for r in db.scalars(select(ClassSession).where(ClassSession.id.in_(sids)))
    }
    agendas = {sid: _agenda(db, info) for sid, info in sessions.items()}
    agendas = {sid: a for sid, a in agendas.items() if a is not None}
    done: dict[str, set[int]] = {sid: set() for sid in sessions}
    for f in db.scalars(select(FunctionState).where(FunctionState.session_id.in_(sids))):
        if f.is_done:
            done[f.session_id].add(f.function_idx)
    return CourseRecords(
        course_id=course_id,
        title=course.title,
        students=students,
        sessions=sessions,
        agendas=agendas,
        page_titles=_page_titles(db, course.lecture_id),
        done=done,
        messages=_dicts(db, Message, sids),
        answers=_dicts(db, QuizAnswer, sids),
        activities=[
            _row(a)
            for a in db.scalars(
                select(Activity)
                .where(Activity.course_id == course_id)
                .order_by(Activity.created_at, Activity.id)
            )
        ],
    )


def _agenda(db: Session, info: dict[str, Any]) -> Agenda | None:
    query = select(AgendaVersion).where(AgendaVersion.lecture_id == info["lecture_id"])
    if info["agenda_version"] is not None:
        query = query.where(AgendaVersion.version == info["agenda_version"])
    row = db.scalars(query.order_by(AgendaVersion.version.desc())).first()
    return Agenda.model_validate(row.data) if row is not None else None


def _page_titles(db: Session, lecture_id: str | None) -> dict[int, str]:
    if lecture_id is None:
        return {}
    return {p.index: p.title for p in db.scalars(select(Page).where(Page.lecture_id == lecture_id))}


def _row(obj: Any) -> dict[str, Any]:
    out = {c.key: getattr(obj, c.key) for c in obj.__table__.columns}
    if isinstance(out.get("created_at"), datetime):
        out["created_at"] = aware(out["created_at"])
    return out


def _dicts(db: Session, model: Any, sids: list[str]) -> list[dict[str, Any]]:
    query = select(model).where(model.session_id.in_(sids)).order_by(model.id)
    return [_row(r) for r in db.scalars(query)]


def records_of(db_or_records: Session | CourseRecords, course_id: str | None) -> CourseRecords:
    if isinstance(db_or_records, CourseRecords):
        return db_or_records
    if course_id is None:
        raise TypeError("a database session needs a course_id")
    return load_course(db_or_records, course_id)


def learner_messages(records: CourseRecords, session_id: str | None = None) -> list[dict]:
    """The learner's own chat messages (not quiz answers, not agent turns)."""
    return [
        m
        for m in records.messages
        if m["action"] == LEARNER_MESSAGE
        and m["speaker_type"] == int(Identity.STUDENT)
        and (session_id is None or m["session_id"] == session_id)
    ]
