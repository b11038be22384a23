"""Learning analytics of one course, computed from the stored records (spec §3.3-3.4, §5.3).

Why pure functions over the database: the dashboard, the CSV export and a research group's
notebook all read the same rows (`message`, `quiz_answer`, `function_state`, `session`,
`activity`), so every figure here is a function of what the platform logged and nothing else.
`load_course(db, course_id)` reads a course's records once; each analysis takes that bundle
(or a session and a course id) and returns pydantic rows.

Definitions, with where they come from:

* **Chapter** = a top-level section of the session's agenda (MAIC-TAGI's "6 chapters" were
  the course's top-level units; spec §3.3, dropout follow-up). Pages placed directly under the
  agenda root form one extra chapter titled after the deck.
* **Slide completed** = the teacher agent has presented it: every ShowFile and ReadScript
  function of the page is done (its `function_state.is_done`, or the session's cursor is past
  it, or the session finished). AskQuestion functions are not presentation and do not count.
* **Chapter "Study Complete"** = all its slides completed (spec §3.3: "when the teacher agent
  has presented all its slides/notes"); **progress P** = number of complete chapters;
  **dropout** ⇔ not all chapters complete (P < number of chapters). The definition says
  nothing about time, so a student still in the middle of the course counts as a dropout
  until they finish; `last_active` is reported beside it so a teacher can tell the two apart.
* **Engagement** (spec §3.3, Q3): mean over chapters of log(#messages in the chapter) and
  mean over messages of log(message length in characters). Our choice, where the paper is
  silent: log1p (log(1 + x)), so a chapter without a message contributes 0 instead of an
  undefined log(0). Messages are the learner's own `user_message` rows.
* **Quiz score** = share of correct first answers among the quiz questions the learner
  answered (a re-answer does not replace the first one); None when they answered none.
* **Learner activity types** (spec §3.3 Q2, §5.3): asking, managing (progress or members),
  opinion, discussing/verifying, answering/responding, other, by the offline keyword
  classifier `classify_learner_message` (the paper coded them by hand: 60.9% asking, ≈11%
  managing).
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from lmforge.classroom.store.models import Identity
from lmforge.classroom.store.state_map import ROLE_NAMES

from .course_records import (
    Chapter,
    CourseRecords,
    Student,
    agenda_chapters,
    function_pages,
    learner_messages,
    load_course,
    records_of,
)
from .learner_activity import ACTIVITY_TYPES, classify_learner_message

__all__ = [
    "ACTIVITY_TYPES",
    "Chapter",
    "CourseAnalytics",
    "CourseRecords",
    "Correlation",
    "EngagementRow",
    "StudentProgress",
    "TypeCount",
    "SlideQuestions",
    "activity_types",
    "agenda_chapters",
    "course_analytics",
    "engagement",
    "engagement_correlations",
    "function_pages",
    "learner_messages",
    "load_course",
    "message_types",
    "pearson",
    "questions_per_slide",
    "student_progress",
]

PRESENTATION_CALLS = frozenset({"ShowFile", "ReadScript"})


class StudentProgress(BaseModel):
    """One enrolled student's progress (spec §3.3 definitions, see the module docstring)."""

    account_id: str
    name: str
    email: str
    session_id: str | None
    slides_total: int
    slides_completed: int
    chapters_total: int
    chapters_completed: int
    dropout: bool
    finished: bool
    messages: int
    quiz_answered: int
    quiz_correct: int
    quiz_score: float | None
    last_active: datetime | None


class TypeCount(BaseModel):
    group: str
    key: str
    count: int
    share: float


class EngagementRow(BaseModel):
    account_id: str
    name: str
    messages: int
    mean_log_messages: float
    mean_log_length: float | None
    quiz_score: float | None


class Correlation(BaseModel):
    """Pearson's r of an engagement measure with the quiz score over the n students that have
    both; r is None when undefined (n < 2 or a constant variable)."""

    measure: str
    r: float | None
    n: int


