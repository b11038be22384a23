"""The class's event stream over a real uvicorn on 127.0.0.1 with httpx streaming: the stream
wakes the class, a reconnect with Last-Event-ID loses and repeats nothing, an HTML payload
travels as data (JSON text), and a stranger's stream is refused."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from lmforge.classroom.store.models import Message
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.classroom.teach.simulated import class_responder
from lmforge.classroom.web.live import LiveDriver
from lmforge.classroom.web.sample import publish_sample_course
from lmforge.llm.scripted import ScriptedLLM

PASSWORD = "correct horse battery"
CODE = "PHOTO123"


def _serve(app: FastAPI, stack: list) -> str:
    app.state.live = LiveDriver(
        app.state.db, ScriptedLLM(class_responder), config=TeachConfig(wait_s=3600)
    )
    app.state.sse_poll_s = 0.05
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started, "uvicorn did not start"
    stack.append((srv, thread))
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def servers(app: FastAPI, web_settings) -> Iterator[tuple[str, str]]:
    """Two servers (two processes' worth of app: own driver, own pool) on one database."""
    from lmforge.classroom.web import create_app

    stack: list = []
    other = create_app(web_settings)
    yield _serve(app, stack), _serve(other, stack)
    for srv, thread in stack:
        srv.should_exit = True
        thread.join(10)
    other.state.db.close()


def token(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)


def student(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=20)
    data = {"email": email, "name": "S", "password": PASSWORD, "role": "student"}
    reply = client.post("/signup", data={**data, "csrf_token": token(client, "/signup")})
    assert reply.status_code in (200, 303), reply.text
    return client


def read_events(
    client: httpx.Client,
    sid: str,
    headers: dict,
    until,
    limit_s: float = 15.0,
    query: str = "",
) -> list[dict]:
    """Events of one connection until `until(events)` holds; each is {id?, event, data}."""
    events: list[dict] = []
    current: dict = {}
    deadline = time.monotonic() + limit_s
    with client.stream("GET", f"/class/{sid}/events{query}", headers=headers) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        for line in reply.iter_lines():
            if line.startswith("id: "):
                current["id"] = int(line[4:])
            elif line.startswith("event: "):
                current["event"] = line[7:]
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
            elif line == "" and current:
                events.append(current)
                current = {}
                if until(events):
                    break
            assert time.monotonic() < deadline, f"stream stalled after {events}"
    return events


def waiting(events: list[dict]) -> bool:
    statuses = [e["data"] for e in events if e.get("event") == "status"]
    return bool(statuses) and statuses[-1]["waiting"] == "message" and not statuses[-1]["busy"]


def db_ids(app: FastAPI, sid: str) -> list[int]:
    with app.state.db.read() as s:
        return list(s.scalars(select(Message.id).where(Message.session_id == sid)))


def test_reconnect_with_last_event_id_loses_and_repeats_nothing(app, servers):
    """Amy streams from server A, posts while disconnected, and reconnects to server B."""
    server, other = servers
    publish_sample_course(app.state.db, CODE)
    amy = student(server, "amy@example.org")
    reply = amy.post("/join", data={"code": CODE, "csrf_token": token(amy, "/join")})
    assert reply.status_code == 303, reply.text
    sid = reply.headers["location"].rsplit("/", 1)[-1]

    first = read_events(amy, sid, {}, waiting)  # the stream itself starts the class
    seen = [e["id"] for e in first if e.get("event") == "message"]
    speakers = [e["data"]["speaker"] for e in first if e.get("event") == "message"]
    assert speakers == ["system", "Teacher"]

    payload = "<img src=x onerror=alert(1)> why?"
    reply = amy.post(
        f"/class/{sid}/message",
        data={"text": payload},
        headers={"X-CSRF-Token": token(amy, f"/class/{sid}"), "Accept": "application/json"},
    )
    assert reply.status_code == 200, reply.text

    amy_b = httpx.Client(base_url=other, timeout=20, cookies=amy.cookies)
    second = read_events(
        amy_b, sid, {"Last-Event-ID": str(seen[-1])}, lambda ev: waiting(ev) and len(ev) > 2
    )
    more = [e for e in second if e.get("event") == "message"]
    assert more and all(e["id"] > seen[-1] for e in more)
    assert more[0]["data"]["content"] == payload and more[0]["data"]["role"] == "learner"
    ids = seen + [e["id"] for e in more]
    assert ids == sorted(set(ids)) == db_ids(app, sid)  # nothing lost, nothing twice

    # a fresh page load resumes after the id it rendered (?after=N, no header)
    after = re.search(r'data-after="(\d+)"', amy.get(f"/class/{sid}").text).group(1)
    assert int(after) == ids[-1]
    has_status = lambda ev: any(e.get("event") == "status" for e in ev)  # noqa: E731
    again = read_events(amy, sid, {}, has_status, query=f"?after={after}")
    assert [e["id"] for e in again if e.get("event") == "message"] == []

    bob = student(server, "bob@example.org")
    assert bob.get(f"/class/{sid}/events").status_code == 404
    anonymous = httpx.Client(base_url=server, timeout=10)
    assert anonymous.get(f"/class/{sid}/events").status_code == 401
