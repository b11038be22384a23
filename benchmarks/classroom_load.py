"""Load on the web classroom: N simulated students in concurrent sessions against a running
`lmforge classroom serve` on 127.0.0.1 with the scripted model, for a fixed time.

What it does: starts the server (SQLite in a temp dir by default; `--postgres` starts a
throwaway PostgreSQL cluster and serves from it), signs a teacher up, uploads a four-page PDF,
waits for prepare, publishes; then N students sign up, join by code and open their class's
event stream (SSE). During `--seconds`, each student posts a message every `--interval`
seconds (a unique token in each) and reads its stream; a post refused because a quiz
question is open is followed by an answer ("A"), as a learner would, so the class goes on. At
the end it waits a grace period for the streams to catch up and compares with the database.

What it reports:

- errors: transport failures and unexpected statuses (5xx, 4xx other than the two below);
  `409` (a finished class, an open quiz) and `429` (posting rate limit) are the app refusing
  a post on purpose and are counted apart, by the reply's reason;
- lost messages: accepted posts (200) without their `user_message` row in the database, rows
  not accepted by a client, posts whose echo never came back on the poster's stream, and
  shown rows in the database (speak, showFile, question, ...) when posting stopped that the
  stream had not delivered by the end of the grace period;
- duplicates: an event id received twice on one stream (Last-Event-ID must prevent it);
- latency p50/p95/max of a post (request to response), of the first streamed event (stream
  opened to first event) and of the echo (post sent to its own message on the stream).

Target: p95 of a post < 100 ms on SQLite. Under other load on the machine, run it shorter and
say so (the figures of a shared 2-core box are an upper bound).

    python benchmarks/classroom_load.py [--students 100] [--seconds 120] [--interval 3]
        [--workers 1] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PASSWORD = "load test password"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
SHOWN = ("showFile", "speak", "user_message", "question", "answer", "error")
KEEPALIVE_S = 30.0
"""How long a client keeps an idle connection: less than the server's (`serve.KEEP_ALIVE_S`,
75 s), so the client, not the server, closes an idle one (httpx's default, 5 s, was uvicorn's
default too, and a request now and then met a connection that the server was closing)."""
POST_TIMEOUT_S = 30.0
"""A post with no answer by then counts as an error (the stream's read has no timeout)."""
PG_BIN = Path(os.environ.get("LMFORGE_PG_BIN", "/usr/lib/postgresql/15/bin"))


# --- a deck, a server, a database --------------------------------------------------------------


def tiny_pdf(path: Path, pages: tuple[str, ...]) -> Path:
    """A valid PDF with one line of Helvetica per page (our own minimal writer)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for text in pages:
        page_no, content_no = len(objects) + 1, len(objects) + 2
        kids.append(f"{page_no} 0 R")
        stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_no} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def postgres_cluster(root: Path) -> Iterator[str]:
    """A throwaway PostgreSQL cluster (initdb in `root`, as `postgres` when we are root)."""
    bindir = PG_BIN if (PG_BIN / "initdb").exists() else Path(shutil.which("initdb") or "").parent
    if not (bindir / "initdb").exists():
        raise SystemExit(f"--postgres: no initdb in {PG_BIN} or on PATH (set LMFORGE_PG_BIN)")
    prefix: list[str] = []
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data, port = root / "pgdata", free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*prefix, *args], cwd=root, capture_output=True, timeout=120)
        if done.returncode:
            tail = done.stderr.decode(errors="replace")[-300:]
            raise SystemExit(f"--postgres: {Path(args[0]).name} failed: {tail}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", "lmforge", "--auth=trust", "--no-sync")
    opts = f"-k {root} -p {port} -h 127.0.0.1 -F -c max_connections=300"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "pg.log"), "-w", "-o", opts,
        "start")  # fmt: skip
    try:
        from sqlalchemy import create_engine, text

        admin = create_engine(
            f"postgresql+psycopg://lmforge@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE classroom"))
        admin.dispose()
        yield f"postgresql+psycopg://lmforge@127.0.0.1:{port}/classroom"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                        "stop"], cwd=root, capture_output=True, timeout=120)  # fmt: skip


@contextmanager
def classroom_server(
    root: Path, db_url: str, workers: int, profile: bool = False, model_delay: float = 0.0
) -> Iterator[tuple[str, int]]:
    """`lmforge classroom serve` with the scripted model on a free port; yields its URL and
    its process group (the server and its workers), whose CPU time the report divides by
    the accepted posts. `profile`: each server process samples its stacks into
    `root/profile.<pid>` (`web.sampler`)."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "lmforge"), "classroom", "serve", "--host", "127.0.0.1",
        "--port", str(port), "--db", db_url, "--model", "scripted", "--workers", str(workers),
        "--data-dir", str(root / "data"), "--describe", "extract", "--outline", "rule",
        "--log-level", "warning", "--scripted-delay-s", str(model_delay),
    ]  # fmt: skip
    log = (root / "server.log").open("wb")
    env = dict(os.environ)
    if profile:
        env["LMFORGE_WEB_PROFILE"] = str(root / "profile")
    proc = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited: see {root / 'server.log'}")
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer within 120 s")
            time.sleep(0.2)
        yield url, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


