"""A published course of the engine's built-in sample lecture, with no deck and no model.

Why: the demo, the load benchmark and the tests of the student side need a course students
can join at once, without uploading and preparing a deck; this stores the three-slide
`teach.simulated.sample_agenda` (a quiz on the last slide) and publishes it under `code`,
owned by a teacher account made for it.
"""

from __future__ import annotations

from pathlib import Path

from lmforge.classroom.deck import Deck, Page
from lmforge.classroom.store.db import Database
from lmforge.classroom.store.repository import ClassroomStore
from lmforge.classroom.teach.simulated import sample_agenda

from .models import Account, Course

__all__ = ["publish_sample_course"]


def publish_sample_course(
    db: Database,
    code: str = "SAMPLE01",
    *,
    title: str = "Photosynthesis (sample)",
    agents: list[str] | None = None,
    pages: int = 3,
) -> str:
    """Store the sample lecture and publish it as a course; returns the course id."""
    deck = Deck(
        name="photosynthesis",
        source=Path("photosynthesis.pdf"),
        kind="pdf",
        pages=[Page(index=i, text=f"Photosynthesis, step {i}") for i in range(1, pages + 1)],
    )
    lecture_id = ClassroomStore(db).save_lecture(deck, sample_agenda(pages))
    with db.session() as s:
        teacher = Account(
            email=f"sample-{code.lower()}@example.invalid",
            name="Sample Teacher",
            role="teacher",
            password_hash="!",  # no password verifies against this: nobody signs in as it
        )
        s.add(teacher)
        s.flush()
        course = Course(
            owner_id=teacher.id,
            title=title,
            code=code,
            lecture_id=lecture_id,
            status="published",
            **({"agents": agents} if agents is not None else {}),
        )
        s.add(course)
        s.flush()
        return course.id
