"""The student side with the scripted class model: join by code, the classroom page, posting
(message, continue, quiz, mode, pause/resume), activity and quiz records, ownership, CSRF,
escaping."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from lmforge.classroom.store import ClassroomStore
from lmforge.classroom.store.models import Message, QuizAnswer
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.classroom.teach.simulated import class_responder
from lmforge.classroom.web.live import LiveDriver, controls
from lmforge.classroom.web.models import Activity, CourseAgent, Enrollment
from lmforge.classroom.web.sample import publish_sample_course
from lmforge.llm.scripted import ScriptedLLM

CODE = "PHOTO123"


def make_course(app: FastAPI, code: str = CODE, agents: list[str] | None = None) -> str:
    """A published course of the built-in sample lecture (3 slides, a quiz on the last)."""
    return publish_sample_course(
        app.state.db, code, title="Photosynthesis <b>101</b>", agents=agents
    )


@pytest.fixture
def live_app(app: FastAPI) -> FastAPI:
    app.state.live = LiveDriver(
        app.state.db, ScriptedLLM(class_responder), config=TeachConfig(wait_s=3600)
    )
    return app


def join(client: TestClient, csrf_token, code: str = CODE) -> str:
    token = csrf_token(client, "/join")
    reply = client.post("/join", data={"code": code, "csrf_token": token}, follow_redirects=False)
    assert reply.status_code == 303, reply.text
    return reply.headers["location"].rsplit("/", 1)[-1]


def token_of(client: TestClient, sid: str) -> str:
    page = client.get(f"/class/{sid}")
    assert page.status_code == 200, page.text
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)


def post(client: TestClient, sid: str, verb: str, **data):
    token = getattr(client, "csrf", None) or token_of(client, sid)
    client.csrf = token  # one token per signed-in browser: fetch it once
    return client.post(f"/class/{sid}/{verb}", data=data, headers={"X-CSRF-Token": token})


def messages(app: FastAPI, sid: str) -> list[tuple[str, str, str]]:
    with app.state.db.read() as s:
        rows = s.scalars(select(Message).where(Message.session_id == sid).order_by(Message.id))
        return [(m.speaker_id, m.action, m.content) for m in rows]


async def drive(app: FastAPI, sid: str) -> int:
    return await app.state.live.drive(sid)


def test_join_reuses_one_session_and_a_wrong_code_is_refused(live_app, student_client, csrf_token):
    make_course(live_app)
    sid = join(student_client, csrf_token)
    assert join(student_client, csrf_token) == sid  # a second join reopens the same class
    token = csrf_token(student_client, "/join")
    bad = student_client.post("/join", data={"code": "NOPE0000", "csrf_token": token})
    assert bad.status_code == 404 and "no open course" in bad.text
    my = student_client.get("/my")
    assert f"/class/{sid}" in my.text and "Photosynthesis &lt;b&gt;101&lt;/b&gt;" in my.text
    with live_app.state.db.read() as s:
        assert len(s.scalars(select(Enrollment)).all()) == 1
        kinds = [a.kind for a in s.scalars(select(Activity).order_by(Activity.id))]
    assert kinds.count("join") == 1


async def test_a_new_sign_in_reopens_the_class_where_it_stood(
    live_app, student_client, make_client, csrf_token, password
):
    make_course(live_app)
    sid = join(student_client, csrf_token)
    await drive(live_app, sid)
    shown = messages(live_app, sid)
    other = make_client()  # another browser: sign in again
    token = csrf_token(other, "/login")
    login = {"email": "student@example.org", "password": password, "csrf_token": token}
    assert other.post("/login", data=login, follow_redirects=False).status_code == 303
    assert f"/class/{sid}" in other.get("/my").text
    page = other.get(f"/class/{sid}")
    assert shown[1][2] in page.text and messages(live_app, sid) == shown  # nothing redone
    with live_app.state.db.read() as s:
        last = max(s.scalars(select(Message.id).where(Message.session_id == sid)))
    assert f'data-after="{last}"' in page.text  # the stream goes on after the last shown


async def test_a_lecture_runs_through_message_quiz_and_end(live_app, student_client, csrf_token):
    make_course(live_app)
    sid = join(student_client, csrf_token)
    await drive(live_app, sid)
    assert messages(live_app, sid)[:2] == [
        ("system", "showFile", "Slide 1"),
        ("Teacher", "speak", messages(live_app, sid)[1][2]),
    ]
    page = student_client.get(f"/class/{sid}")
    assert "Slide 1" in page.text and f"/class/{sid}/slide/1.png" in page.text

    reply = post(student_client, sid, "message", text="Why <script>alert(1)</script> sugar?")
    assert reply.status_code == 200, reply.text  # the drive ran as the request's background task
    log = messages(live_app, sid)
    assert ("Learner", "user_message", "Why <script>alert(1)</script> sugar?") in log
    assert log[-1][0] == "Teacher"  # the scripted director picks the teacher for a question
    page = student_client.get(f"/class/{sid}")
    assert "<script>alert(1)</script>" not in page.text
    assert "Why &lt;script&gt;alert(1)&lt;/script&gt; sugar?" in page.text

    continues = 0
    page = student_client.get(f"/class/{sid}")
    while 'name="answer"' not in page.text and continues < 8:
        # on to the quiz; a silent slide may get a Class Clown turn first (activation roll)
        reply = post(student_client, sid, "continue")
        assert reply.status_code == 200, reply.text
        continues += 1
        page = student_client.get(f"/class/{sid}")
    assert continues >= 3
    assert 'name="answer" value="A"' in page.text and "What do plants make" in page.text
    assert post(student_client, sid, "message", text="hi").status_code == 409  # quiz is open
    reply = post(student_client, sid, "quiz", answer="A")
    assert reply.status_code == 200 and reply.json()["correct"] is True
    with live_app.state.db.read() as s:
        answers = s.scalars(select(QuizAnswer).where(QuizAnswer.session_id == sid)).all()
        assert [(a.answer, a.correct) for a in answers] == [("A", True)]
        kinds = [a.kind for a in s.scalars(select(Activity).order_by(Activity.id))]
    assert kinds[-continues - 2 :] == ["message", *["continue"] * continues, "quiz"]
    assert messages(live_app, sid)[-2][1] == "answer"
    status = student_client.get(f"/class/{sid}")
    assert "The lecture is over." in status.text


async def test_mode_pause_resume_are_controls_in_the_database(live_app, student_client, csrf_token):
    make_course(live_app)
    sid = join(student_client, csrf_token)
    assert post(student_client, sid, "pause").json() == {"ok": True, "paused": True}
    assert await drive(live_app, sid) == 0  # paused: the driver does not step
    assert messages(live_app, sid) == []
    assert post(student_client, sid, "mode", mode="interactive").status_code == 200
    assert post(student_client, sid, "mode", mode="bogus").status_code == 400
    assert post(student_client, sid, "resume").status_code == 200  # drives in the background
    assert messages(live_app, sid)[0] == ("system", "showFile", "Slide 1")
    with live_app.state.db.read() as s:
        ctl = controls(s, sid)
        kinds = [a.kind for a in s.scalars(select(Activity).order_by(Activity.id))]
    assert ctl.mode == "interactive" and not ctl.paused and ctl.wake_at is None
    assert kinds[-3:] == ["pause", "mode", "resume"]


def test_posts_need_csrf_ownership_and_a_turn(live_app, make_client, signup_as, csrf_token):
    make_course(live_app)
    amy = signup_as(make_client(), "amy@example.org", "student")
    bob = signup_as(make_client(), "bob@example.org", "student")
    sid = join(amy, csrf_token)
    for verb in ("message", "continue", "quiz", "mode", "pause", "resume"):
        assert amy.post(f"/class/{sid}/{verb}", data={"text": "x"}).status_code == 403
    token = csrf_token(bob, "/my")
    for path in ("", "/slide/1.png", "/events"):
        assert bob.get(f"/class/{sid}{path}").status_code == 404
    for verb in ("message", "continue", "pause"):
        reply = bob.post(
            f"/class/{sid}/{verb}", data={"text": "x"}, headers={"X-CSRF-Token": token}
        )
        assert reply.status_code == 404
    # a post never waits for its turn: before the class has started it is recorded (and
    # streamed) at once, and the class's driver takes it into the lecture at its next step
    assert post(amy, sid, "message", text="hello?").status_code == 200
    assert ("Learner", "user_message", "hello?") in messages(live_app, sid)
    assert post(amy, sid, "message", text="   ").status_code == 400


def test_custom_agents_and_chosen_builtins_join_the_class(live_app, student_client, csrf_token):
    course_id = make_course(live_app, agents=["clown", "coach"])
    with live_app.state.db.session() as s:
        s.add(
            CourseAgent(
                course_id=course_id,
                key="coach",
                name="Coach <i>Kim</i>",
                persona="a sports coach",
                role_card="Cheers the learner on.",
            )
        )
    sid = join(student_client, csrf_token)
    state = ClassroomStore(live_app.state.db).load_session_state(sid)
    assert [a["name"] for a in state["agents"]] == ["Teacher", "Class Clown", "Coach <i>Kim</i>"]
    assert "a sports coach" in state["agents"][2]["instruction"]


def test_posting_is_rate_limited(live_app, student_client, csrf_token):
    make_course(live_app)
    sid = join(student_client, csrf_token)
    live_app.state.settings.post_limit = 2
    assert [post(student_client, sid, "pause").status_code for _ in range(3)] == [200, 200, 429]


async def test_with_model_scripted_the_class_runs_on_the_offline_provider(
    app, student_client, csrf_token
):
    """`--model scripted` (demo, load benchmark): agents answer through the engine's
    rule-based class model, so a question gets the teacher's reply."""
    from lmforge.classroom.web.live import driver

    make_course(app)
    sid = join(student_client, csrf_token)
    assert driver(app).llm is not app.state.llm
    await driver(app).drive(sid)
    assert post(student_client, sid, "message", text="Why sugar?").status_code == 200
    assert messages(app, sid)[-1] == (
        "Teacher",
        "speak",
        "Good point. Let us keep going with the lesson.",
    )


# an action waiting for SQLite's write lock ---------------------------------------------------

ACTIONS = {
    "quiz": {"answer": "A"},
    "continue": {},
    "mode": {"mode": "interactive"},
    "pause": {},
    "resume": {},
}


@pytest.mark.parametrize("verb", sorted(ACTIONS))
async def test_an_action_waiting_for_the_write_lock_leaves_the_server_answering(
    verb, live_app, student_client, csrf_token, post_while_locked
):
    make_course(live_app)
    sid = join(student_client, csrf_token)
    token = token_of(student_client, sid)
    reply = await post_while_locked(student_client, f"/class/{sid}/{verb}", ACTIONS[verb], token)
    assert reply.status_code in (200, 409), reply.text  # 409: no quiz is open yet