# --- clients -----------------------------------------------------------------------------------


async def csrf(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    found = CSRF.search(page.text)
    if not found:
        raise RuntimeError(f"no CSRF token on {path} ({page.status_code})")
    return found.group(1)


async def signup(client: httpx.AsyncClient, email: str, role: str) -> None:
    token = await csrf(client, "/signup")
    data = {"email": email, "name": email.split("@")[0], "password": PASSWORD, "role": role,
            "csrf_token": token}  # fmt: skip
    reply = await client.post("/signup", data=data)
    if reply.status_code != 303:
        raise RuntimeError(f"signup of {email}: {reply.status_code} {reply.text[:200]}")


async def publish_course(url: str, deck: Path) -> str:
    """Teacher: sign up, upload, wait for prepare, publish; returns the join code."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await signup(client, "teacher@load.test", "teacher")
        token = await csrf(client, "/courses/new")
        with deck.open("rb") as fh:
            files = {"deck": (deck.name, fh, "application/pdf")}
            reply = await client.post(
                "/courses/new", data={"title": "Load test", "csrf_token": token}, files=files
            )
        if reply.status_code != 303:
            raise RuntimeError(f"upload: {reply.status_code} {reply.text[:300]}")
        course = reply.headers["location"]
        deadline = time.monotonic() + 180
        while True:
            status = (await client.get(course + "/status")).json()
            if status["status"] == "ready":
                break
            if status["status"] == "failed" or time.monotonic() > deadline:
                raise RuntimeError(f"prepare did not finish: {status}")
            await asyncio.sleep(0.5)
        token = await csrf(client, course)
        reply = await client.post(course + "/publish", data={"csrf_token": token})
        page = await client.get(course)
        code = re.search(r'id="join-code">([A-Z0-9]{8})<', page.text)
        if reply.status_code != 303 or not code:
            raise RuntimeError(f"publish: {reply.status_code}")
        return code.group(1)


@dataclass
class Student:
    n: int
    client: httpx.AsyncClient
    sid: str = ""
    token: str = ""
    sent: dict[str, float] = field(default_factory=dict)
    """Accepted posts: content -> time the post was sent."""
    posted: dict[str, float] = field(default_factory=dict)
    """Every post, set before it is sent (its echo may arrive before the reply does)."""
    received: dict[int, str] = field(default_factory=dict)
    duplicates: int = 0
    first_event_s: float | None = None
    echo_s: list[float] = field(default_factory=list)


@dataclass
class Tally:
    post_s: list[float] = field(default_factory=list)
    """Every post's reply time, refusals (409/429) included."""
    accepted_s: list[float] = field(default_factory=list)
    """Reply times of the accepted posts (200): what the target is about."""
    quiz_s: list[float] = field(default_factory=list)
    """Reply times of the quiz answers given when a post found a question open."""
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)
    """Why posts were refused (409/429): the reply's detail -> count."""
    shown_at_stop: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    server_cpu_s: float = 0.0
    """CPU seconds of the server's processes while the students posted."""

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


async def enrol(url: str, n: int, code: str, gate: asyncio.Semaphore) -> Student:
    async with gate:
        limits = httpx.Limits(max_connections=4, keepalive_expiry=KEEPALIVE_S)
        client = httpx.AsyncClient(
            base_url=url, timeout=httpx.Timeout(30, read=None), limits=limits
        )
        await signup(client, f"student{n}-{uuid.uuid4().hex[:6]}@load.test", "student")
        token = await csrf(client, "/join")
        reply = await client.post("/join", data={"code": code, "csrf_token": token})
        if reply.status_code != 303 or "/class/" not in reply.headers.get("location", ""):
            raise RuntimeError(f"join: {reply.status_code} {reply.text[:200]}")
        sid = reply.headers["location"].rsplit("/", 1)[-1]
        return Student(n=n, client=client, sid=sid, token=await csrf(client, "/my"))


