"""A hand-built course for the analytics, dashboard and export tests (its figures are worked
out by hand here, so each test can check exact numbers).

The course: chapter "Basics" = pages 1-2, chapter "Advanced" = page 3. Functions in teaching
order: p1 ShowFile 0, ReadScript 1; p2 ShowFile 2, ReadScript 3, AskQuestion 4; p3 ShowFile 5,
ReadScript 6, AskQuestion 7.

* Ann: finished. Messages: p1 "What is a tensor?", p1 "go back a slide", p3 "I think so".
  Quiz: fn 4 right; fn 7 wrong, then right (the first answer counts) -> 1/2.
* Bob: cursor 4 (functions 0-3 done: pages 1, 2 -> chapter Basics). No message. Quiz fn 4 right.
* Cy: cursor 0, but function_state rows 0 and 1 done -> page 1 only, no chapter. p2 "Why?".
* Dee: cursor 0, nothing done. p1 "hello there". Quiz fn 4 wrong -> 0.
* Eve: enrolled, no session yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from lmforge.classroom.agenda import (
    Agenda,
    AgendaNode,
    AgendaPage,
    AskQuestion,
    Question,
    ReadScript,
    ShowFile,
)
from lmforge.classroom.store.models import (
    AgendaVersion,
    ClassSession,
    FunctionState,
    Identity,
    Learner,
    Lecture,
    Message,
    Page,
    QuizAnswer,
)
from lmforge.classroom.web.models import Account, Activity, Course, Enrollment

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def _question() -> AskQuestion:
    return AskQuestion(
        question=Question(
            question="2 + 2?", question_type="single choice", selects=["3", "4"], answer=[1]
        )
    )


def make_agenda() -> Agenda:
    def page(i: int, quiz: bool = False) -> AgendaPage:
        fns = [ShowFile(page=i), ReadScript(script=f"Script {i}")]
        return AgendaPage(index=i, functions=[*fns, _question()] if quiz else fns)

    return Agenda(
        deck="deck.pptx",
        root=AgendaNode(
            title="Deck",
            children=[
                AgendaNode(title="Basics", children=[page(1), page(2, quiz=True)]),
                AgendaNode(title="Advanced", children=[page(3, quiz=True)]),
            ],
        ),
    )


def _msg(sid: str, page: int, content: str, minutes: int, **kw: object) -> Message:
    fields = {"speaker_id": "Learner", "speaker_type": int(Identity.STUDENT)}
    fields.update({"action": "user_message", **kw})
    return Message(
        session_id=sid,
        page_index=page,
        content=content,
        created_at=T0 + timedelta(minutes=minutes),
        **fields,
    )


def _answer(sid: str, fn: int, correct: bool, minutes: int) -> QuizAnswer:
    return QuizAnswer(
        session_id=sid,
        function_idx=fn,
        answer="B" if correct else "A",
        correct=correct,
        created_at=T0 + timedelta(minutes=minutes),
    )


def _student(
    db: Session, course: Course, name: str, *, cursor: int | None, finished: bool, tag: str = ""
) -> str:
    learner = Learner(name=name)
    db.add(learner)
    db.flush()
    account = Account(
        email=f"{name.lower()}{tag}@example.org",
        name=name,
        role="student",
        password_hash="x",
        learner_id=learner.id,
    )
    db.add(account)
    db.flush()
    sid = None
    if cursor is not None:
        session = ClassSession(
            lecture_id=course.lecture_id,
            learner_id=learner.id,
            agenda_version=1,
            cursor=cursor,
            finished=finished,
        )
        db.add(session)
        db.flush()
        sid = session.id
    db.add(Enrollment(course_id=course.id, account_id=account.id, session_id=sid))
    db.flush()
    return sid or account.id


def build(
    db: Session, owner_id: str | None = None, title: str = "Tensors 101", email_tag: str = ""
) -> tuple[str, dict[str, str]]:
    """The course (owned by `owner_id`, else by a new teacher) and its students' session ids
    (Eve's account id: she has no session)."""
    lecture = Lecture(name="Deck", kind="pptx")
    db.add(lecture)
    db.flush()
    for i, page_title in ((1, "Tensors"), (2, "Shapes"), (3, "Gradients")):
        db.add(Page(lecture_id=lecture.id, index=i, title=page_title))
    db.add(AgendaVersion(lecture_id=lecture.id, version=1, data=make_agenda().model_dump()))
    if owner_id is None:
        teacher = Account(email="t@example.org", name="T", role="teacher", password_hash="x")
        db.add(teacher)
        db.flush()
        owner_id = teacher.id
    course = Course(owner_id=owner_id, title=title, lecture_id=lecture.id, status="published")
    db.add(course)
    db.flush()
    ids = {
        "ann": _student(db, course, "Ann", cursor=8, finished=True, tag=email_tag),
        "bob": _student(db, course, "Bob", cursor=4, finished=False, tag=email_tag),
        "cy": _student(db, course, "Cy", cursor=0, finished=False, tag=email_tag),
        "dee": _student(db, course, "Dee", cursor=0, finished=False, tag=email_tag),
        "eve": _student(db, course, "Eve", cursor=None, finished=False, tag=email_tag),
    }
    ann, bob, cy, dee = ids["ann"], ids["bob"], ids["cy"], ids["dee"]
    db.add_all(
        [
            Message(session_id=ann, page_index=1, action="showFile", content="1", created_at=T0),
            Message(
                session_id=ann,
                page_index=1,
                action="speak",
                speaker_id="Teacher",
                speaker_type=int(Identity.AI_TEACHER),
                content="Tensors are arrays.",
                created_at=T0,
            ),
            _msg(ann, 1, "What is a tensor?", 1),
            _msg(ann, 1, "go back a slide", 2),
            _msg(ann, 3, "I think so", 3),
            _msg(ann, 2, "B", 4, action="user_answer"),
            _msg(cy, 2, "Why?", 5),
            _msg(dee, 1, "hello there", 6),
            Message(
                session_id=dee,
                page_index=1,
                action="speak",
                speaker_id="Class Clown",
                speaker_type=int(Identity.AI_CLASSMATE),
                content="Ha!",
                created_at=T0,
            ),
        ]
    )
    db.add_all(
        [
            _answer(ann, 4, True, 4),
            _answer(ann, 7, False, 7),
            _answer(ann, 7, True, 8),
            _answer(bob, 4, True, 9),
            _answer(dee, 4, False, 10),
        ]
    )
    for idx in (0, 1):
        db.add(FunctionState(session_id=cy, function_idx=idx, call="ShowFile", is_done=True))
    db.add(Activity(kind="login", course_id=course.id, account_id=None, created_at=T0))
    db.flush()
    return course.id, ids
