"""OpenEPBench questions: the row schema, the loader, and the target date of time questions.

A question row (``cn_valid_data.jsonl`` / ``en_valid_data.jsonl`` of the release) is::

    {"id": int, "question": str, "question_type": one of QUESTION_TYPES,
     "date_question": "YYYY-MM-DD", "hot_topic": {"topic": str, "topic_id": str,
     "ori_background": str, "generated_background": str, "url": str},
     "answer": [str, ...]}

The release's sample file carries ``tar_time`` ("YYYY-MM-DD" or "other") for time questions
instead of ``answer``. Every row goes through :func:`lmforge.pipeline.records.check_row`, so a
broken row is one error naming the file, the line and the field, before any model is built.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lmforge.errors import InputError
from lmforge.pipeline.records import check_row, iter_jsonl

__all__ = [
    "QUESTION_TYPES",
    "HotTopic",
    "Question",
    "QuestionType",
    "load_questions",
    "parse_day",
    "question_lang",
    "target_time",
]

QUESTION_TYPES = (
    "time",
    "location",
    "event development",
    "event outcome",
    "event impact",
    "social response",
    "other",
)
"""The seven perspectives, as the ``question_type`` values spell them ("social response" is
the paper's "event response")."""
QuestionType = Literal[
    "time",
    "location",
    "event development",
    "event outcome",
    "event impact",
    "social response",
    "other",
]
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_LEADING_DAY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")


def parse_day(value: str) -> date:
    """A ``YYYY-MM-DD`` string as a date (the release has a few unpadded ones, "2024-06-7");
    anything else is a ``ValueError`` naming it."""
    found = _DAY.match(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        raise ValueError(f"no such day: {value!r}") from None


class HotTopic(BaseModel):
    """The hot-topic event a question is about (the release's ``hot_topic`` object)."""

    model_config = ConfigDict(extra="allow")
    topic: str = Field(min_length=1)
    topic_id: str | None = None
    ori_background: str = ""
    generated_background: str = ""
    url: str = ""


class Question(BaseModel):
    """One OpenEPBench question (extra fields are kept: rows carry fields of their own)."""

    model_config = ConfigDict(extra="allow")
    id: int | str
    question: str = Field(min_length=1)
    question_type: QuestionType
    date_question: str
    hot_topic: HotTopic
    answer: list[str | list[str]] | None = None
    """The outcome texts (news paragraphs) that happened after the question date. Some
    Chinese rows hold an article as a list of paragraphs: it is joined into one text."""
    tar_time: str | None = None
    """Time questions of the sample file: the event's date, or "other" (not within 15 days)."""

    @field_validator("date_question")
    @classmethod
    def _day(cls, value: str) -> str:
        return parse_day(value).isoformat()

    @field_validator("answer")
    @classmethod
    def _articles(cls, value: list[str | list[str]] | None) -> list[str] | None:
        if value is None:
            return None
        return [item if isinstance(item, str) else "\n".join(item) for item in value]

    @field_validator("tar_time")
    @classmethod
    def _target(cls, value: str | None) -> str | None:
        if value == "":
            return None  # the sample file's non-time questions
        if value is not None and value != "other":
            return parse_day(value).isoformat()
        return value

    @property
    def day(self) -> date:
        return date.fromisoformat(self.date_question)

    @property
    def topic_key(self) -> str:
        """What identifies the question's topic: its ``topic_id``, else the topic text."""
        return self.hot_topic.topic_id or self.hot_topic.topic


def target_time(question: Question) -> str | None:
    """The date a time question's event happened ("other": not within the horizon).

    ``tar_time`` when the row has it; else the leading ``YYYY-MM-DD`` of the first answer
    (English time answers start with the event's date, e.g. "2024-07-08,..."); else None
    (Chinese answers embed the date in prose: such a question has no gold period).
    """
    if question.tar_time:
        return question.tar_time
    for text in question.answer or []:
        found = _LEADING_DAY.match(text)
        if found:
            try:
                parse_day(found.group(1))
            except ValueError:
                return None
            return found.group(1)
    return None


def question_lang(question: Question) -> str:
    """ "zh" when the question is written in Chinese characters, else "en"."""
    text = question.question
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    return "zh" if cjk * 4 >= len(text) else "en"


def load_questions(path: str | Path, *, require_answer: bool = False) -> list[Question]:
    """Every question of a JSONL file, checked (duplicate ids refused: predictions and
    scores are joined by id). ``require_answer``: gold files must hold ``answer`` (or, for
    time questions, ``tar_time``)."""
    out: list[Question] = []
    seen: dict[str, int] = {}
    for line, row in iter_jsonl(path):
        question = check_row(Question, row, path=path, line=line)
        key = str(question.id)
        if key in seen:
            raise InputError(
                f"duplicate id {key!r} (first on line {seen[key]})", path=path, line=line
            )
        seen[key] = line
        if require_answer and not question.answer and question.tar_time is None:
            raise InputError("missing the gold outcome", path=path, line=line, field="answer")
        out.append(question)
    return out


def question_record(question: Question) -> dict[str, Any]:
    """The question as a pipeline record (JSON-ready, ``id`` kept as given)."""
    return question.model_dump(mode="json", exclude_none=True)
