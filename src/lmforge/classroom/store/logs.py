"""Log half of the session store: messages and quiz answers, append-only and ordered by id.

Why separate: these are the hot path of a class (one INSERT per classroom event) and what
clients poll; the session row and engine state around them are in `sessions`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lmforge.errors import InputError

from .db import Database
from .models import ClassSession, Identity, Message, QuizAnswer, aware
from .state_map import StoredMessage, StoredQuizAnswer

_AFTER = (
    select(*Message.__table__.c)
    .where(Message.session_id == bindparam("b_sid"), Message.id > bindparam("b_after"))
    .order_by(Message.id)
)
_AFTER_LIMITED = _AFTER.limit(bindparam("b_limit", type_=Integer))
"""Built once: every stream read and every live-class step asks for "the rows after id N",
and building a statement costs SQLAlchemy several times what SQLite spends running it. Rows,
not ORM objects, on the transaction's connection: ORM loading was a third of a read."""


def messages_after(
    s: Session, session_id: str, after_id: int | None, limit: int | None
) -> list[StoredMessage]:
    """A session's messages with ids above ``after_id`` (all when None), oldest first, at most
    ``limit``: what stream reads, live-class steps and state loads all ask, in ``s``."""
    params = {"b_sid": session_id, "b_after": -1 if after_id is None else after_id}
    if s.new:  # rows added through the ORM in this transaction are read too
        s.flush()
    if limit is None:
        rows = s.connection().execute(_AFTER, params)
    else:
        rows = s.connection().execute(_AFTER_LIMITED, {**params, "b_limit": limit})
    return [message_out(m) for m in rows]


def message_out(row: Any) -> StoredMessage:
    """A message row (ORM object or Core row) as the store's model."""
    return StoredMessage(
        id=row.id,
        session_id=row.session_id,
        speaker_id=row.speaker_id,
        speaker_type=row.speaker_type,
        action=row.action,
        content=row.content,
        function_idx=row.function_idx,
        page_index=row.page_index,
        meta=row.meta,
        created_at=aware(row.created_at),
    )


def answer_out(row: QuizAnswer) -> StoredQuizAnswer:
    return StoredQuizAnswer(
        id=row.id,
        session_id=row.session_id,
        function_idx=row.function_idx,
        answer=row.answer,
        correct=row.correct,
        meta=row.meta,
        created_at=aware(row.created_at),
    )


class LogOps:
    """Messages and quiz answers; mixed into `ClassroomStore` through `SessionOps`; needs
    `self.db`."""

    db: Database

    def _no_session(self, session_id: str) -> InputError:
        return InputError(f"no session {session_id!r} in {self.db.url!r}", field="session_id")

    def _session(self, s: Session, session_id: str) -> ClassSession:
        row = s.get(ClassSession, session_id)
        if row is None:
            raise self._no_session(session_id)
        return row

    def append_message(
        self,
        session_id: str,
        content: str,
        *,
        action: str = "speak",
        speaker_id: str = "",
        speaker_type: int = Identity.SYSTEM,
        function_idx: int | None = None,
        page_index: int | None = None,
        meta: dict[str, Any] | None = None,
        created_at: datetime | None = None,
    ) -> int:
        """Log one classroom event; returns its id (ids order the log).

        The hot path of a class: one INSERT, no lookup first; the foreign key catches an
        unknown session.
        """
        row = Message(
            session_id=session_id,
            content=content,
            action=action,
            speaker_id=speaker_id,
            speaker_type=int(speaker_type),
            function_idx=function_idx,
            page_index=page_index,
            meta=meta or {},
            **({"created_at": created_at} if created_at else {}),
        )
        try:
            with self.db.session() as s:
                s.add(row)
                s.flush()
                return row.id
        except IntegrityError as exc:
            if "foreign key" not in str(exc.orig).lower():
                raise
            raise self._no_session(session_id) from None

    def record_quiz_answer(
        self,
        session_id: str,
        function_idx: int,
        answer: str,
        correct: bool,
        *,
        meta: dict[str, Any] | None = None,
        created_at: datetime | None = None,
    ) -> int:
        """Log a learner's answer (option letters) to an AskQuestion function."""
        with self.db.session() as s:
            self._session(s, session_id)
            row = QuizAnswer(
                session_id=session_id,
                function_idx=function_idx,
                answer=answer,
                correct=correct,
                meta=meta or {},
                **({"created_at": created_at} if created_at else {}),
            )
            s.add(row)
            s.flush()
            return row.id

    @staticmethod
    def _answers(s: Session, session_id: str) -> list[StoredQuizAnswer]:
        query = select(QuizAnswer).where(QuizAnswer.session_id == session_id)
        return [answer_out(a) for a in s.scalars(query.order_by(QuizAnswer.id))]

    def list_messages(
        self, session_id: str, *, after_id: int | None = None, limit: int | None = None
    ) -> list[StoredMessage]:
        """Messages in log order; `after_id` lets a client poll for new ones."""
        with self.db.read() as s:
            return messages_after(s, session_id, after_id, limit)

    def list_quiz_answers(
        self, *, session_id: str | None = None, learner_id: str | None = None
    ) -> list[StoredQuizAnswer]:
        query = select(QuizAnswer).join(ClassSession, ClassSession.id == QuizAnswer.session_id)
        if session_id is not None:
            query = query.where(QuizAnswer.session_id == session_id)
        if learner_id is not None:
            query = query.where(ClassSession.learner_id == learner_id)
        with self.db.read() as s:
            return [answer_out(a) for a in s.scalars(query.order_by(QuizAnswer.id))]
