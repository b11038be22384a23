"""`make demo`'s web classroom: serve the sample course, take one student through one slide.

Starts `lmforge classroom serve` (the scripted class, so it takes seconds) on a free 127.0.0.1
port with its own SQLite database, then acts as a student over HTTP, as a browser would: sign
up, join by the course code, open the class's event stream, ask a question, wait for an agent's
answer, press Continue. Writes what the stream delivered to OUT/transcript.jsonl and the counts
to OUT/summary.json, prints the URL, and stops the server.

    python examples/classroom/web_demo.py --out runs/classroom-web
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CODE = "DEMO0001"
QUESTION = "Why are leaves green?"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def publish(db_url: str) -> None:
    """The sample course (the engine's photosynthesis lecture), as a teacher would publish it."""
    from lmforge.classroom.store.db import open_database
    from lmforge.classroom.web.sample import publish_sample_course

    database = open_database(db_url)
    try:
        publish_sample_course(database, CODE, pages=2)
    finally:
        database.close()


@contextmanager
def server(out: Path, db_url: str) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "lmforge.cli", "classroom", "serve", "--port", str(port)]
    cmd += ["--db", db_url, "--model", "scripted", "--data-dir", str(out / "data")]
    cmd += ["--no-prepare-worker", "--log-level", "warning"]
    log = (out / "server.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: see {out / 'server.log'}")
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def token(client: httpx.Client, path: str) -> str:
    found = CSRF.search(client.get(path).text)
    if not found:
        raise SystemExit(f"no CSRF token on {path}")
    return found.group(1)


def join(client: httpx.Client) -> str:
    form = {"email": "student@demo.test", "name": "Demo Student", "role": "student"}
    form |= {"password": "demo password 123", "csrf_token": token(client, "/signup")}
    if client.post("/signup", data=form).status_code != 303:
        raise SystemExit("sign-up failed")
    reply = client.post("/join", data={"code": CODE, "csrf_token": token(client, "/join")})
    if reply.status_code != 303:
        raise SystemExit(f"join failed: {reply.status_code}")
    return reply.headers["location"].rsplit("/", 1)[-1]


def events(client: httpx.Client, sid: str) -> Iterator[tuple[str, dict]]:
    """(kind, data) of the class's event stream, one event at a time."""
    with client.stream("GET", f"/class/{sid}/events", timeout=httpx.Timeout(30)) as reply:
        kind, data = "message", ""
        for line in reply.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                data = line.split(":", 1)[1].strip()
            elif not line and data:
                yield kind, json.loads(data)
                kind, data = "message", ""


def lesson(client: httpx.Client, sid: str) -> tuple[list[dict], str | None]:
    """Listen until input opens, ask, listen for the answer, continue, listen for the next
    slide; returns the messages and who answered the question."""
    csrf = {"X-CSRF-Token": token(client, f"/class/{sid}"), "Accept": "application/json"}
    messages: list[dict] = []
    phase, answered_by, first_page = "listen", None, None
    for kind, data in events(client, sid):
        if kind == "message":
            messages.append(data)
            if phase == "asked" and data["role"] not in ("learner", "system"):
                answered_by = answered_by or data["speaker"]
            continue
        if kind != "status":
            continue
        first_page = first_page if first_page is not None else data.get("page")
        if data.get("finished") or (phase == "continued" and data.get("page") != first_page):
            break
        if data.get("waiting") != "message":
            continue
        if phase == "listen":
            client.post(f"/class/{sid}/message", data={"text": QUESTION}, headers=csrf)
            phase = "asked"
        elif phase == "asked" and answered_by:
            client.post(f"/class/{sid}/continue", headers=csrf)
            phase = "continued"
    return messages, answered_by


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/classroom-web"))
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{(out / 'classroom.db').resolve()}"
    publish(db_url)
    start = time.perf_counter()
    with server(out, db_url) as url, httpx.Client(base_url=url, timeout=30) as client:
        sid = join(client)
        messages, answered_by = lesson(client, sid)
    with (out / "transcript.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(m, ensure_ascii=False) + "\n" for m in messages)
    speakers = sorted({m["speaker"] for m in messages if m["role"] not in ("learner", "system")})
    summary = {"url": url, "code": CODE, "messages": len(messages), "speakers": speakers,
               "question": QUESTION, "answered_by": answered_by,
               "seconds": round(time.perf_counter() - start, 1)}  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    for m in messages:
        print(f"[{m['speaker']}] {m['content'][:100]}")
    print(f"served at {url} (stopped); join code {CODE}")
    print(f"messages: {len(messages)}; answered by: {answered_by or 'nobody'}")
    return 0 if answered_by else 1


if __name__ == "__main__":
    raise SystemExit(main())
