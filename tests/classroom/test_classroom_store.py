"""Classroom store on SQLite (always) and PostgreSQL (when the PG 15 binaries are present).

The PostgreSQL cluster is a throwaway one: initdb in a temp dir, started on a free 127.0.0.1
port, stopped at the end of the session. initdb refuses to run as root, so under root the
cluster runs as the `postgres` (or `nobody`) user through `runuser`; without either it skips.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import BaseModel, Field
from sqlalchemy import create_engine, inspect, text

import helpers
from lmforge.classroom.agenda import (
    Agenda,
    AgendaPage,
    AskQuestion,
    Question,
    ReadScript,
    ShowFile,
)
from lmforge.classroom.deck import Deck
from lmforge.classroom.store import ClassroomStore, Database, Identity, open_database
from lmforge.errors import InputError

PG_BIN = Path(os.environ.get("LMFORGE_PG_BIN", "/usr/lib/postgresql/15/bin"))


# -- PostgreSQL throwaway cluster ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_user() -> tuple[list[str], str | None]:
    """Command prefix to run the cluster as a non-root user, and that user (None: ourselves)."""
    if os.geteuid() != 0:
        return [], None
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root (initdb refuses root) and no runuser to drop privileges")
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return [runuser, "-u", name, "--"], name
    pytest.skip("running as root (initdb refuses root) and no postgres/nobody user to run as")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL binaries not found in {PG_BIN} (set LMFORGE_PG_BIN)")
    prefix, user = _pg_user()
    root = Path(tempfile.mkdtemp(prefix="lmforge-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data, port = root / "data", _free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], cwd=root, check=True, capture_output=True, timeout=120)

    try:
        run(
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "lmforge",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-w",
            "-o",
            f"-k {root} -p {port} -h 127.0.0.1 -F",
            "start",
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')[-300:]}")
    try:
        yield f"postgresql+psycopg://lmforge@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            cwd=root,
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database per test on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'classroom.db'}"
        return
    server = request.getfixturevalue("pg_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{server}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db(url: str) -> Iterator[Database]:
    database = open_database(url)
    yield database
    database.close()


@pytest.fixture
def store(db: Database) -> ClassroomStore:
    return ClassroomStore(db)


# -- sample data -------------------------------------------------------------------------------


def make_deck() -> Deck:
    return helpers.make_deck(
        3,
        name="intro",
        source="/decks/intro.pptx",
        title="Slide {i}",
        text="{title}\nBody {i} — ünïcode 中文",
        notes={2: "note"},
        images={i: Path(f"/tmp/p{i}.png") for i in (1, 2)},
    )


def make_agenda(prefix: str = "About") -> Agenda:
    question = Question(
        question="2+2?",
        question_type="single choice",
        selects=["3", "4"],
        answer=[1],
        reference="maths",
    )

    def page(i: int) -> AgendaPage:
        asks = [AskQuestion(question=question)] if i == 3 else []
        functions = [ShowFile(page=i), ReadScript(script=f"Script {i}."), *asks]
        return AgendaPage(index=i, description=f"{prefix} {i}", functions=functions)

    return helpers.make_agenda([1, ("Part", [2, 3])], deck="intro.pptx", page=page)


class FakeMessage(BaseModel):
    speaker: str
    role: str
    action: str = "speak"
    content: str
    function_idx: int | None = None


class FakeStatus(BaseModel):
    call: str
    phase: str = "UNREAD"
    is_done: bool = False


class FakeState(BaseModel):
    """What the engine's `teach/state.py` is expected to look like."""

    session_id: str
    lecture_id: str
    learner_id: str = "learner-1"
    mode: str = "interactive"
    activation: str = "high"
    agents: list[dict] = Field(default_factory=list)
    function_cursor: int = 0
    functions: dict[int, FakeStatus] = Field(default_factory=dict)
    messages: list[FakeMessage] = Field(default_factory=list)
    quiz_answers: list[dict] = Field(default_factory=list)
    rng_seed: int = 7