class SlideQuestions(BaseModel):
    page_index: int
    title: str
    learner_messages: int
    questions: int


def _completed_pages(records: CourseRecords, sid: str) -> tuple[set[int], set[int]]:
    """(pages with presentation functions, pages whose presentation is all done)."""
    info, agenda = records.sessions[sid], records.agendas.get(sid)
    if agenda is None:
        return set(), set()
    needed: dict[int, list[int]] = {}
    for idx, (call, page) in enumerate(function_pages(agenda)):
        if call in PRESENTATION_CALLS:
            needed.setdefault(page, []).append(idx)
    done = records.done.get(sid, set())

    def is_done(idx: int) -> bool:
        return info["finished"] or idx < info["cursor"] or idx in done

    complete = {page for page, idxs in needed.items() if all(is_done(i) for i in idxs)}
    return set(needed), complete


def _quiz(records: CourseRecords, sid: str | None) -> tuple[int, int]:
    first: dict[int, bool] = {}
    for a in records.answers:
        if a["session_id"] == sid and a["function_idx"] not in first:
            first[a["function_idx"]] = bool(a["correct"])
    return len(first), sum(first.values())


def _last_active(records: CourseRecords, student: Student) -> datetime | None:
    times = [a["created_at"] for a in records.activities if a["account_id"] == student.account_id]
    sid = student.session_id
    times += [m["created_at"] for m in records.messages if m["session_id"] == sid]
    times += [a["created_at"] for a in records.answers if a["session_id"] == sid]
    return max(times) if times else None


def student_progress(
    db: Session | CourseRecords, course_id: str | None = None
) -> list[StudentProgress]:
    """Slides and chapters completed, dropout, messages and quiz score per enrolled student."""
    records = records_of(db, course_id)
    out = []
    for st in records.students:
        sid = st.session_id if st.session_id in records.sessions else None
        slides, complete = _completed_pages(records, sid) if sid else (set(), set())
        agenda = records.agendas.get(sid) if sid else None
        chapters = [c for c in agenda_chapters(agenda) if set(c.pages) & slides] if agenda else []
        n_done = sum(1 for c in chapters if set(c.pages) & slides <= complete)
        answered, correct = _quiz(records, sid)
        out.append(
            StudentProgress(
                **st.model_dump(exclude={"session_id"}),
                session_id=st.session_id,
                slides_total=len(slides),
                slides_completed=len(complete),
                chapters_total=len(chapters),
                chapters_completed=n_done,
                dropout=n_done < len(chapters) or not chapters,
                finished=bool(sid and records.sessions[sid]["finished"]),
                messages=len(learner_messages(records, sid)) if sid else 0,
                quiz_answered=answered,
                quiz_correct=correct,
                quiz_score=correct / answered if answered else None,
                last_active=_last_active(records, st),
            )
        )
    return out


def _shares(group: str, counts: Counter[str], order: tuple[str, ...] = ()) -> list[TypeCount]:
    total = sum(counts.values())
    keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
    return [
        TypeCount(group=group, key=k, count=counts[k], share=counts[k] / total if total else 0.0)
        for k in keys
    ]


def message_types(db: Session | CourseRecords, course_id: str | None = None) -> list[TypeCount]:
    """Counts and shares of all classroom messages by action and by speaker role."""
    records = records_of(db, course_id)
    by_action = Counter(m["action"] for m in records.messages)
    by_role = Counter(
        ROLE_NAMES.get(Identity(m["speaker_type"]), "system")
        if m["speaker_type"] in Identity._value2member_map_
        else "system"
        for m in records.messages
    )
    return _shares("action", by_action) + _shares("role", by_role)


def activity_types(db: Session | CourseRecords, course_id: str | None = None) -> list[TypeCount]:
    """The learners' messages by activity type (spec §3.3 Q2), every type listed."""
    records = records_of(db, course_id)
    counts = Counter({k: 0 for k in ACTIVITY_TYPES})
    counts.update(classify_learner_message(m["content"]) for m in learner_messages(records))
    return _shares("activity", counts, ACTIVITY_TYPES)


