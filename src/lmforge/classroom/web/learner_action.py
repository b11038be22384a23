"""A learner's action in class other than a message (continue, a quiz answer, the mode,
pause and resume): the checks and the writes in one short transaction of its own, behind
this process's write gate, run in a worker thread.

Why not the request's transaction: the quiz answer's route was a coroutine (it read its form
itself), so its writes ran on the event loop. When another request held SQLite's write lock,
the whole loop slept in SQLite's busy handler, and that other request could not commit,
since its commit runs on the same loop (`app._commit_request_session`): both waited out the
30-s busy timeout and one failed with "database is locked" (seen with 100 students answering
quizzes in `benchmarks/classroom_load.py`). A request's transaction also went round the write
gate and met the gated writers (posts, drives) at SQLite's lock, whose busy handler is not
fair. Here the action queues at the gate like a post (urgent) and commits before the route
returns, so nothing of it is left for the loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session as OrmSession

from .deps import enrolled_session
from .learner_post import TOO_MANY
from .live import driver
from .models import Account, Enrollment
from .security import rate_hit

__all__ = ["in_class"]


@contextlib.contextmanager
def in_class(
    request: Request, account: Account, session_id: str
) -> Iterator[tuple[OrmSession, Enrollment]]:
    """A write transaction on the student's own class (404 otherwise) that has counted the
    action against the posting rate limit (429 over it); commits when the block ends, rolls
    everything back (the count too) when it raises."""
    settings = request.app.state.settings
    with driver(request.app).writing(urgent=True) as s:
        enrollment = enrolled_session(session_id, account, s)
        key = f"post:{account.id}"
        if not rate_hit(s, key, limit=settings.post_limit, window_s=settings.post_window_s):
            raise HTTPException(429, TOO_MANY)
        yield s, enrollment
