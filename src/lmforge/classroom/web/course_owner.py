"""The FastAPI dependencies of a teacher's course routes: the signed-in teacher, the request's
session and the course named in the URL, resolved once for every route that needs them.

`OwnedCourse` is `deps.owned_course` as a dependency: 403 for a signed-in student (from
`require_teacher`, before the course is looked up), 404 for any course the teacher does not
own. FastAPI caches a dependency per request, so a route that also asks for `Teacher` or `Db`
gets the same account and the same session the course was loaded in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from .deps import get_db, owned_course, require_teacher
from .models import Account, Course

__all__ = ["CoursePost", "Db", "OwnedCourse", "PostedCourse", "Teacher", "see_course"]


def _teacher_course(
    course_id: str,
    account: Account = Depends(require_teacher),
    db: Session = Depends(get_db),
) -> Course:
    return owned_course(course_id, account, db)


Teacher = Annotated[Account, Depends(require_teacher)]
Db = Annotated[Session, Depends(get_db)]
OwnedCourse = Annotated[Course, Depends(_teacher_course)]


@dataclass
class CoursePost:
    """What a teacher's form POST on a course works with: the course, its form, the teacher
    (for the activity record) and the request's session."""

    course: Course
    form: FormData
    account: Account
    db: Session


async def _course_post(
    request: Request, course: OwnedCourse, account: Teacher, db: Db
) -> CoursePost:
    # the form was parsed (and cached on the request) by check_csrf already
    return CoursePost(course, await request.form(), account, db)


PostedCourse = Annotated[CoursePost, Depends(_course_post)]


def see_course(course: Course, page: str = "") -> RedirectResponse:
    """303 to the course's page (or its `page`, e.g. "agents"): the answer to a form POST."""
    suffix = f"/{page}" if page else ""
    return RedirectResponse(f"/courses/{course.id}{suffix}", status_code=303)
