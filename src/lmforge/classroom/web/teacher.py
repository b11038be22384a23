"""The teacher's pages: courses, upload, preparation status, agenda review, agents, publish,
slide images.

Every route takes the course id from the URL and resolves it with `OwnedCourse` (404 for
anyone but its owner); every POST depends on `check_csrf`. A teacher's text (titles, scripts,
questions, agent cards) and the model's text reach the pages only through autoescaped
templates.
"""

from __future__ import annotations

import re
import secrets
import string
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from lmforge.classroom.store.models import Page, new_id
from lmforge.classroom.teach.agents import Identity, default_agents

from .agenda_form import AgendaFormError, apply_form, form_pages
from .course_owner import Db, OwnedCourse, PostedCourse, Teacher, see_course
from .deps import check_csrf, record, render
from .models import BUILTIN_AGENTS, Course, CourseAgent
from .uploads import UploadRefused, receive_deck

__all__ = ["new_code", "router"]

router = APIRouter()
CODE_CHARS = string.ascii_uppercase + string.digits
CSRF = [Depends(check_csrf)]


def new_code(db: Session) -> str:
    """A join code: 8 upper-case letters and digits, unused so far."""
    while True:
        code = "".join(secrets.choice(CODE_CHARS) for _ in range(8))
        if db.scalars(select(Course.id).where(Course.code == code)).first() is None:
            return code


def _store(request: Request):
    from lmforge.classroom.store import ClassroomStore

    return ClassroomStore(request.app.state.db)


@router.get("/courses")
def courses(request: Request, account: Teacher, db: Db) -> Response:
    rows = db.scalars(
        select(Course).where(Course.owner_id == account.id).order_by(Course.created_at.desc())
    ).all()
    return render(request, "teacher/courses.html.j2", courses=rows)


@router.get("/courses/new")
def new_course_page(request: Request, account: Teacher) -> Response:
    limit = request.app.state.settings.limits.max_file_bytes // (1 << 20)
    return render(request, "teacher/new.html.j2", error="", title="", limit_mib=limit)


@router.post("/courses/new", dependencies=CSRF)
async def new_course(
    request: Request,
    account: Teacher,
    db: Db,
    title: str = Form(""),
    deck: UploadFile = File(...),
) -> Response:
    settings = request.app.state.settings
    course_id = new_id()
    folder = settings.data_dir / "courses" / course_id
    try:
        path, shown, pages = await receive_deck(
            deck, folder, settings.limits, isolated=settings.isolated_ingest
        )
    except UploadRefused as exc:
        limit = settings.limits.max_file_bytes // (1 << 20)
        return render(request, "teacher/new.html.j2", status_code=400, error=str(exc),
                      title=title, limit_mib=limit)  # fmt: skip
    title = title.strip()[:300] or Path(shown).stem
    db.add(Course(id=course_id, owner_id=account.id, title=title, deck_path=str(path),
                  deck_name=shown, status="queued",
                  progress={"step": "queued", "done": 0, "total": pages}))  # fmt: skip
    record(db, "upload", account_id=account.id, course_id=course_id, file=shown, pages=pages)
    return RedirectResponse(f"/courses/{course_id}", status_code=303)


@router.get("/courses/{course_id}")
def course_page(request: Request, course: OwnedCourse) -> Response:
    return render(request, "teacher/course.html.j2", course=course)


@router.get("/courses/{course_id}/status")
def course_status(course: OwnedCourse) -> JSONResponse:
    return JSONResponse(
        {"status": course.status, "progress": course.progress, "error": course.error}
    )


def _agenda_or_404(request: Request, course: Course):
    if course.lecture_id is None:
        raise HTTPException(404, "the course is not prepared yet")
    return _store(request).load_agenda(course.lecture_id)


@router.get("/courses/{course_id}/agenda")
def agenda_page(request: Request, course: OwnedCourse, db: Db) -> Response:
    db.commit()  # the store opens its own transaction (SQLite: one writer at a time)
    agenda = _agenda_or_404(request, course)
    return render(request, "teacher/agenda.html.j2", course=course, pages=form_pages(agenda),
                  error="", saved=request.query_params.get("saved", ""))  # fmt: skip


