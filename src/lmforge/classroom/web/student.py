"""The student's side: join by code, my classes, the classroom page and its actions (the
event stream's route is `class_stream`).

Why the actions look alike: each one checks the sign-in, that the session is the student's
own (404 otherwise), CSRF and the posting rate limit, records an `Activity` row, changes the
engine state (a message: only its row, merged by the driver, see `learner_post`; continue and
quiz: under the live lease in a transaction of its own behind the write gate,
`learner_action.in_class` and `LiveDriver.act`), and
leaves the model calls to a drive that runs after the response (so a POST answers at once and
the replies arrive on the event stream). Replies are JSON for the page's script and a redirect
back to the class for a plain form post.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from lmforge.classroom.agenda import Question
from lmforge.classroom.store.logs import messages_after
from lmforge.classroom.store.models import ClassSession, Learner, Page
from lmforge.classroom.teach.askquestion import is_correct
from lmforge.classroom.teach.engine import Session
from lmforge.errors import InputError

from . import sse
from .agents import course_cards, to_agent_states
from .deps import (
    check_csrf,
    enrolled_session,
    get_db,
    record,
    render,
    require_student,
    signed_in_student,
)
from .learner_action import in_class
from .learner_post import post_learner_message
from .live import ClassBusy, controls, driver, ensure_live, set_controls
from .models import Account, Course, CourseAgent, Enrollment
from .teacher import slide_file

__all__ = ["router"]

router = APIRouter()

CODE = re.compile(r"^[A-Z0-9]{8}$")
MAX_MESSAGE = 2000
BUSY = "the class is speaking: wait for your turn"


# joining -------------------------------------------------------------------------------------


def _learner_id(db: OrmSession, account: Account) -> str:
    if account.learner_id is None:
        learner = Learner(name=account.name)
        db.add(learner)
        db.flush()
        account.learner_id = learner.id
    return account.learner_id


def _start(request: Request, db: OrmSession, course: Course, account: Account) -> str:
    custom = db.scalars(select(CourseAgent).where(CourseAgent.course_id == course.id)).all()
    agents = to_agent_states(course_cards(course.agents, custom))
    assert course.lecture_id is not None
    return driver(request.app).new_session(db, course.lecture_id, _learner_id(db, account), agents)


@router.get("/join")
def join_page(request: Request, account: Account = Depends(require_student)) -> Response:
    return render(request, "student/join.html.j2", error="", code="")


@router.post("/join", dependencies=[Depends(check_csrf)])
def join(
    request: Request,
    code: str = Form(""),
    db: OrmSession = Depends(get_db),
    account: Account = Depends(require_student),
) -> Response:
    """Enrol in the published course with this code (or reopen the enrolment's session)."""
    code = code.strip().upper()
    course = None
    if CODE.match(code):
        course = db.scalars(select(Course).where(Course.code == code)).first()
    if course is None or course.status != "published" or course.lecture_id is None:
        msg = "no open course has this code: check it with your teacher"
        return render(request, "student/join.html.j2", status_code=404, error=msg, code=code)
    enrollment = db.scalars(
        select(Enrollment).where(
            Enrollment.course_id == course.id, Enrollment.account_id == account.id
        )
    ).first()
    if enrollment is None:
        enrollment = Enrollment(course_id=course.id, account_id=account.id)
        db.add(enrollment)
    if enrollment.session_id is None or db.get(ClassSession, enrollment.session_id) is None:
        enrollment.session_id = _start(request, db, course, account)
        record(
            db,
            "join",
            account_id=account.id,
            course_id=course.id,
            session_id=enrollment.session_id,
        )
    return RedirectResponse(f"/class/{enrollment.session_id}", status_code=303)


@router.get("/my")
def my_classes(
    request: Request,
    db: OrmSession = Depends(get_db),
    account: Account = Depends(require_student),
) -> Response:
    rows = db.execute(
        select(Enrollment, Course, ClassSession)
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(ClassSession, ClassSession.id == Enrollment.session_id)
        .where(Enrollment.account_id == account.id)
        .order_by(Enrollment.created_at)
    ).all()
    classes = [
        {
            "title": course.title,
            "session_id": enrollment.session_id,
            "finished": bool(session and session.finished),
            "cursor": session.cursor if session else 0,
        }
        for enrollment, course, session in rows
    ]
    return render(request, "student/my.html.j2", classes=classes)


# the classroom page --------------------------------------------------------------------------


def _own(sid: str, account: Account, db: OrmSession) -> tuple[Enrollment, Course]:
    enrollment = enrolled_session(sid, account, db)
    course = db.get(Course, enrollment.course_id)
    if course is None:
        raise HTTPException(404, "no such class")
    return enrollment, course


@router.get("/class/{sid}")
def class_page(
    sid: str,
    request: Request,
    db: OrmSession = Depends(get_db),
    account: Account = Depends(require_student),
) -> Response:
    """The class as it stands (messages so far, rendered escaped); the script then streams
    everything after the last id shown."""
    _, course = _own(sid, account, db)
    ensure_live(db, sid)
    rows = messages_after(db, sid, None, None)
    quiz = sse.quiz_cards(db, sid)
    messages = [sse.message_json(m, quiz) for m in rows if m.action in sse.SHOWN_ACTIONS]
    last_id = rows[-1].id if rows else 0
    status = sse.class_status(db, sid)
    open_quiz = None
    if status.get("waiting") == "answer":
        open_quiz = quiz.get(status["cursor"])
    pages = db.execute(
        select(Page.index, Page.title, Page.text)
        .where(Page.lecture_id == course.lecture_id)
        .order_by(Page.index)
    ).all()
    return render(
        request,
        "student/class.html.j2",
        course=course,
        sid=sid,
        messages=messages,
        last_id=last_id or 0,
        status=status,
        open_quiz=open_quiz,
        pages=[{"index": i, "title": t, "text": x[:1500]} for i, t, x in pages],
    )


@router.get("/class/{sid}/slide/{page}.png")
def slide(
    sid: str,
    page: int,
    request: Request,
    db: OrmSession = Depends(get_db),
    account: Account = Depends(require_student),
) -> Response:
    _, course = _own(sid, account, db)
    path = slide_file(request, course.lecture_id, page, db)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private"})


# actions -------------------------------------------------------------------------------------


def _reply(request: Request, sid: str, body: dict[str, Any], status: int = 200) -> Response:
    if "text/html" in request.headers.get("accept", "") and status == 200:
        return RedirectResponse(f"/class/{sid}", status_code=303)
    return JSONResponse(body, status_code=status)


def _act(
    request: Request,
    db: OrmSession,
    sid: str,
    background: BackgroundTasks,
    action: Callable[[Session], None],
) -> Session:
    live = driver(request.app)
    ctl = controls(db, sid)
    if ctl is not None and ctl.paused:  # acting in class is resuming it
        set_controls(db, sid, paused=False)
    try:
        session = live.act(db, sid, action)
    except ClassBusy:
        raise HTTPException(409, BUSY) from None
    except InputError as exc:
        raise HTTPException(409, str(exc)) from None
    background.add_task(live.drive, sid)  # runs after the response: this has committed
    return session


@router.post("/class/{sid}/message", dependencies=[Depends(check_csrf)])
def post_message(
    sid: str,
    request: Request,
    background: BackgroundTasks,
    text: str = Form(""),
    account: Account = Depends(signed_in_student),
) -> Response:
    """Record the message and return; the class's driver takes it up at its next step
    (`learner_post`), so a post never waits for the agents or for the lease."""
    text = text.strip()
    if not text:
        raise HTTPException(400, "write a message first (or press Continue)")
    if len(text) > MAX_MESSAGE:
        raise HTTPException(400, f"a message has at most {MAX_MESSAGE} characters")
    live = driver(request.app)
    post_learner_message(live, request.app.state.settings, account, sid, text)
    background.add_task(live.drive, sid)
    return _reply(request, sid, {"ok": True})


@router.post("/class/{sid}/continue", dependencies=[Depends(check_csrf)])
def post_continue(
    sid: str,
    request: Request,
    background: BackgroundTasks,
    account: Account = Depends(signed_in_student),
) -> Response:
    with in_class(request, account, sid) as (db, enrollment):
        _act(request, db, sid, background, lambda s: s.request_continue())
        record(db, "continue", account_id=account.id, course_id=enrollment.course_id,
               session_id=sid)  # fmt: skip
    return _reply(request, sid, {"ok": True})


@router.post("/class/{sid}/quiz", dependencies=[Depends(check_csrf)])
def post_quiz(
    sid: str,
    request: Request,
    background: BackgroundTasks,
    answer: list[str] = Form([]),
    account: Account = Depends(signed_in_student),
) -> Response:
    """The answer: one `answer` field per chosen letter (radio or checkboxes), or "BD"."""
    given = "".join(answer).strip().upper()
    seen: dict[str, Any] = {}

    def answer_quiz(session: Session) -> None:
        fn = session.state.current()
        session.post_quiz_answer(given)
        if fn is not None:
            question = Question.model_validate(fn.value["question"])
            seen.update(function_idx=fn.function_idx, correct=is_correct(question, given))

    with in_class(request, account, sid) as (db, enrollment):
        if not given:  # after the ownership check: a stranger learns nothing from a 400
            raise HTTPException(400, "choose an answer first")
        _act(request, db, sid, background, answer_quiz)
        record(db, "quiz", account_id=account.id, course_id=enrollment.course_id,
               session_id=sid, answer=given, **seen)  # fmt: skip
    return _reply(request, sid, {"ok": True, "correct": seen.get("correct")})


@router.post("/class/{sid}/mode", dependencies=[Depends(check_csrf)])
def post_mode(
    sid: str,
    request: Request,
    background: BackgroundTasks,
    mode: str = Form(...),
    account: Account = Depends(signed_in_student),
) -> Response:
    with in_class(request, account, sid) as (db, enrollment):
        ensure_live(db, sid)
        try:
            set_controls(db, sid, mode=mode)
        except InputError as exc:
            raise HTTPException(400, str(exc)) from None
        record(db, "mode", account_id=account.id, course_id=enrollment.course_id,
               session_id=sid, mode=mode)  # fmt: skip
    background.add_task(driver(request.app).drive, sid)
    return _reply(request, sid, {"ok": True, "mode": mode})


def _pause(
    sid: str, request: Request, background: BackgroundTasks, account: Account, paused: bool
) -> Response:
    with in_class(request, account, sid) as (db, enrollment):
        ensure_live(db, sid)
        set_controls(db, sid, paused=paused)
        kind = "pause" if paused else "resume"
        record(db, kind, account_id=account.id, course_id=enrollment.course_id, session_id=sid)
    if not paused:
        background.add_task(driver(request.app).drive, sid)
    else:  # after the commit: the stream shows the class paused without waiting for a poll
        background.add_task(driver(request.app).notifier.notify, sid)
    return _reply(request, sid, {"ok": True, "paused": paused})


@router.post("/class/{sid}/pause", dependencies=[Depends(check_csrf)])
def post_pause(
    sid: str,
    request: Request,
    background: BackgroundTasks,
    account: Account = Depends(signed_in_student),
) -> Response:
    return _pause(sid, request, background, account, True)


@router.post("/class/{sid}/resume", dependencies=[Depends(check_csrf)])
def post_resume(
    sid: str,
    request: Request,
    background: BackgroundTasks,
    account: Account = Depends(signed_in_student),
) -> Response:
    return _pause(sid, request, background, account, False)
