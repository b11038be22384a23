"""The student's side: join by code, my classes, the classroom page and its event stream.

The actions in class (message, continue, quiz, mode, pause, resume) are in `student_actions`,
whose router this one includes.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import (
    FileResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from lmforge.classroom.store.logs import LogOps
from lmforge.classroom.store.models import ClassSession, Learner, Page

from . import sse
from .agents import course_cards, to_agent_states
from .deps import (
    LoginRequired,
    check_csrf,
    current_account,
    enrolled_session,
    get_db,
    record,
    render,
    require_student,
)
from .live import controls, ensure_live
from .models import Account, Course, CourseAgent, Enrollment
from .student_actions import driver
from .student_actions import router as actions_router
from .teacher import slide_file

__all__ = ["driver", "router"]

router = APIRouter()
router.include_router(actions_router)

CODE = re.compile(r"^[A-Z0-9]{8}$")


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
    rows = LogOps._messages(db, sid, None, None)
    quiz = sse.quiz_cards(db, sid)
    messages = [sse.message_json(m, quiz) for m in rows if m.action in sse.SHOWN_ACTIONS]
    last_id = rows[-1].id if rows else 0
    status = sse.class_status(db, sid, controls(db, sid))
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


# the stream ------------------------------------------------------------------------------------


def stream_student(sid: str, request: Request) -> str:
    """Sign-in and ownership for the stream, checked in a read transaction that ends before
    streaming starts (the request's usual transaction would hold SQLite's write lock for as
    long as the stream stays open)."""
    with request.app.state.db.read() as s:
        account = current_account(request, s)
        if account is None:
            raise LoginRequired()
        if account.role != "student":
            raise HTTPException(403, "this page is for students")
        enrolled_session(sid, account, s)
        return account.id


@router.get("/class/{sid}/events")
async def events(
    sid: str,
    request: Request,
    after: int | None = None,
    account_id: str = Depends(stream_student),
) -> Response:
    """Server-sent events: every message after `Last-Event-ID` (or `?after=`), then live."""
    start = sse.last_event_id(request, after)
    poll_s = float(getattr(request.app.state, "sse_poll_s", 1.0))
    return StreamingResponse(
        sse.event_stream(request, driver(request.app), sid, start, poll_s=poll_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
