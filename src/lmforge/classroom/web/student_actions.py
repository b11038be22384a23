"""The student's actions in class: message, continue, quiz answer, mode, pause and resume.

Why they look alike: each one checks the sign-in, that the session is the student's own (404
otherwise), CSRF and the posting rate limit, records an `Activity` row, changes the engine
state under the live lease (`LiveDriver.act_apart`), and leaves the model calls to a drive
that runs after the response (so a POST answers at once and the replies arrive on the event
stream). Replies are JSON for the page's script and a redirect back to the class for a plain
form post.

Why no request transaction: on SQLite a transaction that writes holds the one write lock
from its first statement, and 100 students post every few seconds. So the checks (ownership,
whether a drive holds the class) run in a read transaction, a busy class is refused there
without writing anything, and the writes go in short transactions of their own, with the
engine state loaded and changed between them (see `act_apart`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session as OrmSession
from starlette.concurrency import run_in_threadpool

from lmforge.classroom.agenda import Question
from lmforge.classroom.teach.askquestion import is_correct
from lmforge.classroom.teach.engine import Session
from lmforge.classroom.teach.simulated import class_responder
from lmforge.errors import InputError
from lmforge.llm.scripted import ScriptedLLM

from .deps import check_csrf, enrolled_session, record, require_student
from .live import ClassBusy, LiveDriver, controls, ensure_live, set_controls
from .live_rows import utcnow
from .models import Account
from .security import rate_count, rate_hit

__all__ = ["BUSY", "MAX_MESSAGE", "driver", "router"]

router = APIRouter()

MAX_MESSAGE = 2000
BUSY = "the class is speaking: wait for your turn"


def driver(app: Any) -> LiveDriver:
    """The app's live driver, made on first use from its database, model and settings.

    With ``--model scripted`` the class runs on the engine's rule-based offline provider
    (`teach.simulated.class_responder`: a keyword director, short replies, quiz feedback)
    instead of the registry's answer-"OK"-to-everything model, whose director replies
    choose nobody; so a scripted demo or load run has agents that answer the learner.
    """
    live = getattr(app.state, "live", None)
    if live is None:
        settings = app.state.settings
        llm = app.state.llm
        if getattr(settings, "model", "") == "scripted":
            llm = ScriptedLLM(class_responder)
        live = LiveDriver(app.state.db, llm, config=settings.teach)
        app.state.live = live
    return live


def _reply(request: Request, sid: str, body: dict[str, Any], status: int = 200) -> Response:
    if "text/html" in request.headers.get("accept", "") and status == 200:
        return RedirectResponse(f"/class/{sid}", status_code=303)
    return JSONResponse(body, status_code=status)


def _course_of(request: Request, sid: str, account: Account, *, busy_check: bool) -> str:
    """The course id of the student's own session (404 otherwise), read without the write
    lock; with `busy_check`, 409 at once when a drive holds the class's lease."""
    with request.app.state.db.read() as s:
        course_id = enrolled_session(sid, account, s).course_id
        if busy_check:
            ctl = controls(s, sid)
            if ctl is not None and ctl.leased(utcnow()):
                raise HTTPException(409, BUSY)
    return course_id


def _rate_key(account: Account) -> str:
    return f"post:{account.id}"


def _check_rate(request: Request, s: OrmSession, account: Account) -> None:
    settings = request.app.state.settings
    if rate_count(s, _rate_key(account), settings.post_window_s) >= settings.post_limit:
        raise HTTPException(429, "too many posts: wait a moment")


def _count_post(request: Request, s: OrmSession, account: Account) -> None:
    """Count the post against the rate limit (429 when the limit was reached meanwhile)."""
    settings = request.app.state.settings
    key = _rate_key(account)
    if not rate_hit(s, key, limit=settings.post_limit, window_s=settings.post_window_s):
        raise HTTPException(429, "too many posts: wait a moment")


def _act(
    request: Request,
    sid: str,
    account: Account,
    background: BackgroundTasks,
    action: Callable[[Session], None],
    kind: str,
    meta: Callable[[], dict[str, Any]] = dict,
) -> None:
    """A learner action on the engine (see the module docstring): 409 when the class is
    busy or the engine refuses it, 429 over the rate limit; on success the post is counted,
    a paused class resumes, the `kind` Activity is recorded and a drive follows."""
    live = driver(request.app)
    with live.acting():
        _act_now(request, sid, account, live, action, kind, meta)
    background.add_task(live.drive, sid)


