"""Teacher pages: upload -> queued -> prepared by the worker -> agenda edit -> agents -> publish."""

from __future__ import annotations

import re

from sqlalchemy import select

from lmforge.classroom.web.models import Activity, Course, CourseAgent
from lmforge.classroom.web.worker import run_pending


def test_upload_prepare_edit_publish(app, teacher_client, deck_pdf, upload, csrf_token):
    course_id = upload(teacher_client, deck_pdf, "Plants")
    status = teacher_client.get(f"/courses/{course_id}/status").json()
    assert status["status"] == "queued" and status["progress"]["total"] == 3
    page = teacher_client.get(f"/courses/{course_id}")
    assert "queued" in page.text and f'data-status-url="/courses/{course_id}/status"' in page.text

    assert run_pending(app) == 1
    status = teacher_client.get(f"/courses/{course_id}/status").json()
    assert status == {"status": "ready", "progress": status["progress"], "error": ""}
    assert status["progress"]["step"] == "done" and status["progress"]["done"] == 3

    agenda = teacher_client.get(f"/courses/{course_id}/agenda")
    assert agenda.status_code == 200
    field = re.search(r'name="(script-2-\d+)"', agenda.text).group(1)
    token = csrf_token(teacher_client, f"/courses/{course_id}/agenda")
    saved = teacher_client.post(
        f"/courses/{course_id}/agenda",
        data={"csrf_token": token, field: "Chlorophyll catches the light.", "desc-2": "Green"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=2")
    again = teacher_client.get(saved.headers["location"])
    assert "Chlorophyll catches the light." in again.text and "version 2" in again.text
    with app.state.db.session() as s:
        lecture_id = s.get(Course, course_id).lecture_id
    from lmforge.classroom.store import ClassroomStore

    stored = ClassroomStore(app.state.db).load_agenda(lecture_id)
    assert any(
        getattr(f, "script", "") == "Chlorophyll catches the light."
        for f in stored.page(2).functions
    )
    assert stored.page(2).description == "Green"

    token = csrf_token(teacher_client, f"/courses/{course_id}/agents")
    teacher_client.post(
        f"/courses/{course_id}/agents",
        data={"csrf_token": token, "action": "choose", "agent": ["clown", "thinker", "bogus"]},
    )
    teacher_client.post(
        f"/courses/{course_id}/agents",
        data={"csrf_token": token, "action": "add", "name": "Socrates",
              "persona": "asks why", "role_card": "Questions every claim."},
    )  # fmt: skip
    with app.state.db.session() as s:
        course = s.get(Course, course_id)
        assert course.agents == ["teacher", "clown", "thinker", "custom-socrates"]
        assert s.scalars(select(CourseAgent.name)).all() == ["Socrates"]

    token = csrf_token(teacher_client, f"/courses/{course_id}")
    teacher_client.post(f"/courses/{course_id}/publish", data={"csrf_token": token})
    with app.state.db.session() as s:
        course = s.get(Course, course_id)
        assert course.status == "published" and re.fullmatch(r"[A-Z0-9]{8}", course.code)
        kinds = [a.kind for a in s.scalars(select(Activity).where(Activity.course_id == course_id))]
    assert kinds == ["upload", "agenda_edit", "agents", "agent_add", "publish"]
    listing = teacher_client.get("/courses")
    assert "Plants" in listing.text and course.code in listing.text


def test_bad_agenda_edit_is_refused_with_the_field(
    app, teacher_client, deck_pdf, upload, csrf_token
):
    course_id = upload(teacher_client, deck_pdf)
    run_pending(app)
    agenda = teacher_client.get(f"/courses/{course_id}/agenda")
    field = re.search(r'name="(script-1-\d+)"', agenda.text).group(1)
    token = csrf_token(teacher_client, f"/courses/{course_id}/agenda")
    reply = teacher_client.post(
        f"/courses/{course_id}/agenda", data={"csrf_token": token, field: "   "}
    )
    assert reply.status_code == 400 and "the script of page 1 is empty" in reply.text


def test_publish_before_ready_is_refused(app, teacher_client, deck_pdf, upload, csrf_token):
    course_id = upload(teacher_client, deck_pdf)
    token = csrf_token(teacher_client, f"/courses/{course_id}")
    reply = teacher_client.post(f"/courses/{course_id}/publish", data={"csrf_token": token})
    assert reply.status_code == 409 and "queued" in reply.text


def test_published_course_fixture(published_course):
    assert re.fullmatch(r"[A-Z0-9]{8}", published_course["code"])


def test_a_pptx_upload_is_accepted_and_counted(app, teacher_client, upload, tmp_path):
    from pptx import Presentation

    prs = Presentation()
    for title in ("Atoms", "Molecules"):
        slide = prs.slides.add_slide(prs.slide_layouts[1])
        slide.shapes.title.text = title
    deck = tmp_path / "chemistry.pptx"
    prs.save(str(deck))
    course_id = upload(teacher_client, deck, "")
    with app.state.db.session() as s:
        course = s.get(Course, course_id)
        assert course.title == "chemistry" and course.deck_name == "chemistry.pptx"
        assert course.progress["total"] == 2 and course.deck_path.endswith("deck.pptx")
