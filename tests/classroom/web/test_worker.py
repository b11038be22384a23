"""The prepare worker: one claim per queued course across workers, takeover of a dead
worker's claim, progress written while the model works, failures as a one-line error."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from lmforge.classroom.web.models import Course
from lmforge.classroom.web.worker import (
    STALE_S,
    PrepareWorker,
    claim_next,
    prepare_course,
    run_pending,
)
from lmforge.llm.scripted import ScriptedLLM


def _course(app, course_id: str) -> Course:
    with app.state.db.session() as s:
        return s.get(Course, course_id)


def test_a_course_is_claimed_once_and_a_dead_claim_is_taken_over(app, teacher_client, deck_pdf,
                                                                 upload):  # fmt: skip
    course_id = upload(teacher_client, deck_pdf)
    assert claim_next(app.state.db, "w1") == course_id
    assert claim_next(app.state.db, "w2") is None  # w1 holds it, its heartbeat is fresh
    with app.state.db.session() as s:  # w1 dies: its heartbeat grows old
        s.get(Course, course_id).heartbeat_at = datetime.now(timezone.utc) - timedelta(
            seconds=STALE_S + 1
        )
    assert claim_next(app.state.db, "w2") == course_id
    assert prepare_course(app, course_id, "w2") == "ready"
    course = _course(app, course_id)
    assert course.status == "ready" and course.worker == "w2" and course.lecture_id
    # w1 wakes up and finishes late: its result is not stored over w2's.
    assert prepare_course(app, course_id, "w1") == "failed"
    assert _course(app, course_id).lecture_id == course.lecture_id
    from lmforge.classroom.store import ClassroomStore

    assert [x.id for x in ClassroomStore(app.state.db).list_lectures()] == [course.lecture_id]


def test_progress_is_written_while_the_model_works(app, teacher_client, deck_pdf, upload):
    course_id = upload(teacher_client, deck_pdf)
    seen = []

    def reply(messages, config):
        seen.append(dict(_course(app, course_id).progress))
        return "OK"

    app.state.llm = ScriptedLLM(reply)
    assert run_pending(app) == 1
    steps = {(p["step"], p["total"]) for p in seen}
    assert ("scripts", 3) in steps, seen
    assert _course(app, course_id).progress == {"step": "done", "done": 3, "total": 3}


def test_a_failing_course_fails_with_one_line_and_the_worker_goes_on(app, teacher_client,
                                                                     deck_pdf, upload):  # fmt: skip
    broken = upload(teacher_client, deck_pdf, "Broken")
    fine = upload(teacher_client, deck_pdf, "Fine")
    path = _course(app, broken).deck_path
    with open(path, "wb") as fh:  # damaged on disk after the upload check
        fh.write(b"%PDF-1.4\n garbage")
    assert run_pending(app) == 2
    failed = _course(app, broken)
    assert failed.status == "failed" and "\n" not in failed.error and failed.error
    assert path not in failed.error and failed.error.startswith(failed.deck_name)
    assert _course(app, fine).status == "ready"
    page = teacher_client.get(f"/courses/{broken}")
    assert "Preparation failed" in page.text


def test_the_worker_thread_prepares_in_the_background(app, teacher_client, deck_pdf, upload):
    app.state.settings.worker_poll_s = 0.05
    worker = PrepareWorker(app)
    worker.start()
    try:
        course_id = upload(teacher_client, deck_pdf)
        deadline = time.monotonic() + 30
        while teacher_client.get(f"/courses/{course_id}/status").json()["status"] != "ready":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        worker.stop()
    assert not worker.thread.is_alive()


@pytest.mark.slow  # loads the embedded tiny model and generates (about 40 s on a loaded machine)
def test_a_real_model_prepares_an_uploaded_deck(web_settings, signup_as, upload, tmp_path):
    """End to end with the embedded tiny model: upload over HTTP, the worker prepares, the
    agenda page shows scripts the model wrote."""
    from fastapi.testclient import TestClient
    from markupsafe import escape

    from helpers import text_pdf
    from lmforge.classroom.store import ClassroomStore
    from lmforge.classroom.web import create_app

    app = create_app(web_settings.model_copy(update={"model": "embedded-tiny"}))
    try:
        client = signup_as(TestClient(app), "t@example.org")
        deck = text_pdf(tmp_path / "water.pdf", ("The water cycle", "Evaporation and rain"))
        course_id = upload(client, deck, "Water")
        assert run_pending(app) == 1
        course = _course(app, course_id)
        assert course.status == "ready", course.error
        agenda = ClassroomStore(app.state.db).load_agenda(course.lecture_id)
        scripts = [f.script for p in agenda.pages() for f in p.functions if f.call == "ReadScript"]
        assert len(scripts) == 2 and all(s.strip() for s in scripts)
        assert any(s not in ("The water cycle", "Evaporation and rain") for s in scripts), scripts
        page = client.get(f"/courses/{course_id}/agenda").text
        assert all(str(escape(s)) in page for s in scripts)
    finally:
        app.state.db.close()