@router.post("/courses/{course_id}/agenda", dependencies=CSRF)
def agenda_save(request: Request, post: PostedCourse) -> Response:
    course, form, db = post.course, post.form, post.db
    db.commit()
    agenda = _agenda_or_404(request, course)
    try:
        edited = apply_form(agenda, dict(form))
    except AgendaFormError as exc:
        return render(request, "teacher/agenda.html.j2", status_code=400, course=course,
                      pages=form_pages(agenda), error=str(exc), saved="")  # fmt: skip
    version = _store(request).update_agenda(course.lecture_id, edited)
    record(db, "agenda_edit", account_id=post.account.id, course_id=course.id, version=version)
    return see_course(course, f"agenda?saved={version}")


def _agent_choices(course: Course, custom: list[CourseAgent]) -> list[dict]:
    chosen = set(course.agents or [])
    cast = [{"key": a.role, "name": a.name, "card": a.duty, "persona": "", "custom": False}
            for a in default_agents()]  # fmt: skip
    cast += [{"key": c.key, "name": c.name, "card": c.role_card, "persona": c.persona,
              "custom": True} for c in custom]  # fmt: skip
    for item in cast:
        item["chosen"] = item["key"] in chosen or item["key"] == "teacher"
    return cast


def _custom_agents(db: Session, course: Course) -> list[CourseAgent]:
    query = select(CourseAgent).where(CourseAgent.course_id == course.id)
    return list(db.scalars(query.order_by(CourseAgent.created_at)))


@router.get("/courses/{course_id}/agents")
def agents_page(request: Request, course: OwnedCourse, db: Db) -> Response:
    cast = _agent_choices(course, _custom_agents(db, course))
    return render(request, "teacher/agents.html.j2", course=course, cast=cast, error="")


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "agent"
    key, n = f"custom-{base}", 2
    while key in taken:
        key, n = f"custom-{base}-{n}", n + 1
    return key


@router.post("/courses/{course_id}/agents", dependencies=CSRF)
def agents_save(request: Request, post: PostedCourse) -> Response:
    course, form, db, account = post.course, post.form, post.db, post.account
    custom = _custom_agents(db, course)
    if form.get("action") == "add":
        name = str(form.get("name", "")).strip()[:100]
        card = str(form.get("role_card", "")).strip()[:2000]
        persona = str(form.get("persona", "")).strip()[:4000]
        if not name or not card:
            cast = _agent_choices(course, custom)
            error = "a custom agent needs a name and a role card"
            return render(request, "teacher/agents.html.j2", status_code=400, course=course,
                          cast=cast, error=error)  # fmt: skip
        key = _slug(name, {c.key for c in custom} | set(BUILTIN_AGENTS))
        db.add(CourseAgent(course_id=course.id, key=key, name=name, persona=persona,
                           role_card=card, identity=int(Identity.AI_CLASSMATE)))  # fmt: skip
        course.agents = [*(course.agents or []), key]
        record(db, "agent_add", account_id=account.id, course_id=course.id, key=key)
    else:
        known = set(BUILTIN_AGENTS) | {c.key for c in custom}
        chosen = [str(k) for k in form.getlist("agent") if str(k) in known]
        course.agents = ["teacher", *[k for k in chosen if k != "teacher"]]
        record(db, "agents", account_id=account.id, course_id=course.id, agents=course.agents)
    return see_course(course, "agents")


@router.post("/courses/{course_id}/publish", dependencies=CSRF)
def publish(course: OwnedCourse, account: Teacher, db: Db) -> Response:
    if course.status not in ("ready", "published"):
        raise HTTPException(409, f"the course is {course.status}: it can be published once ready")
    if course.code is None:
        course.code = new_code(db)
    course.status = "published"
    record(db, "publish", account_id=account.id, course_id=course.id, code=course.code)
    return see_course(course)


def slide_file(request: Request, lecture_id: str | None, page: int, db: Session) -> Path:
    """The rendered PNG of `page` of a lecture, only from inside the data folder; 404 when
    there is none (PPTX without LibreOffice, or no such page)."""
    if lecture_id is None:
        raise HTTPException(404, "the course is not prepared yet")
    row = db.scalars(select(Page).where(Page.lecture_id == lecture_id, Page.index == page)).first()
    if row is None or not row.image_path:
        raise HTTPException(404, "no image of this page")
    path = Path(row.image_path).resolve()
    root = Path(request.app.state.data_dir).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(404, "no image of this page")
    return path


@router.get("/courses/{course_id}/slides/{page}.png")
def slide(request: Request, page: int, course: OwnedCourse, db: Db) -> Response:
    path = slide_file(request, course.lecture_id, page, db)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private"})
