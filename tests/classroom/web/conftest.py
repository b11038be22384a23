"""Shared fixtures of the web app's tests: the app on SQLite in tmp_path with the scripted
model, signed-in clients, a published course, and the helpers as fixtures (a conftest cannot
be imported under --import-mode=importlib): `csrf_token(client, path) -> str`,
`signup_as(client, email, role, name) -> client`, `password` (every test account's),
`post_while_locked(client, path, data, token)`."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lmforge.classroom.web import WebSettings, create_app

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def _csrf_token(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page hands this client (its cookie is set by the same GET)."""
    page = client.get(path)
    found = _CSRF.search(page.text)
    assert found, f"no csrf token on {path} ({page.status_code})"
    return found.group(1)


def _signup(client: TestClient, email: str, role: str = "teacher", name: str = "") -> TestClient:
    """Sign `client` up (and so in) as a new account."""
    token = _csrf_token(client, "/signup")
    reply = client.post(
        "/signup",
        data={
            "email": email,
            "name": name or email.split("@")[0],
            "password": PASSWORD,
            "role": role,
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    return client


@pytest.fixture
def csrf_token() -> Callable[..., str]:
    return _csrf_token


@pytest.fixture
def signup_as() -> Callable[..., TestClient]:
    return _signup


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def web_settings(tmp_path: Path) -> WebSettings:
    return WebSettings(
        db_url=f"sqlite:///{tmp_path / 'web.db'}",
        model="scripted",
        data_dir=tmp_path / "data",
        secret="test-secret-" + "x" * 32,
        worker=False,
        isolated_ingest=False,
        prepare_describe="extract",
        prepare_outline="rule",
        # Cheap argon2id for the many sign-ups of the tests; test_auth checks the default cost.
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )


@pytest.fixture
def app(web_settings: WebSettings) -> Iterator[FastAPI]:
    application = create_app(web_settings)
    yield application
    application.state.db.close()


@pytest.fixture
def make_client(app: FastAPI) -> Callable[[], TestClient]:
    """A new browser (its own cookie jar) on the same app."""
    return lambda: TestClient(app, base_url="http://testserver")


@pytest.fixture
def client(make_client: Callable[[], TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def teacher_client(make_client: Callable[[], TestClient]) -> TestClient:
    return _signup(make_client(), "teacher@example.org", "teacher", "Ada Teacher")


@pytest.fixture
def student_client(make_client: Callable[[], TestClient]) -> TestClient:
    return _signup(make_client(), "student@example.org", "student", "Sam Student")


@pytest.fixture
def deck_pdf(tmp_path: Path) -> Path:
    """A real three-page PDF (one line of text per page)."""
    from helpers import text_pdf

    return text_pdf(tmp_path / "photosynthesis.pdf", ("Light", "Chlorophyll", "Sugar"))


def _upload(client: TestClient, deck: Path, title: str = "Photosynthesis") -> str:
    """Upload `deck` as a new course; returns the course id (from the redirect)."""
    token = _csrf_token(client, "/courses/new")
    with deck.open("rb") as fh:
        reply = client.post(
            "/courses/new",
            data={"title": title, "csrf_token": token},
            files={"deck": (deck.name, fh, "application/pdf")},
            follow_redirects=False,
        )
    assert reply.status_code == 303, reply.text
    return reply.headers["location"].rsplit("/", 1)[-1]


@pytest.fixture
def upload() -> Callable[..., str]:
    """`upload(client, deck_path, title) -> course id` (queued; run `run_pending(app)`)."""
    return _upload


@pytest.fixture
def published_course(app: FastAPI, teacher_client: TestClient, deck_pdf: Path) -> dict:
    """A course uploaded by `teacher_client`, prepared with the scripted model and published:
    {"id", "code", "lecture_id"}."""
    from lmforge.classroom.web.models import Course
    from lmforge.classroom.web.worker import run_pending

    course_id = _upload(teacher_client, deck_pdf)
    assert run_pending(app) == 1
    token = _csrf_token(teacher_client, f"/courses/{course_id}")
    reply = teacher_client.post(
        f"/courses/{course_id}/publish", data={"csrf_token": token}, follow_redirects=False
    )
    assert reply.status_code == 303, reply.text
    with app.state.db.session() as s:
        course = s.get(Course, course_id)
        assert course is not None and course.status == "published", course and course.error
        return {"id": course.id, "code": course.code, "lecture_id": course.lecture_id}


LOCK_HOLD_S = 1.0


@pytest.fixture
def post_while_locked(app: FastAPI, web_settings: WebSettings) -> Callable[..., Any]:
    """`await post_while_locked(client, path, data, token)`: POST as `client`'s browser while
    another connection holds SQLite's write lock for `LOCK_HOLD_S`, and check that the server
    answered /healthz meanwhile (the request waits for the lock off the event loop: a wait
    on the loop stops the server, and the request holding the lock needs that loop to
    commit) and that the POST did wait for the lock. Returns the POST's reply."""

    async def post(client: TestClient, path: str, data: dict, token: str) -> httpx.Response:
        holder = sqlite3.connect(
            web_settings.db_url.removeprefix("sqlite:///"),
            isolation_level=None,
            check_same_thread=False,
        )
        holder.execute("BEGIN IMMEDIATE")
        released: list[float] = []

        def release() -> None:
            released.append(time.monotonic())
            holder.execute("ROLLBACK")

        timer = threading.Timer(LOCK_HOLD_S, release)
        cookies = {c.name: c.value for c in client.cookies.jar}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", cookies=cookies
        ) as browser:
            timer.start()
            try:
                headers = {"X-CSRF-Token": token}
                sent = asyncio.create_task(browser.post(path, data=data, headers=headers))
                await asyncio.sleep(0.2)
                assert (await browser.get("/healthz")).text == "ok"
                answered = time.monotonic()
                reply = await asyncio.wait_for(sent, 20)
                done = time.monotonic()
            finally:
                timer.join()
                holder.close()
        assert answered < released[0], "the event loop waited for the write lock"
        assert done >= released[0], "the POST did not wait for the lock: this tested nothing"
        return reply

    return post
