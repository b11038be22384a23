"""Learning analytics on the hand-built course of `cohort.py`: every expected figure is worked
out by hand there and below."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from classroom.web.cohort import T0, build, make_agenda
from lmforge.classroom.agenda import AgendaPage, ShowFile
from lmforge.classroom.store.db import open_database
from lmforge.classroom.store.models import Base
from lmforge.classroom.teach.engine import agenda_functions
from lmforge.classroom.web import analytics as an
from lmforge.classroom.web.learner_activity import classify_learner_message


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    database = open_database(f"sqlite:///{tmp_path / 'a.db'}", upgrade=False)
    Base.metadata.create_all(database.engine)
    with database.session() as session:
        yield session
    database.close()


@pytest.fixture
def course(db: Session) -> tuple[str, dict[str, str]]:
    return build(db)


def test_analytics_function_numbering_matches_the_engine() -> None:
    agenda = make_agenda()
    ours = an.function_pages(agenda)
    engine = [(f.call, f.page_index) for f in agenda_functions(agenda)]
    assert ours == engine
    chapters = an.agenda_chapters(agenda)
    assert [(c.title, c.pages) for c in chapters] == [("Basics", [1, 2]), ("Advanced", [3])]


def test_analytics_loose_pages_make_one_chapter() -> None:
    agenda = make_agenda()
    agenda.root.children.append(AgendaPage(index=4, functions=[ShowFile(page=4)]))
    assert [c.pages for c in an.agenda_chapters(agenda)] == [[1, 2], [3], [4]]


def test_analytics_progress_and_dropout(db: Session, course: tuple[str, dict]) -> None:
    cid, _ = course
    rows = {r.name: r for r in an.student_progress(db, cid)}
    got = {
        n: (r.slides_completed, r.chapters_completed, r.chapters_total, r.dropout)
        for n, r in rows.items()
    }
    assert got == {
        "Ann": (3, 2, 2, False),
        "Bob": (2, 1, 2, True),
        "Cy": (1, 0, 2, True),
        "Dee": (0, 0, 2, True),
        "Eve": (0, 0, 0, True),
    }
    assert rows["Ann"].slides_total == 3 and rows["Ann"].finished
    assert (rows["Ann"].messages, rows["Ann"].quiz_answered, rows["Ann"].quiz_correct) == (3, 2, 1)
    assert rows["Ann"].quiz_score == 0.5 and rows["Bob"].quiz_score == 1.0
    assert rows["Cy"].quiz_score is None and rows["Dee"].quiz_score == 0.0
    assert rows["Ann"].last_active == T0 + timedelta(minutes=8)  # her last quiz answer
    assert rows["Eve"].last_active is None and rows["Eve"].session_id is None


def test_analytics_message_types(db: Session, course: tuple[str, dict]) -> None:
    cid, _ = course
    rows = {(r.group, r.key): (r.count, r.share) for r in an.message_types(db, cid)}
    # 9 messages: showFile 1, speak 2, user_message 5, user_answer 1.
    assert rows[("action", "user_message")] == (5, 5 / 9)
    assert rows[("action", "speak")] == (2, 2 / 9)
    assert rows[("action", "showFile")][0] == rows[("action", "user_answer")][0] == 1
    # roles: learner 6 (5 messages + 1 answer), teacher 1, classmate 1, system 1.
    assert rows[("role", "learner")] == (6, 6 / 9)
    assert rows[("role", "teacher")][0] == rows[("role", "classmate")][0] == 1
    assert rows[("role", "system")][0] == 1


def test_analytics_activity_types(db: Session, course: tuple[str, dict]) -> None:
    cid, _ = course
    rows = {r.key: r.count for r in an.activity_types(db, cid)}
    # asking: "What is a tensor?", "Why?"; managing: "go back a slide";
    # opinion: "I think so"; other: "hello there".
    assert rows == {
        "asking": 2,
        "managing": 1,
        "opinion": 1,
        "discussing": 0,
        "answering": 0,
        "other": 1,
    }


def test_analytics_engagement_and_correlation(db: Session, course: tuple[str, dict]) -> None:
    cid, _ = course
    rows = {r.name: r for r in an.engagement(db, cid)}
    ann = rows["Ann"]
    assert ann.messages == 3
    assert ann.mean_log_messages == pytest.approx((math.log(3) + math.log(2)) / 2)
    lengths = [len("What is a tensor?"), len("go back a slide"), len("I think so")]
    assert ann.mean_log_length == pytest.approx(sum(math.log(1 + n) for n in lengths) / 3)
    assert rows["Bob"].mean_log_messages == 0.0 and rows["Bob"].mean_log_length is None
    corr = {c.measure: c for c in an.engagement_correlations(list(rows.values()))}
    # With a quiz score: Ann (3 msgs, 0.5), Bob (0, 1.0), Dee (1, 0.0).
    # mean x 4/3, mean y 1/2; sxy = -1/2, sxx = 42/9, syy = 1/2 -> r = -0.5 / sqrt(7/3).
    assert corr["messages"].n == 3
    assert corr["messages"].r == pytest.approx(-0.5 / math.sqrt(7 / 3))
    assert corr["mean_log_length"].n == 2  # Bob has no message length


def test_analytics_pearson_hand_figures() -> None:
    # xs 1,2,3; ys 2,4,7: sxy 5, sxx 2, syy 114/9 -> r = 5 / sqrt(228/9).
    assert an.pearson([1, 2, 3], [2, 4, 7]) == pytest.approx(5 / math.sqrt(228 / 9))
    assert an.pearson([1, 2], [3, 1]) == pytest.approx(-1.0)
    assert an.pearson([1], [1]) is None
    assert an.pearson([2, 2, 2], [1, 2, 3]) is None
    with pytest.raises(ValueError):
        an.pearson([1, 2], [1])


def test_analytics_questions_per_slide(db: Session, course: tuple[str, dict]) -> None:
    cid, _ = course
    rows = [
        (r.page_index, r.title, r.learner_messages, r.questions)
        for r in an.questions_per_slide(db, cid)
    ]
    assert rows == [(1, "Tensors", 3, 1), (2, "Shapes", 1, 1), (3, "Gradients", 1, 0)]


def test_analytics_course_bundle(db: Session, course: tuple[str, dict]) -> None:
    cid, _ = course
    result = an.course_analytics(db, cid)
    assert result.counts == {
        "students": 5,
        "messages": 9,
        "learner_messages": 5,
        "quiz_answers": 5,
        "activities": 1,
        "dropouts": 4,
    }
    with pytest.raises(KeyError):
        an.load_course(db, "nope")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("What is a gradient?", "asking"),
        ("explain the chain rule", "asking"),
        ("Can you explain more simply?", "managing"),
        ("next slide please", "managing"),
        ("B", "answering"),
        ("a, c", "answering"),
        ("I believe it is linear", "opinion"),
        ("I agree, but the loss grows", "discussing"),
        ("", "other"),
        ("hello there", "other"),
    ],
)
def test_analytics_classifier(text: str, kind: str) -> None:
    assert classify_learner_message(text) == kind
