"""What every route shares: the database session, the signed-in account, CSRF, ownership
checks, rendering and activity records (the contract of `/tmp/maic_contract.md`).

Why dependencies: each route states what it needs (`Depends(require_teacher)`,
`Depends(check_csrf)`), so a route that forgets a check is visible in its signature, and the
security test can walk `app.routes` and check every one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from lmforge.classroom.store.models import aware

from .models import Account, Activity, Course, Enrollment, Login
from .security import WebCookie, tokens_match

__all__ = [
    "AccountView",
    "LoginRequired",
    "check_csrf",
    "current_account",
    "enrolled_session",
    "get_db",
    "owned_course",
    "record",
    "render",
    "require_account",
    "require_student",
    "require_teacher",
    "signed_in_student",
    "web_cookie",
]

TEMPLATES = Path(__file__).parent / "templates"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=True,  # every template, whatever its name: nothing reaches HTML unescaped
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class LoginRequired(Exception):
    """Raised by `require_*` when nobody is signed in; the app turns it into a redirect to
    /login for pages and a 401 for /api and event streams."""


def web_cookie(request: Request) -> WebCookie:
    """The signed cookie the middleware decoded (a fresh one when the browser sent none)."""
    cookie = request.scope.get("state", {}).get("web_cookie")
    if cookie is None:  # outside the middleware (a bare router in a test)
        cookie = WebCookie(dirty=True, fresh=True)
        request.scope.setdefault("state", {})["web_cookie"] = cookie
    return cookie


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: commits when the route returns, rolls back on error.

    The app's middleware commits it as the response starts, i.e. before the browser sees a
    redirect (FastAPI would otherwise run this teardown after the response is sent, and the
    page the browser is redirected to could miss the write); a stream's later queries run in
    new transactions of the same session. The teardown commits what is left and closes it.
    """
    session: Session = request.app.state.db.sessions()
    request.scope.setdefault("state", {})["db_session"] = session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def current_account(request: Request, db: Session = Depends(get_db)) -> Account | None:
    """The signed-in account, or None (no cookie, signed out, expired, or deleted).

    Looked up in a short read transaction of its own (on SQLite it takes no lock), then
    attached to the request's session without another query, so the request's own
    transaction begins (and on SQLite takes the write lock) only inside the route.
    """
    cached = request.scope.get("state", {}).get("account", False)
    if cached is not False:
        return cached
    account = _signed_in(request)
    if account is not None:
        account = db.merge(account, load=False)
    _remember(request, account)
    return account


_SIGNED_IN = (
    select(Account, Login.expires_at)
    .join(Login, Login.account_id == Account.id)
    .where(Login.id == bindparam("b_login"))
)
"""Built once: every request of a signed-in browser runs it (one query, not a get per table)."""


def _signed_in(request: Request) -> Account | None:
    """The cookie's account, read in a read transaction of its own (detached from it)."""
    login_id = web_cookie(request).login
    if not login_id:
        return None
    with request.app.state.db.read() as reader:
        found = reader.execute(_SIGNED_IN, {"b_login": login_id}).first()
    if found is None or aware(found[1]) <= datetime.now(timezone.utc):
        return None
    return found[0]


def signed_in_student(request: Request) -> Account:
    """`require_student` for a route that needs no request transaction (a learner's post
    writes in transactions of its own, a stream must hold none while it is open): FastAPI
    then runs one dependency in a worker thread, not four (each a hop to a thread and back,
    with the GIL to take again under load)."""
    account = _signed_in(request)
    _remember(request, account)
    if account is None:
        raise LoginRequired()
    if account.role != "student":
        raise HTTPException(403, "this page is for students")
    return account


@dataclass(frozen=True)
class AccountView:
    """What templates see of the signed-in account: plain values that stay readable after
    the request's transaction is gone (an error page renders after the rollback)."""

    id: str
    email: str
    name: str
    role: str
    learner_id: str | None


def _remember(request: Request, account: Account | None) -> None:
    state = request.scope.setdefault("state", {})
    state["account"] = account
    state["account_view"] = (
        AccountView(account.id, account.email, account.name, account.role, account.learner_id)
        if account
        else None
    )


async def require_account(account: Account | None = Depends(current_account)) -> Account:
    if account is None:
        raise LoginRequired()
    return account


async def require_teacher(account: Account = Depends(require_account)) -> Account:
    if account.role != "teacher":
        raise HTTPException(403, "this page is for teachers")
    return account


async def require_student(account: Account = Depends(require_account)) -> Account:
    if account.role != "student":
        raise HTTPException(403, "this page is for students")
    return account


async def check_csrf(request: Request) -> None:
    """403 unless the form field `csrf_token` or the `X-CSRF-Token` header carries the token
    of this browser's signed cookie."""
    expected = web_cookie(request).csrf
    given = request.headers.get("x-csrf-token")
    if not given and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if web_cookie(request).fresh or not tokens_match(given, expected):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")


def owned_course(course_id: str, account: Account, db: Session) -> Course:
    """The course if `account` is the teacher who owns it; 404 otherwise (whether it exists
    or not is nobody else's business)."""
    course = db.get(Course, course_id)
    if course is None or course.owner_id != account.id:
        raise HTTPException(404, "no such course")
    return course


_ENROLLED = select(Enrollment).where(
    Enrollment.session_id == bindparam("b_sid"), Enrollment.account_id == bindparam("b_account")
)
"""Built once: every class route and post runs it (see `live_lease._CONTROLS`)."""


def enrolled_session(session_id: str, account: Account, db: Session) -> Enrollment:
    """The student's own enrolment whose ClassSession is `session_id`; 404 otherwise."""
    params = {"b_sid": session_id, "b_account": account.id}
    enrollment = db.scalars(_ENROLLED, params).first()
    if enrollment is None:
        raise HTTPException(404, "no such class")
    return enrollment


def render(request: Request, template: str, *, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """A page from `templates/`, autoescaped, with `account`, `csrf_token` and `request`."""
    account = request.scope.get("state", {}).get("account_view")
    context = {"request": request, "account": account, "csrf_token": web_cookie(request).csrf}
    context.update(ctx)
    html = _ENV.get_template(template).render(context)
    return HTMLResponse(html, status_code=status_code)


def record(
    db: Session,
    kind: str,
    *,
    account_id: str | None = None,
    course_id: str | None = None,
    session_id: str | None = None,
    **meta: Any,
) -> Activity:
    """One Activity row (flushed with the request's transaction)."""
    row = Activity(
        kind=kind, account_id=account_id, course_id=course_id, session_id=session_id, meta=meta
    )
    db.add(row)
    return row