def engagement(db: Session | CourseRecords, course_id: str | None = None) -> list[EngagementRow]:
    """Per student: messages, mean log1p(#messages per chapter), mean log1p(length), score."""
    records = records_of(db, course_id)
    out = []
    for st in records.students:
        sid = st.session_id if st.session_id in records.sessions else None
        msgs = learner_messages(records, sid) if sid else []
        agenda = records.agendas.get(sid) if sid else None
        chapters = agenda_chapters(agenda) if agenda else []
        per_chapter = [sum(1 for m in msgs if m["page_index"] in c.pages) for c in chapters]
        lengths = [math.log1p(len(m["content"])) for m in msgs]
        answered, correct = _quiz(records, sid)
        out.append(
            EngagementRow(
                account_id=st.account_id,
                name=st.name,
                messages=len(msgs),
                mean_log_messages=(
                    sum(math.log1p(n) for n in per_chapter) / len(per_chapter)
                    if per_chapter
                    else 0.0
                ),
                mean_log_length=sum(lengths) / len(lengths) if lengths else None,
                quiz_score=correct / answered if answered else None,
            )
        )
    return out


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r; None when fewer than two pairs or either variable is constant."""
    if len(xs) != len(ys):
        raise ValueError("pearson needs two lists of the same length")
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 0 or syy <= 0:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def engagement_correlations(rows: list[EngagementRow]) -> list[Correlation]:
    """r (and n) of each engagement measure with the quiz score (spec §3.3's two measures,
    plus the raw message count)."""
    out = []
    for measure in ("messages", "mean_log_messages", "mean_log_length"):
        pairs = [
            (float(getattr(r, measure)), r.quiz_score)
            for r in rows
            if r.quiz_score is not None and getattr(r, measure) is not None
        ]
        xs, ys = [p[0] for p in pairs], [float(p[1]) for p in pairs]
        out.append(Correlation(measure=measure, r=pearson(xs, ys), n=len(pairs)))
    return out


def questions_per_slide(
    db: Session | CourseRecords, course_id: str | None = None
) -> list[SlideQuestions]:
    """Learner messages and questions (activity type `asking`) per slide, in slide order."""
    records = records_of(db, course_id)
    pages = set(records.page_titles)
    for agenda in records.agendas.values():
        pages |= {p.index for p in agenda.pages()}
    per_page: dict[int, list[str]] = {p: [] for p in pages}
    for m in learner_messages(records):
        if m["page_index"] is not None:
            per_page.setdefault(m["page_index"], []).append(m["content"])
    return [
        SlideQuestions(
            page_index=p,
            title=records.page_titles.get(p, ""),
            learner_messages=len(texts),
            questions=sum(1 for t in texts if classify_learner_message(t) == "asking"),
        )
        for p, texts in sorted(per_page.items())
    ]


class CourseAnalytics(BaseModel):
    """Every analysis of a course at once (what the dashboard shows)."""

    course_id: str
    title: str
    students: list[StudentProgress]
    message_types: list[TypeCount]
    activity_types: list[TypeCount]
    engagement: list[EngagementRow]
    correlations: list[Correlation]
    slides: list[SlideQuestions]
    counts: dict[str, int]


def course_analytics(db: Session, course_id: str) -> CourseAnalytics:
    records = load_course(db, course_id)
    rows = engagement(records)
    students = student_progress(records)
    return CourseAnalytics(
        course_id=course_id,
        title=records.title,
        students=students,
        message_types=message_types(records),
        activity_types=activity_types(records),
        engagement=rows,
        correlations=engagement_correlations(rows),
        slides=questions_per_slide(records),
        counts={
            "students": len(records.students),
            "messages": len(records.messages),
            "learner_messages": len(learner_messages(records)),
            "quiz_answers": len(records.answers),
            "activities": len(records.activities),
            "dropouts": sum(1 for s in students if s.dropout),
        },
    )
