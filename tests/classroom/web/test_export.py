"""CSV export: every record of the hand-built course (`cohort.py`) once, typed, in time order,
formula-safe; the owner's only."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from classroom.web.cohort import build
from lmforge.classroom.store.db import open_database
from lmforge.classroom.store.models import Base, Message
from lmforge.classroom.web.course_records import load_course
from lmforge.classroom.web.export import COLUMNS, csv_cell, iter_csv
from lmforge.classroom.web.models import Account, Activity

FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain = text", "plain = text"),
        (-2, -2),
        (True, True),
        (None, ""),
    ],
)
def test_export_cells_are_formula_safe(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_has_every_record_once(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'e.db'}", upgrade=False)
    Base.metadata.create_all(database.engine)
    with database.session() as db:
        cid, ids = build(db)
        db.add(
            Message(
                session_id=ids["dee"],
                page_index=1,
                action="user_message",
                speaker_type=3,
                speaker_id="Learner",
                content=FORMULA,
            )
        )
        ann = db.scalars(select(Account).where(Account.name == "Ann")).one()
        ann.name = "@Ann"
        db.add(Activity(kind="join", course_id=cid, account_id=ann.id, meta={"code": "AB12CD34"}))
    with database.read() as db:
        text = "".join(iter_csv(load_course(db, cid), chunk=3))
    database.close()
    assert text.splitlines()[0].split(",") == list(COLUMNS)
    rows = _rows(text)
    kinds = [r["record_type"] for r in rows]
    assert (kinds.count("message"), kinds.count("quiz_answer"), kinds.count("activity")) == (
        10,
        5,
        2,
    )
    assert len({(r["record_type"], r["id"]) for r in rows}) == len(rows)  # none twice
    stamps = [r["created_at"] for r in rows]
    assert stamps == sorted(stamps)
    assert any(r["content"] == "'" + FORMULA for r in rows)
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    answer = next(r for r in rows if r["record_type"] == "quiz_answer" and r["correct"] == "False")
    assert answer["answer"] == "A" and answer["function_idx"] in ("7", "4")
    join = next(r for r in rows if r["action"] == "join")
    assert join["student_name"] == "'@Ann" and json.loads(join["meta"]) == {"code": "AB12CD34"}
    tensor = next(r for r in rows if r["content"] == "What is a tensor?")
    assert (tensor["speaker_role"], tensor["page_index"], tensor["student_name"]) == (
        "learner",
        "1",
        "'@Ann",
    )


def test_export_route_streams_csv(app, teacher_client) -> None:  # noqa: ANN001
    with app.state.db.session() as db:
        owner = db.scalars(select(Account).where(Account.email == "teacher@example.org")).one()
        cid, _ = build(db, owner.id)
    reply = teacher_client.get(f"/courses/{cid}/export.csv")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/csv")
    assert reply.headers["content-disposition"].startswith("attachment;")
    rows = _rows(reply.text)
    assert len(rows) == 9 + 5 + 1
