"""The teacher's dashboard of a course: per-student progress, the analytics plots, CSV export.

Every route resolves the course with `OwnedCourse` (404 for anyone but the owning teacher,
whether the course exists or not), so a student or another teacher learns nothing, not even
that the id is real. The figures come from `analytics.course_analytics` (definitions there,
after the spec §3.3-3.4); the page puts the paper's published figures beside them so a teacher
can read their class against the deployment study.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse

from .analytics import course_analytics
from .course_owner import Db, OwnedCourse
from .course_records import load_course
from .deps import render
from .export import iter_csv
from .plots import PLOTS, plot_svg

__all__ = ["PAPER_REFERENCE", "router"]

router = APIRouter()

PAPER_REFERENCE = {
    "asking": 0.609,
    "managing": 0.11,
    "dropout": 76 / 186,
    "r_log_messages_quiz": 0.341,
    "r_log_length_quiz": 0.202,
}
"""Figures of the MAIC deployment (spec §3.3): share of learner activity that is asking (60.9%)
and managing (about 11%); dropout in MAIC-TAGI's first semester (76 of 186, 40.9%); the
normalised coefficients of mean log(#messages) and mean log(length) with the average quiz
score (0.341, 0.202)."""


@router.get("/courses/{course_id}/dashboard")
def dashboard(request: Request, course: OwnedCourse, db: Db) -> Response:
    data = course_analytics(db, course.id)
    shares = {r.key: r.share for r in data.activity_types}
    students = len(data.students)
    return render(
        request,
        "dashboard/dashboard.html.j2",
        course=course,
        data=data,
        plots=list(PLOTS),
        shares=shares,
        dropout_rate=data.counts["dropouts"] / students if students else None,
        paper=PAPER_REFERENCE,
    )


@router.get("/courses/{course_id}/plots/{name}.svg")
def plot(name: str, course: OwnedCourse, db: Db) -> Response:
    if name not in PLOTS:
        raise HTTPException(404, "no such plot")
    svg = plot_svg(name, course_analytics(db, course.id))
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, no-store"})


@router.get("/courses/{course_id}/export.csv")
def export_csv(course: OwnedCourse, db: Db) -> Response:
    records = load_course(db, course.id)
    filename = f"course-{course.id}-records.csv"
    return StreamingResponse(
        iter_csv(records),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
