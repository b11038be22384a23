"""Sign-up, sign-in, sign-out and the start page.

Why this way: a sign-in is a `Login` row whose random id the signed cookie carries, so
signing out ends it everywhere, and every sign-in change issues a new CSRF token (no session
fixation). Wrong passwords are counted per (e-mail, client address) in the database: after
`login_failures` within `login_window_s`, that pair is refused, even with the right password,
until the window passes, on every worker alike.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from lmforge.classroom.store.models import Learner

from .deps import _remember, check_csrf, current_account, get_db, record, render, web_cookie
from .models import Account, Login
from .security import rate_clear, rate_count, rate_hit

__all__ = ["router", "sign_in"]

router = APIRouter()

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
MIN_PASSWORD = 8
ROLES = ("teacher", "student")


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def sign_in(request: Request, db: Session, account: Account) -> None:
    """Start a sign-in for `account` in this browser (a new Login row, a new cookie)."""
    settings = request.app.state.settings
    login = Login(
        id=secrets.token_urlsafe(32),
        account_id=account.id,
        expires_at=datetime.now(timezone.utc) + timedelta(days=settings.session_days),
    )
    db.add(login)
    web_cookie(request).rotate(login.id)
    _remember(request, account)
    record(db, "login", account_id=account.id, ip=_client(request))


def _home(account: Account | None) -> str:
    if account is None:
        return "/login"
    return "/courses" if account.role == "teacher" else "/my"


@router.get("/")
def index(account: Account | None = Depends(current_account)) -> Response:
    return RedirectResponse(_home(account), status_code=303)


@router.get("/signup")
def signup_page(request: Request, role: str = "teacher") -> Response:
    return render(request, "auth/signup.html.j2", role=role if role in ROLES else "teacher",
                  error="", email="", name="")  # fmt: skip


@router.post("/signup", dependencies=[Depends(check_csrf)])
def signup(
    request: Request,
    email: str = Form(""),
    name: str = Form(""),
    password: str = Form(""),
    role: str = Form("teacher"),
    db: Session = Depends(get_db),
) -> Response:
    email, name = email.strip().lower(), name.strip()[:200]
    error = ""
    if role not in ROLES:
        error = "choose teacher or student"
    elif not EMAIL.match(email):
        error = "enter a valid e-mail address"
    elif len(password) < MIN_PASSWORD:
        error = f"the password needs at least {MIN_PASSWORD} characters"
    elif len(password) > 1024:
        error = "the password is too long (1024 characters at most)"
    else:
        # hash before the first query: on SQLite that query takes the write lock for the rest
        # of the request, and an argon2 hash (64 MiB, ~0.1-0.5 s) under it stalled every post
        password_hash = request.app.state.passwords.hash(password)
        if db.scalars(select(Account).where(Account.email == email)).first() is not None:
            error = "an account with this e-mail address exists: sign in instead"
    if error:
        return render(request, "auth/signup.html.j2", status_code=400, role=role, error=error,
                      email=email, name=name)  # fmt: skip
    learner_id = None
    if role == "student":
        learner = Learner(name=name or email)
        db.add(learner)
        db.flush()
        learner_id = learner.id
    account = Account(
        email=email,
        name=name,
        role=role,
        password_hash=password_hash,
        learner_id=learner_id,
    )
    db.add(account)
    db.flush()
    record(db, "signup", account_id=account.id, role=role)
    sign_in(request, db, account)
    return RedirectResponse(_home(account), status_code=303)


@router.get("/login")
def login_page(request: Request) -> Response:
    return render(request, "auth/login.html.j2", error="", email="")


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    db: Session = Depends(get_db),
) -> Response:
    settings = request.app.state.settings
    email = email.strip().lower()
    key = f"login:{email}:{_client(request)}"[:200]
    if rate_count(db, key, settings.login_window_s) >= settings.login_failures:
        minutes = max(1, settings.login_window_s // 60)
        record(db, "login_blocked", email=email, ip=_client(request))
        error = f"too many wrong passwords: try again in {minutes} minute(s)"
        return render(request, "auth/login.html.j2", status_code=429, error=error, email=email)
    account = db.scalars(select(Account).where(Account.email == email)).first()
    stored = account.password_hash if account else None
    if not request.app.state.passwords.verify(stored, password):
        rate_hit(db, key, limit=settings.login_failures, window_s=settings.login_window_s)
        record(db, "login_failed", account_id=account.id if account else None,
               ip=_client(request))  # fmt: skip
        error = "wrong e-mail address or password"
        return render(request, "auth/login.html.j2", status_code=400, error=error, email=email)
    assert account is not None
    rate_clear(db, key)
    sign_in(request, db, account)
    return RedirectResponse(_home(account), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(
    request: Request,
    account: Account | None = Depends(current_account),
    db: Session = Depends(get_db),
) -> Response:
    cookie = web_cookie(request)
    if cookie.login:
        login = db.get(Login, cookie.login)
        if login is not None:
            db.delete(login)
    if account is not None:
        record(db, "logout", account_id=account.id)
    cookie.rotate(None)
    _remember(request, None)
    return RedirectResponse("/login", status_code=303)