async def listen(student: Student, stop: asyncio.Event, tally: Tally) -> None:
    """Read the class's event stream; reconnect with Last-Event-ID if it drops."""
    last: int | None = None
    while not stop.is_set():
        opened = time.perf_counter()
        headers = {"Accept": "text/event-stream"}
        if last is not None:
            headers["Last-Event-ID"] = str(last)
        try:
            async with student.client.stream(
                "GET", f"/class/{student.sid}/events", headers=headers
            ) as reply:
                if reply.status_code != 200:
                    tally.errors.append(f"stream {reply.status_code}")
                    await asyncio.sleep(1)
                    continue
                event: dict[str, str] = {}
                async for line in reply.aiter_lines():
                    if line:
                        key, _, value = line.partition(":")
                        event[key] = value.lstrip()
                        continue
                    if student.first_event_s is None and event:
                        student.first_event_s = time.perf_counter() - opened
                    if "id" in event and event.get("event", "message") == "message":
                        last = _on_message(student, event, last)
                    event = {}
                    if stop.is_set():
                        return
        except (httpx.HTTPError, asyncio.CancelledError) as exc:
            if stop.is_set() or isinstance(exc, asyncio.CancelledError):
                return
            tally.errors.append(f"stream {type(exc).__name__}: {exc}"[:120])
            await asyncio.sleep(0.5)


def _on_message(student: Student, event: dict[str, str], last: int | None) -> int:
    import json

    mid = int(event["id"])
    if mid in student.received:
        student.duplicates += 1
    data = json.loads(event.get("data", "{}"))
    content = data.get("content", "")
    student.received[mid] = content
    if content in student.posted and data.get("action") == "user_message":
        student.echo_s.append(time.perf_counter() - student.posted[content])
    return max(mid, last or 0)


async def chatter(student: Student, until: float, interval: float, tally: Tally) -> None:
    """Post a unique message every `interval` s (staggered start) until `until`."""
    await asyncio.sleep(interval * (zlib.crc32(str(student.n).encode()) % 1000) / 1000)
    k = 0
    while time.perf_counter() < until:
        k += 1
        text = f"question {student.n}-{k}: what does this slide mean? [{uuid.uuid4().hex[:8]}]"
        sent = student.posted[text] = time.perf_counter()
        try:
            reply = await student.client.post(
                f"/class/{student.sid}/message",
                data={"text": text},
                headers={"X-CSRF-Token": student.token, "Accept": "application/json"},
                timeout=POST_TIMEOUT_S,
            )
        except httpx.HTTPError as exc:
            tally.errors.append(f"post {type(exc).__name__}: {exc}"[:120])
        else:
            tally.post_s.append(time.perf_counter() - sent)
            tally.count(reply.status_code)
            if reply.status_code == 200:
                student.sent[text] = sent
                tally.accepted_s.append(time.perf_counter() - sent)
            elif reply.status_code in (409, 429):
                detail = _detail(reply)
                why = f"{reply.status_code} {detail}"
                tally.refusals[why] = tally.refusals.get(why, 0) + 1
                if "quiz question is open" in detail:  # as a learner would: answer, go on
                    await answer_quiz(student, tally)
            else:
                tally.errors.append(f"post {reply.status_code} {reply.text[:80]}")
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - sent)))


async def answer_quiz(student: Student, tally: Tally) -> None:
    """Answer the open question "A" (right or wrong does not matter here), so that the class
    goes on instead of refusing every later post."""
    sent = time.perf_counter()
    try:
        reply = await student.client.post(
            f"/class/{student.sid}/quiz",
            data={"answer": "A"},
            headers={"X-CSRF-Token": student.token, "Accept": "application/json"},
            timeout=POST_TIMEOUT_S,
        )
    except httpx.HTTPError as exc:
        tally.errors.append(f"quiz {type(exc).__name__}: {exc}"[:120])
        return
    tally.quiz_s.append(time.perf_counter() - sent)
    if reply.status_code not in (200, 409):  # 409: the question closed meanwhile
        tally.errors.append(f"quiz {reply.status_code} {reply.text[:80]}")


def _detail(reply: httpx.Response) -> str:
    try:
        return str(reply.json().get("detail", ""))[:80]
    except ValueError:
        return reply.text[:80]


