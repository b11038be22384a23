"""Classroom storage: SQLAlchemy models, Alembic migrations and a repository for lectures,
agendas, learners, sessions, function states, messages and quiz answers.

    store = ClassroomStore(open_database())      # LMFORGE_DATABASE_URL or <home>/classroom.db
    lecture_id = store.save_lecture(deck, agenda)
    session_id = store.create_session(lecture_id, learner_id, mode="continuous")
    store.save_session_state(state); store.load_session_state(session_id, SessionState)
"""

from lmforge.classroom.store.db import Database, default_url, open_database
from lmforge.classroom.store.models import Identity
from lmforge.classroom.store.repository import ClassroomStore, LectureSummary, StoredLecture
from lmforge.classroom.store.sessions import SessionSummary
from lmforge.classroom.store.state_map import (
    SessionSnapshot,
    StoredFunction,
    StoredMessage,
    StoredQuizAnswer,
)

__all__ = [
    "ClassroomStore",
    "Database",
    "Identity",
    "LectureSummary",
    "SessionSnapshot",
    "SessionSummary",
    "StoredFunction",
    "StoredLecture",
    "StoredMessage",
    "StoredQuizAnswer",
    "default_url",
    "open_database",
]
