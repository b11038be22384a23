"""Session half of the repository: sessions, engine state, function states.

Why separate: this is the part that follows the lecture engine's state (through `state_map`)
and takes the write load during a class; lectures and agendas change rarely. Messages and quiz
answers are append-only logs ordered by their integer id (`logs.LogOps`); `save_session_state`
treats the state's message/answer lists as the same logs and appends only the entries not
stored yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lmforge.errors import InputError

from .logs import LogOps, messages_after
from .models import (
    AgendaVersion,
    ClassSession,
    FunctionState,
    Learner,
    Lecture,
    Message,
    QuizAnswer,
    aware,
    new_id,
)
from .state_map import (
    SessionSnapshot,
    StoredFunction,
    from_snapshot,
    to_snapshot,
)

M = TypeVar("M", bound=BaseModel)


class SessionSummary(BaseModel):
    id: str
    lecture_id: str
    learner_id: str | None
    mode: str
    activation: str
    cursor: int
    finished: bool
    created_at: datetime
    updated_at: datetime


def _summary(row: ClassSession) -> SessionSummary:
    return SessionSummary(
        id=row.id,
        lecture_id=row.lecture_id,
        learner_id=row.learner_id,
        mode=row.mode,
        activation=row.activation,
        cursor=row.cursor,
        finished=row.finished,
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
    )


class SessionOps(LogOps):
    """Mixed into `ClassroomStore`; needs `self.db`."""

    @staticmethod
    def _ensure_learner(s: Session, learner_id: str | None) -> None:
        """Engines may name learners the store has not seen; create them rather than fail."""
        if learner_id is not None and s.get(Learner, learner_id) is None:
            s.add(Learner(id=learner_id))
            s.flush()

    def create_session(
        self,
        lecture_id: str,
        learner_id: str | None = None,
        *,
        mode: str = "continuous",
        activation: str = "middle",
        agents: Sequence[Any] = (),
        agenda_version: int | None = None,
        session_id: str | None = None,
    ) -> str:
        """Start a session on the lecture's latest agenda (or `agenda_version`)."""
        session_id = session_id or new_id()
        with self.db.session() as s:
            if s.get(Lecture, lecture_id) is None:
                raise InputError(
                    f"no lecture {lecture_id!r} in {self.db.url!r}", field="lecture_id"
                )
            if s.get(ClassSession, session_id) is not None:
                raise InputError(f"session {session_id!r} already exists", field="session_id")
            if agenda_version is None:
                agenda_version = s.scalar(
                    select(func.max(AgendaVersion.version)).where(
                        AgendaVersion.lecture_id == lecture_id
                    )
                )
            self._ensure_learner(s, learner_id)
            s.add(
                ClassSession(
                    id=session_id,
                    lecture_id=lecture_id,
                    learner_id=learner_id,
                    mode=mode,
                    activation=activation,
                    agenda_version=agenda_version,
                    agents=[_plain(a) for a in agents],
                )
            )
        return session_id

    def save_session_state(self, state: Any, *, lecture_id: str | None = None) -> str:
        """Upsert the engine's state: session row, function states, new messages and answers.

        A session not stored yet is created; it then needs a lecture id (in the state or as
        `lecture_id`). Returns the session id.
        """
        snap = to_snapshot(state, lecture_id=lecture_id)
        with self.db.session() as s:
            row = s.get(ClassSession, snap.session_id)
            if row is None:
                if not snap.lecture_id or s.get(Lecture, snap.lecture_id) is None:
                    raise InputError(
                        f"session {snap.session_id!r} is new and needs an existing "
                        f"lecture id (got {snap.lecture_id!r})",
                        field="lecture_id",
                    )
                row = ClassSession(id=snap.session_id, lecture_id=snap.lecture_id)
                s.add(row)
            self._ensure_learner(s, snap.learner_id)
            for name in (
                "learner_id",
                "mode",
                "activation",
                "agents",
                "cursor",
                "finished",
                "agenda_version",
            ):
                if name in snap.field_names:
                    setattr(row, name, getattr(snap, name))
            row.extra = {"fields": snap.extra, "names": snap.field_names}
            s.flush()
            self._sync_functions(s, snap)
            self._sync_logs(s, snap)
        return snap.session_id

    @staticmethod
    def _sync_functions(s: Session, snap: SessionSnapshot) -> None:
        existing = {
            f.function_idx: f
            for f in s.scalars(
                select(FunctionState).where(FunctionState.session_id == snap.session_id)
            )
        }
        for fn in snap.functions:
            row = existing.get(fn.function_idx)
            if row is None:
                row = FunctionState(session_id=snap.session_id, function_idx=fn.function_idx)
                s.add(row)
            row.call, row.page_index, row.value = fn.call, fn.page_index, fn.value
            row.status, row.is_done = fn.status, fn.is_done

    @staticmethod
    def _sync_logs(s: Session, snap: SessionSnapshot) -> None:
        """Append the log entries past those stored (the logs only grow, in id order)."""
        logs = ((Message, snap.messages), (QuizAnswer, snap.quiz_answers))
        for model, entries in logs:
            stored = (
                s.scalar(
                    select(func.count())
                    .select_from(model)
                    .where(model.session_id == snap.session_id)
                )
                or 0
            )
            for entry in entries[stored:]:
                s.add(
                    model(
                        session_id=snap.session_id,
                        **entry.model_dump(exclude={"id", "session_id", "created_at"}),
                        **({"created_at": entry.created_at} if entry.created_at else {}),
                    )
                )

    def load_snapshot(self, session_id: str) -> SessionSnapshot:
        """Everything stored about a session, in the store's own shape."""
        with self.db.read() as s:
            row = self._session(s, session_id)
            functions = s.scalars(
                select(FunctionState)
                .where(FunctionState.session_id == session_id)
                .order_by(FunctionState.function_idx)
            )
            extra = row.extra or {}
            return SessionSnapshot(
                session_id=row.id,
                lecture_id=row.lecture_id,
                learner_id=row.learner_id,
                agenda_version=row.agenda_version,
                mode=row.mode,
                activation=row.activation,
                agents=row.agents,
                cursor=row.cursor,
                finished=row.finished,
                functions=[
                    StoredFunction(
                        function_idx=f.function_idx,
                        call=f.call,
                        page_index=f.page_index,
                        value=f.value,
                        status=f.status,
                        is_done=f.is_done,
                    )
                    for f in functions
                ],
                messages=messages_after(s, session_id, None, None),
                quiz_answers=self._answers(s, session_id),
                extra=extra.get("fields", {}),
                field_names=extra.get("names", {}),
            )

    def load_session_state(
        self, session_id: str, model: type[M] | None = None
    ) -> M | dict[str, Any]:
        """The engine state as saved: an instance of `model`, or a dict without one."""
        return from_snapshot(self.load_snapshot(session_id), model)

    def list_sessions(
        self, *, lecture_id: str | None = None, learner_id: str | None = None
    ) -> list[SessionSummary]:
        query = select(ClassSession)
        if lecture_id is not None:
            query = query.where(ClassSession.lecture_id == lecture_id)
        if learner_id is not None:
            query = query.where(ClassSession.learner_id == learner_id)
        with self.db.read() as s:
            return [
                _summary(r)
                for r in s.scalars(query.order_by(ClassSession.created_at, ClassSession.id))
            ]


def _plain(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value