# -- schema ------------------------------------------------------------------------------------


def test_store_migrates_from_empty_and_matches_models(url: str) -> None:
    database = open_database(url, upgrade=False)
    assert database.current_revision() is None
    assert "message" not in inspect(database.engine).get_table_names()
    database.upgrade()
    database.upgrade()  # idempotent
    assert database.current_revision() == "0003"
    assert database.schema_diff() == []  # `alembic check`: models and migrations agree
    names = {ix["name"] for ix in inspect(database.engine).get_indexes("message")}
    assert {"ix_message_session_time", "ix_message_session_id"} <= names
    from alembic import command

    config = database.alembic_config()
    command.downgrade(config, "base")
    assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
    database.close()


def test_store_migrations_are_packaged() -> None:
    from lmforge.classroom.store.db import migrations_dir

    assert (migrations_dir() / "env.py").is_file()
    assert (migrations_dir() / "versions" / "0001_initial.py").is_file()
    assert (migrations_dir() / "versions" / "0002_web.py").is_file()
    assert (migrations_dir() / "versions" / "0003_live_claims.py").is_file()


def test_store_sqlite_pragmas(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'a' / 'b.db'}")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.close()


def test_store_default_url_and_bad_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lmforge.classroom.store.db import default_url
    from lmforge.config import get_settings
    from lmforge.errors import ConfigError

    monkeypatch.setenv("LMFORGE_HOME", str(tmp_path))
    monkeypatch.delenv("LMFORGE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    assert default_url() == f"sqlite:///{tmp_path / 'classroom.db'}"
    store = ClassroomStore()
    assert (tmp_path / "classroom.db").is_file()
    store.close()
    monkeypatch.setenv("LMFORGE_DATABASE_URL", "sqlite:///" + str(tmp_path / "other.db"))
    get_settings.cache_clear()
    assert default_url().endswith("other.db")
    with pytest.raises(ConfigError, match="database_url"):
        open_database("not a url")
    with pytest.raises(ConfigError, match="database_url"):
        open_database("nosuchdialect://x")


# -- lectures ----------------------------------------------------------------------------------


def test_store_lecture_round_trip(store: ClassroomStore) -> None:
    deck, agenda = make_deck(), make_agenda()
    lecture_id = store.save_lecture(deck, agenda)
    loaded = store.load_lecture(lecture_id)
    assert loaded.deck == deck
    assert loaded.agenda == agenda and loaded.agenda_version == 1
    assert loaded.created_at.tzinfo is not None
    assert store.update_agenda(lecture_id, make_agenda("Edited")) == 2
    assert store.load_agenda(lecture_id).page(2).description == "Edited 2"
    assert store.load_agenda(lecture_id, 1) == agenda
    bare = store.save_lecture(deck)
    assert store.load_lecture(bare).agenda is None
    listed = {s.id: s for s in store.list_lectures()}
    assert listed[lecture_id].pages == 3 and listed[lecture_id].agenda_version == 2
    assert listed[bare].agenda_version is None


def test_store_unknown_ids_are_input_errors(store: ClassroomStore) -> None:
    with pytest.raises(InputError, match="no lecture 'nope'"):
        store.load_lecture("nope")
    with pytest.raises(InputError, match="no session 'nope'"):
        store.append_message("nope", "hi")
    with pytest.raises(InputError, match="no lecture"):
        store.create_session("nope")
    lecture_id = store.save_lecture(make_deck())
    with pytest.raises(InputError, match="no agenda"):
        store.load_agenda(lecture_id)
    with pytest.raises(InputError, match="agenda version 5"):
        store.load_lecture(lecture_id, agenda_version=5)
    with pytest.raises(InputError, match="already exists"):
        store.save_lecture(make_deck(), lecture_id=lecture_id)
    store.create_session(lecture_id, session_id="s")
    with pytest.raises(InputError, match="session 's' already exists"):
        store.create_session(lecture_id, session_id="s")
    with pytest.raises(InputError, match="learner 'a' already exists"):
        store.add_learner(learner_id="a") and store.add_learner(learner_id="a")


def test_store_delete_lecture_cascades(store: ClassroomStore) -> None:
    lecture_id = store.save_lecture(make_deck(), make_agenda())
    session_id = store.create_session(lecture_id, "amy")
    store.append_message(session_id, "hello")
    store.record_quiz_answer(session_id, 8, "B", True)
    store.delete_lecture(lecture_id)
    assert store.list_lectures() == [] and store.list_sessions() == []
    assert store.list_quiz_answers() == []


# -- sessions ----------------------------------------------------------------------------------


def test_store_session_logs_and_queries(store: ClassroomStore) -> None:
    lecture_id = store.save_lecture(make_deck(), make_agenda())
    learner = store.add_learner("Amy", profile={"major": "cs"})
    session_id = store.create_session(lecture_id, learner, agents=[{"name": "Teacher"}])
    other = store.create_session(lecture_id, "bob")
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    first = store.append_message(
        session_id,
        "Welcome",
        speaker_id="Teacher",
        speaker_type=Identity.AI_TEACHER,
        function_idx=1,
        page_index=1,
        meta={"voice": False},
        created_at=when,
    )
    second = store.append_message(
        session_id, "Hi!", action="user_answer", speaker_id=learner, speaker_type=Identity.STUDENT
    )
    store.append_message(other, "elsewhere")
    messages = store.list_messages(session_id)
    assert [m.id for m in messages] == [first, second]
    assert messages[0].created_at == when and messages[0].meta == {"voice": False}
    assert messages[0].speaker_type == Identity.AI_TEACHER and messages[0].page_index == 1
    assert [m.content for m in store.list_messages(session_id, after_id=first)] == ["Hi!"]
    store.record_quiz_answer(session_id, 8, "B", True)
    store.record_quiz_answer(other, 8, "A", False)
    assert [(a.answer, a.correct) for a in store.list_quiz_answers(learner_id=learner)] == [
        ("B", True)
    ]
    assert len(store.list_quiz_answers()) == 2
    summaries = store.list_sessions(lecture_id=lecture_id)
    assert {s.id for s in summaries} == {session_id, other}
    assert store.list_sessions(learner_id="bob")[0].id == other
    assert store.load_snapshot(session_id).agenda_version == 1


def test_store_session_state_round_trip(store: ClassroomStore) -> None:
    lecture_id = store.save_lecture(make_deck(), make_agenda())
    state = FakeState(
        session_id="s-1",
        lecture_id=lecture_id,
        agents=[{"name": "Teacher", "identity": 6, "instruction": "Teach."}],
        functions={0: FakeStatus(call="ShowFile", is_done=True), 1: FakeStatus(call="ReadScript")},
        messages=[FakeMessage(speaker="Teacher", role="teacher", content="Hello", function_idx=1)],
        quiz_answers=[{"function_idx": 8, "answer": "AB", "correct": False}],
    )
    assert store.save_session_state(state) == "s-1"
    assert store.load_session_state("s-1", FakeState) == state
    state.function_cursor = 1
    state.functions[1].phase = "WAITING_USER_INPUT"
    state.messages.append(FakeMessage(speaker="learner-1", role="user", content="Why?"))
    store.save_session_state(state)
    assert store.load_session_state("s-1", FakeState) == state
    rows = store.list_messages("s-1")
    assert [(m.speaker_id, m.speaker_type) for m in rows] == [
        ("Teacher", Identity.AI_TEACHER),
        ("learner-1", Identity.STUDENT),
    ]
    snap = store.load_snapshot("s-1")
    assert snap.cursor == 1 and snap.mode == "interactive" and snap.learner_id == "learner-1"
    assert [f.is_done for f in snap.functions] == [True, False]
    assert snap.extra == {"rng_seed": 7}
    as_dict = store.load_session_state("s-1")
    assert as_dict["function_cursor"] == 1 and as_dict["rng_seed"] == 7


def test_store_session_state_bad_input(store: ClassroomStore) -> None:
    with pytest.raises(InputError, match="no session id"):
        store.save_session_state({"mode": "continuous"})
    with pytest.raises(InputError, match="needs an existing lecture"):
        store.save_session_state({"session_id": "s-2"})
    with pytest.raises(InputError, match="pydantic model or dict"):
        store.save_session_state(42)
    lecture_id = store.save_lecture(make_deck())
    with pytest.raises(InputError, match="not an index"):
        store.save_session_state(
            {
                "session_id": "s-3",
                "lecture_id": lecture_id,
                "functions": {"first": {"call": "ShowFile"}},
            }
        )


def test_store_concurrent_writers_lose_nothing(url: str) -> None:
    databases = [open_database(url), open_database(url)]  # two engines, like two processes
    stores = [ClassroomStore(d) for d in databases]
    lecture_id = stores[0].save_lecture(make_deck())
    session_id = stores[0].create_session(lecture_id, "amy")
    per_thread, errors = 150, []

    def write(worker: int) -> None:
        try:
            for i in range(per_thread):
                stores[worker].append_message(session_id, f"{worker}-{i}")
                if i % 50 == 0:
                    stores[worker].record_quiz_answer(session_id, i, "A", worker == 0)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    contents = [m.content for m in stores[1].list_messages(session_id)]
    assert len(contents) == 2 * per_thread == len(set(contents))
    for worker in (0, 1):  # each writer's own order is preserved
        mine = [c for c in contents if c.startswith(f"{worker}-")]
        assert mine == [f"{worker}-{i}" for i in range(per_thread)]
    assert len(stores[0].list_quiz_answers(session_id=session_id)) == 6
    for d in databases:
        d.close()


def test_store_message_throughput(store: ClassroomStore, url: str) -> None:
    """Measures appends/s (one transaction each); the floor only catches pathologies."""
    lecture_id = store.save_lecture(make_deck())
    session_id = store.create_session(lecture_id)
    n = 300
    start = time.perf_counter()
    for i in range(n):
        store.append_message(session_id, f"message {i}", speaker_type=Identity.AI_CLASSMATE)
    rate = n / (time.perf_counter() - start)
    print(f"\nmessages_per_s[{url.split(':')[0]}]: {rate:.0f}")
    assert rate > 20
    assert len(store.list_messages(session_id, limit=10)) == 10
    assert store.list_messages(session_id)[-1].created_at - datetime.now(timezone.utc) < timedelta(
        minutes=1
    )


def test_store_sqlite_readers_do_not_wait_for_writers(tmp_path: Path) -> None:
    """A held write lock (another process mid-transaction) must not block polling reads."""
    import sqlite3

    path = tmp_path / "c.db"
    with ClassroomStore(open_database(f"sqlite:///{path}")) as store:
        lecture_id = store.save_lecture(make_deck())
        session_id = store.create_session(lecture_id)
        store.append_message(session_id, "before")
        other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO learner (id, name, profile, created_at) "
            "VALUES ('x', '', '{}', '2026-01-01')"
        )
        start = time.perf_counter()
        assert [m.content for m in store.list_messages(session_id)] == ["before"]
        assert store.load_lecture(lecture_id).deck.name == "intro"
        assert time.perf_counter() - start < 10  # waiting for the writer would take 30 s
        other.execute("COMMIT")
        other.close()


def test_store_real_deck_round_trip(store: ClassroomStore, test_data: Path) -> None:
    """A real ingested deck (long texts, notes, tables, unicode) comes back unchanged."""
    from lmforge.classroom.ingest import load_deck

    deck = load_deck(test_data / "slides" / "py4e_umich" / "Pythonlearn-02-Expressions.pptx")
    lecture_id = store.save_lecture(deck)
    assert store.load_lecture(lecture_id).deck == deck
    assert store.list_lectures()[0].pages == len(deck.pages)
