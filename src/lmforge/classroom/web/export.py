"""CSV export of every record of a course: messages, activities and quiz answers, one row each.

Why one file with a `record_type` column: a research group loads it into one data frame and
filters by type; the columns are the union of what the three tables hold (spec §3.4), empty
where a type has no such field. Rows are in time order (then type, then id), so the file reads
as the course's log.

Why the quote: a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some,
a tab or carriage return) as a formula; a student's message "=HYPERLINK(...)" must stay text.
Every text cell that starts with one of them gets a leading `'` (OWASP's CSV-injection
advice); numbers and booleans are written as such and left alone.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from lmforge.classroom.store.models import Identity
from lmforge.classroom.store.state_map import ROLE_NAMES

from .course_records import CourseRecords

__all__ = ["COLUMNS", "FORMULA_STARTS", "csv_cell", "export_rows", "iter_csv"]

COLUMNS = (
    "record_type",
    "id",
    "created_at",
    "account_id",
    "student_name",
    "student_email",
    "session_id",
    "page_index",
    "function_idx",
    "speaker_id",
    "speaker_type",
    "speaker_role",
    "action",
    "content",
    "answer",
    "correct",
    "meta",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A value as a safe CSV cell: text starting like a formula is quoted with `'`."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _role(speaker_type: int) -> str:
    try:
        return ROLE_NAMES.get(Identity(speaker_type), "system")
    except ValueError:
        return "system"


def export_rows(records: CourseRecords) -> list[dict[str, Any]]:
    """All records of the course as dicts keyed by `COLUMNS`, in time order."""
    by_session = {s.session_id: s for s in records.students if s.session_id}
    by_account = {s.account_id: s for s in records.students}
    rows: list[tuple[Any, int, int, dict[str, Any]]] = []

    def who(student: Any) -> dict[str, Any]:
        if student is None:
            return {}
        return {
            "account_id": student.account_id,
            "student_name": student.name,
            "student_email": student.email,
        }

    for m in records.messages:
        row = {
            "record_type": "message",
            **who(by_session.get(m["session_id"])),
            **{k: m[k] for k in ("id", "created_at", "session_id", "page_index", "function_idx")},
            **{k: m[k] for k in ("speaker_id", "speaker_type", "action", "content")},
            "speaker_role": _role(m["speaker_type"]),
            "meta": m["meta"],
        }
        rows.append((m["created_at"], 0, m["id"], row))
    for a in records.answers:
        row = {
            "record_type": "quiz_answer",
            **who(by_session.get(a["session_id"])),
            **{k: a[k] for k in ("id", "created_at", "session_id", "function_idx", "answer")},
            "correct": a["correct"],
            "meta": a["meta"],
        }
        rows.append((a["created_at"], 1, a["id"], row))
    for act in records.activities:
        student = by_account.get(act["account_id"])
        row = {
            "record_type": "activity",
            **who(student),
            "account_id": act["account_id"],
            **{k: act[k] for k in ("id", "created_at", "session_id")},
            "action": act["kind"],
            "meta": act["meta"],
        }
        rows.append((act["created_at"], 2, act["id"], row))
    rows.sort(key=lambda item: (item[0], item[1], item[2]))
    return [row for *_, row in rows]


def _cells(row: dict[str, Any]) -> list[Any]:
    out = []
    for column in COLUMNS:
        value = row.get(column)
        if column == "meta":
            value = json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
        elif column == "created_at" and value is not None:
            value = value.isoformat()
        out.append(csv_cell(value))
    return out


def iter_csv(records: CourseRecords, *, chunk: int = 200) -> Iterator[str]:
    """The CSV text in chunks of `chunk` rows (header first), for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for i, row in enumerate(export_rows(records), 1):
        writer.writerow(_cells(row))
        if i % chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