# --- the run -----------------------------------------------------------------------------------


def database_rows(db_url: str, sids: list[str]) -> dict[str, list[tuple[int, str, str]]]:
    """(id, action, content) of every message row of each session, from the database."""
    from sqlalchemy import create_engine, select

    from lmforge.classroom.store.models import Message

    engine = create_engine(db_url)
    out: dict[str, list[tuple[int, str, str]]] = {sid: [] for sid in sids}
    with engine.connect() as conn:
        query = select(Message.session_id, Message.id, Message.action, Message.content)
        for sid, mid, action, content in conn.execute(query.where(Message.session_id.in_(sids))):
            out[sid].append((mid, action, content))
    engine.dispose()
    return out


def group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds of every live process in process group `pgid`, from
    /proc (0.0 where /proc is missing). Far less sensitive to other load than latency."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        if int(fields[2]) == pgid:  # fields[0] is the state; 2: pgrp, 11/12: utime/stime
            total += int(fields[11]) + int(fields[12])
    return total / tick


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(values: list[float]) -> str:
    if not values:
        return "n=0"
    return (
        f"n={len(values)} p50 {1000 * pct(values, 0.5):.1f} ms, p95 {1000 * pct(values, 0.95):.1f}"
        f" ms, max {1000 * max(values):.1f} ms"
    )


