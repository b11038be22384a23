"""The classroom's storage API: lectures with agendas, learners, sessions and their logs.

Why a repository: the CLI, the lecture engine and the MAIC web app all need the same few
operations, and none of them should hold ORM objects across transactions. Every method opens
one transaction and returns plain pydantic values (`Deck`, `Agenda`, `StoredMessage`, ...).
Unknown ids are user input (they come from the command line or a URL) and raise `InputError`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lmforge.errors import InputError

from ..agenda import Agenda
from ..deck import Deck
from ..deck import Page as DeckPage
from .db import Database, open_database
from .models import (
    AgendaVersion,
    ClassSession,
    Identity,
    Learner,
    Lecture,
    Page,
    aware,
    new_id,
)
from .sessions import SessionOps

M = TypeVar("M", bound=BaseModel)


class StoredLecture(BaseModel):
    """A lecture as loaded: its deck, its latest (or requested) agenda and that agenda's version."""

    id: str
    created_at: datetime
    deck: Deck
    agenda: Agenda | None = None
    agenda_version: int | None = None


class LectureSummary(BaseModel):
    id: str
    name: str
    kind: str
    pages: int
    agenda_version: int | None
    created_at: datetime


def _descriptions(agenda: Agenda | None) -> dict[int, str]:
    return {p.index: p.description for p in agenda.pages()} if agenda is not None else {}


class ClassroomStore(SessionOps):
    """Lectures, agendas and learners here; sessions, messages and answers in `SessionOps`."""

    def __init__(self, database: Database | None = None) -> None:
        self.db = database or open_database()

    # lectures ------------------------------------------------------------------------------

    def save_lecture(
        self, deck: Deck, agenda: Agenda | None = None, *, lecture_id: str | None = None
    ) -> str:
        """Store a deck (and its agenda as version 1); returns the new lecture id."""
        lecture_id = lecture_id or new_id()
        described = _descriptions(agenda)
        with self.db.session() as s:
            if s.get(Lecture, lecture_id) is not None:
                raise InputError(f"lecture {lecture_id!r} already exists", field="lecture_id")
            s.add(Lecture(id=lecture_id, name=deck.name, source=str(deck.source), kind=deck.kind))
            s.flush()
            s.add_all(
                Page(
                    lecture_id=lecture_id,
                    index=p.index,
                    title=p.title,
                    text=p.text,
                    notes=p.notes,
                    image_path=str(p.image) if p.image else None,
                    description=described.get(p.index, ""),
                )
                for p in deck.pages
            )
            if agenda is not None:
                s.add(
                    AgendaVersion(
                        lecture_id=lecture_id, version=1, data=agenda.model_dump(mode="json")
                    )
                )
        return lecture_id

    def _lecture(self, s: Session, lecture_id: str) -> Lecture:
        lecture = s.get(Lecture, lecture_id)
        if lecture is None:
            raise InputError(f"no lecture {lecture_id!r} in {self.db.url!r}", field="lecture_id")
        return lecture

    def _agenda_row(self, s: Session, lecture_id: str, version: int | None) -> AgendaVersion | None:
        query = select(AgendaVersion).where(AgendaVersion.lecture_id == lecture_id)
        if version is not None:
            query = query.where(AgendaVersion.version == version)
        return s.scalars(query.order_by(AgendaVersion.version.desc()).limit(1)).first()

    def load_lecture(self, lecture_id: str, *, agenda_version: int | None = None) -> StoredLecture:
        """The deck plus the latest agenda (or `agenda_version`)."""
        with self.db.read() as s:
            lecture = self._lecture(s, lecture_id)
            pages = [
                DeckPage(
                    index=p.index, title=p.title, text=p.text, notes=p.notes, image=p.image_path
                )
                for p in lecture.pages
            ]
            deck = Deck(name=lecture.name, source=lecture.source, kind=lecture.kind, pages=pages)
            row = self._agenda_row(s, lecture_id, agenda_version)
            if agenda_version is not None and row is None:
                raise InputError(
                    f"lecture {lecture_id!r} has no agenda version {agenda_version}",
                    field="agenda_version",
                )
            return StoredLecture(
                id=lecture.id,
                created_at=aware(lecture.created_at),
                deck=deck,
                agenda=Agenda.model_validate(row.data) if row else None,
                agenda_version=row.version if row else None,
            )

    def load_agenda(self, lecture_id: str, version: int | None = None) -> Agenda:
        stored = self.load_lecture(lecture_id, agenda_version=version)
        if stored.agenda is None:
            raise InputError(f"lecture {lecture_id!r} has no agenda yet", field="agenda")
        return stored.agenda

    def update_agenda(self, lecture_id: str, agenda: Agenda) -> int:
        """Save an edited agenda as the next version (old versions stay for running sessions);
        page descriptions follow the new agenda. Returns the new version number."""
        described = _descriptions(agenda)
        with self.db.session() as s:
            lecture = self._lecture(s, lecture_id)
            latest = (
                s.scalar(
                    select(func.max(AgendaVersion.version)).where(
                        AgendaVersion.lecture_id == lecture_id
                    )
                )
                or 0
            )
            s.add(
                AgendaVersion(
                    lecture_id=lecture_id, version=latest + 1, data=agenda.model_dump(mode="json")
                )
            )
            for page in lecture.pages:
                if page.index in described:
                    page.description = described[page.index]
            return latest + 1

    def list_lectures(self) -> list[LectureSummary]:
        pages = (
            select(Page.lecture_id, func.count().label("n")).group_by(Page.lecture_id).subquery()
        )
        versions = (
            select(AgendaVersion.lecture_id, func.max(AgendaVersion.version).label("v"))
            .group_by(AgendaVersion.lecture_id)
            .subquery()
        )
        query = (
            select(Lecture, pages.c.n, versions.c.v)
            .outerjoin(pages, pages.c.lecture_id == Lecture.id)
            .outerjoin(versions, versions.c.lecture_id == Lecture.id)
            .order_by(Lecture.created_at, Lecture.id)
        )
        with self.db.read() as s:
            return [
                LectureSummary(
                    id=lec.id,
                    name=lec.name,
                    kind=lec.kind,
                    pages=n or 0,
                    agenda_version=v,
                    created_at=aware(lec.created_at),
                )
                for lec, n, v in s.execute(query)
            ]

    def delete_lecture(self, lecture_id: str) -> None:
        """Remove a lecture with its pages, agendas, sessions and their logs."""
        with self.db.session() as s:
            lecture = self._lecture(s, lecture_id)
            for session in s.scalars(
                select(ClassSession).where(ClassSession.lecture_id == lecture_id)
            ):
                s.delete(session)
            s.delete(lecture)

    # learners ------------------------------------------------------------------------------

    def add_learner(
        self,
        name: str = "",
        *,
        learner_id: str | None = None,
        profile: dict[str, Any] | None = None,
    ) -> str:
        learner_id = learner_id or new_id()
        with self.db.session() as s:
            if s.get(Learner, learner_id) is not None:
                raise InputError(f"learner {learner_id!r} already exists", field="learner_id")
            s.add(Learner(id=learner_id, name=name, profile=profile or {}))
        return learner_id

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ClassroomStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["ClassroomStore", "Identity", "LectureSummary", "StoredLecture"]