def _act_now(
    request: Request,
    sid: str,
    account: Account,
    live: LiveDriver,
    action: Callable[[Session], None],
    kind: str,
    meta: Callable[[], dict[str, Any]],
) -> None:
    course_id = _course_of(request, sid, account, busy_check=True)

    def after(s: OrmSession, _session: Session) -> None:
        _count_post(request, s, account)
        ctl = controls(s, sid)
        if ctl is not None and ctl.paused:  # acting in class is resuming it
            set_controls(s, sid, paused=False)
        record(s, kind, account_id=account.id, course_id=course_id, session_id=sid, **meta())

    try:
        live.act_apart(sid, action, admit=lambda s: _check_rate(request, s, account), after=after)
    except ClassBusy:
        raise HTTPException(409, BUSY) from None
    except InputError as exc:
        raise HTTPException(409, str(exc)) from None


@router.post("/class/{sid}/message", dependencies=[Depends(check_csrf)])
def post_message(
    sid: str,
    request: Request,
    background: BackgroundTasks,
    text: str = Form(""),
    account: Account = Depends(require_student),
) -> Response:
    _course_of(request, sid, account, busy_check=False)
    text = text.strip()
    if not text:
        raise HTTPException(400, "write a message first (or press Continue)")
    if len(text) > MAX_MESSAGE:
        raise HTTPException(400, f"a message has at most {MAX_MESSAGE} characters")
    action = lambda s: s.post_learner_message(text)  # noqa: E731
    _act(request, sid, account, background, action, "message", lambda: {"length": len(text)})
    return _reply(request, sid, {"ok": True})


@router.post("/class/{sid}/continue", dependencies=[Depends(check_csrf)])
def post_continue(
    sid: str,
    request: Request,
    background: BackgroundTasks,
    account: Account = Depends(require_student),
) -> Response:
    _act(request, sid, account, background, lambda s: s.request_continue(), "continue")
    return _reply(request, sid, {"ok": True})


@router.post("/class/{sid}/quiz", dependencies=[Depends(check_csrf)])
async def post_quiz(
    sid: str,
    request: Request,
    background: BackgroundTasks,
    account: Account = Depends(require_student),
) -> Response:
    """The answer: one `answer` field per chosen letter (radio or checkboxes), or "BD"."""
    form = await request.form()
    given = "".join(str(v) for v in form.getlist("answer")).strip().upper()
    await run_in_threadpool(_course_of, request, sid, account, busy_check=False)
    if not given:
        raise HTTPException(400, "choose an answer first")
    seen: dict[str, Any] = {}

    def answer(session: Session) -> None:
        fn = session.state.current()
        session.post_quiz_answer(given)
        if fn is not None:
            question = Question.model_validate(fn.value["question"])
            seen.update(function_idx=fn.function_idx, correct=is_correct(question, given))

    meta = lambda: {"answer": given, **seen}  # noqa: E731
    await run_in_threadpool(_act, request, sid, account, background, answer, "quiz", meta)
    return _reply(request, sid, {"ok": True, "correct": seen.get("correct")})


def _control(
    request: Request, sid: str, account: Account, kind: str, meta: dict[str, Any], **values: Any
) -> LiveDriver:
    """A switch of the class (mode, pause, resume): the checks, then one short write."""
    live = driver(request.app)
    with live.acting():
        course_id = _course_of(request, sid, account, busy_check=False)
        with request.app.state.db.session() as s:
            _count_post(request, s, account)
            ensure_live(s, sid)
            try:
                set_controls(s, sid, **values)
            except InputError as exc:
                raise HTTPException(400, str(exc)) from None
            record(s, kind, account_id=account.id, course_id=course_id, session_id=sid, **meta)
    return live


@router.post("/class/{sid}/mode", dependencies=[Depends(check_csrf)])
def post_mode(
    sid: str,
    request: Request,
    background: BackgroundTasks,
    mode: str = Form(...),
    account: Account = Depends(require_student),
) -> Response:
    live = _control(request, sid, account, "mode", {"mode": mode}, mode=mode)
    background.add_task(live.drive, sid)
    return _reply(request, sid, {"ok": True, "mode": mode})


def post_pause(
    sid: str,
    request: Request,
    background: BackgroundTasks,
    account: Account = Depends(require_student),
) -> Response:
    """Pause (`/pause`) or resume (`/resume`): one body, the path says which."""
    paused = request.url.path.endswith("/pause")
    live = _control(request, sid, account, "pause" if paused else "resume", {}, paused=paused)
    if not paused:
        background.add_task(live.drive, sid)
    else:  # after the commit: the stream shows the class paused without waiting for a poll
        background.add_task(live.notifier.notify, sid)
    return _reply(request, sid, {"ok": True, "paused": paused})


for _switch in ("pause", "resume"):
    router.add_api_route(
        f"/class/{{sid}}/{_switch}",
        post_pause,
        methods=["POST"],
        dependencies=[Depends(check_csrf)],
        name=f"post_{_switch}",
    )