async def drive(
    url: str, pgid: int, deck: Path, args: argparse.Namespace
) -> tuple[list[Student], Tally]:
    code = await publish_course(url, deck)
    gate = asyncio.Semaphore(args.setup_concurrency)
    t0 = time.perf_counter()
    students = await asyncio.gather(*(enrol(url, n, code, gate) for n in range(args.students)))
    print(f"setup: {len(students)} students signed up and joined in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    tally, stop = Tally(), asyncio.Event()
    listeners = [asyncio.create_task(listen(s, stop, tally)) for s in students]
    until = time.perf_counter() + args.seconds
    cpu0 = group_cpu_s(pgid)
    await asyncio.gather(*(chatter(s, until, args.interval, tally) for s in students))
    tally.server_cpu_s = group_cpu_s(pgid) - cpu0
    # the rows that exist when posting stops are the ones every stream must show after the
    # grace period; the class goes on speaking after that, and rows written later (even
    # after the streams close, before the server stops) are not the streams' to show
    sids = [s.sid for s in students]
    tally.shown_at_stop = await asyncio.to_thread(database_rows, args.db_url, sids)
    await asyncio.sleep(args.grace)
    stop.set()
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    for s in students:
        await s.client.aclose()
    return students, tally


def report(students: list[Student], tally: Tally, rows: dict[str, list], args) -> int:  # noqa: ANN001
    accepted = sum(len(s.sent) for s in students)
    lost_db = lost_echo = lost_stream = unexpected = 0
    for s in students:
        learner = {c for _, a, c in rows[s.sid] if a == "user_message"}
        lost_db += len(set(s.sent) - learner)
        unexpected += len(learner - set(s.sent))
        lost_echo += len(set(s.sent) - set(s.received.values()))
        at_stop = tally.shown_at_stop.get(s.sid, [])
        lost_stream += len({m for m, a, _ in at_stop if a in SHOWN} - set(s.received))
    duplicates = sum(s.duplicates for s in students)
    first = [s.first_event_s for s in students if s.first_event_s is not None]
    echo = [e for s in students for e in s.echo_s]
    posts = sum(tally.statuses.values())
    print(f"students {len(students)}, {args.seconds:.0f} s, a post every {args.interval} s each, "
          f"{args.workers} worker(s), database {args.backend}, "
          f"scripted reply delay {args.model_delay} s")  # fmt: skip
    statuses = dict(sorted(tally.statuses.items()))
    print(f"posts: {posts} sent, {accepted} accepted, statuses {statuses}"
          f" (409 = refused on purpose, 429 = rate limit)")  # fmt: skip
    for why, n in sorted(tally.refusals.items(), key=lambda kv: -kv[1]):
        print(f"  refused {n}: {why}")
    print(f"errors: {len(tally.errors)}" + (f" e.g. {sorted(set(tally.errors))[:5]}"
                                             if tally.errors else ""))  # fmt: skip
    print(f"lost: {lost_db} accepted posts missing in the database, {unexpected} learner rows "
          f"no client sent, {lost_echo} posts never echoed on the stream, {lost_stream} shown "
          f"rows never streamed; duplicates on streams: {duplicates}")  # fmt: skip
    rows_total = sum(len(r) for r in rows.values())
    received = sum(len(s.received) for s in students)
    print(f"database: {rows_total} message rows in the {len(students)} sessions; "
          f"streams received {received} events with ids")  # fmt: skip
    per_post = 1000 * tally.server_cpu_s / accepted if accepted else float("nan")
    print(f"server CPU while posting: {tally.server_cpu_s:.1f} s, {per_post:.1f} ms per accepted "
          f"post (drive steps and stream reads included)")  # fmt: skip
    print(f"post latency, accepted posts: {ms(tally.accepted_s)}")
    print(f"post latency, every reply (refusals included): {ms(tally.post_s)}")
    if tally.quiz_s:
        print(f"quiz answers (a post found a question open): {ms(tally.quiz_s)}")
    print(f"first streamed event: {ms(first)}")
    print(f"echo (post sent -> own message on the stream): {ms(echo)}")
    p95 = 1000 * pct(tally.accepted_s, 0.95) if tally.accepted_s else float("nan")
    target = "met" if p95 < 100 else "NOT met"
    print(f"target p95 of an accepted post < 100 ms: {target} ({p95:.1f} ms)")
    bad = tally.errors or lost_db or unexpected or lost_echo or lost_stream or duplicates
    return 1 if bad else 0


def _exit_on_term(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # runs the `finally`s: the server and the cluster stop


def main() -> int:
    signal.signal(signal.SIGTERM, _exit_on_term)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument(
        "--interval",
        type=float,
        default=3.0,
        help="seconds between two posts of one student (rate limit: 30/min)",
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--model-delay",
        type=float,
        default=0.0,
        help="seconds each scripted agent reply takes (serve's --scripted-delay-s): 0 lets "
        "every class step as fast as the server's CPU allows, the heaviest case; about 1 s "
        "is a short reply of a model on a GPU server",
    )
    parser.add_argument(
        "--pages",
        type=int,
        default=16,
        help="slides of the deck: enough that a class posting every few seconds does not "
        "finish before the run ends (posts to a finished class are refused)",
    )
    parser.add_argument("--postgres", action="store_true", help="serve from a throwaway cluster")
    parser.add_argument("--setup-concurrency", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the run's temp folder")
    parser.add_argument(
        "--profile",
        type=Path,
        help="copy each server process's stack-sample counts here (folder; costs server CPU)",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=5.0,
        help="seconds the streams get to catch up after the last post",
    )
    args = parser.parse_args()
    args.backend = "postgresql" if args.postgres else "sqlite"
    root = Path(tempfile.mkdtemp(prefix="lmforge-load-"))
    topics = ("Photosynthesis", "Light", "Chlorophyll", "Sugar", "Water", "Leaves")
    pages = tuple(f"{topics[i % len(topics)]} {i + 1}" for i in range(args.pages))
    deck = tiny_pdf(root / "deck.pdf", pages)
    try:
        with _database(root, args.postgres) as db_url:
            args.db_url = db_url
            server = classroom_server(root, db_url, args.workers, args.profile, args.model_delay)
            with server as (url, pgid):
                students, tally = asyncio.run(drive(url, pgid, deck, args))
            rows = database_rows(db_url, [s.sid for s in students])
        status = report(students, tally, rows, args)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            for found in root.glob("profile.*"):
                shutil.copy(found, args.profile / found.name)
        if status:
            _server_log_tail(root / "server.log")
        return status
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def _server_log_tail(path: Path, lines: int = 15) -> None:
    """The server's last error lines, so a failed run says why."""
    text = path.read_text(errors="replace").splitlines() if path.exists() else []
    errors = [line for line in text if "Error" in line or "error" in line]
    print(f"server log ({path.name}), last error lines:")
    for line in (errors or text)[-lines:]:
        print("  " + line[:200])


@contextmanager
def _database(root: Path, postgres: bool) -> Iterator[str]:
    if postgres:  # its own temp dir: the run's is 0700 root's, which `postgres` cannot enter
        pg_root = Path(tempfile.mkdtemp(prefix="lmforge-load-pg-"))
        try:
            with postgres_cluster(pg_root) as url:
                yield url
        finally:
            shutil.rmtree(pg_root, ignore_errors=True)
    else:
        yield f"sqlite:///{root / 'classroom.db'}"


if __name__ == "__main__":
    sys.exit(main())
