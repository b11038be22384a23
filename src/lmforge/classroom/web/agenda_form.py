"""The agenda review form: an `Agenda` to form fields and the submitted fields back.

Field names: `desc-P` (page P's description), `script-P-I` (the ReadScript at position I of
page P), and for an AskQuestion at I `q-P-I-text`, `q-P-I-options` (one option per line) and
`q-P-I-answer` (the correct letters, e.g. `B` or `AC`). Fields not sent keep their value, so a
form that shows part of the agenda cannot erase the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from lmforge.classroom.agenda import Agenda, AskQuestion, Question, ReadScript

__all__ = ["AgendaFormError", "apply_form", "form_pages"]

MAX_TEXT = 20_000


class AgendaFormError(ValueError):
    """A submitted field that cannot become part of an agenda; the message names it."""


def form_pages(agenda: Agenda) -> list[dict[str, Any]]:
    """What the template shows per page: index, description and the editable functions."""
    pages = []
    for page in agenda.pages():
        items = []
        for i, fn in enumerate(page.functions):
            if isinstance(fn, ReadScript):
                items.append({"kind": "script", "i": i, "script": fn.script})
            elif isinstance(fn, AskQuestion):
                q = fn.question
                items.append({"kind": "question", "i": i, "text": q.question,
                              "options": "\n".join(q.selects),
                              "answer": q.answer_letters(), "type": q.question_type})  # fmt: skip
        pages.append({"index": page.index, "description": page.description, "functions": items})
    return pages


def _text(form: Mapping[str, Any], key: str, old: str) -> str:
    value = form.get(key)
    if not isinstance(value, str):
        return old
    value = value.replace("\r\n", "\n").strip()
    if len(value) > MAX_TEXT:
        raise AgendaFormError(f"{key}: at most {MAX_TEXT} characters")
    return value


def _question(form: Mapping[str, Any], key: str, old: Question) -> Question:
    text = _text(form, f"{key}-text", old.question)
    options = [
        line.strip()
        for line in _text(form, f"{key}-options", "\n".join(old.selects)).split("\n")
        if line.strip()
    ]
    letters = _text(form, f"{key}-answer", old.answer_letters()).upper().replace(",", "")
    letters = "".join(ch for ch in letters if not ch.isspace())
    if not text:
        raise AgendaFormError(f"{key}: the question is empty")
    if len(options) < 2:
        raise AgendaFormError(f"{key}: a question needs at least two options, one per line")
    answer = sorted({ord(ch) - ord("A") for ch in letters})
    if not answer or any(a < 0 or a >= len(options) for a in answer):
        last = chr(ord("A") + len(options) - 1)
        raise AgendaFormError(f"{key}: the answer must be letters from A to {last}")
    kind = "single choice" if len(answer) == 1 else "multiple choice"
    try:
        return Question(question=text, question_type=kind, selects=options, answer=answer,
                        reference=old.reference)  # fmt: skip
    except ValidationError as exc:
        raise AgendaFormError(f"{key}: {exc.errors()[0]['msg']}") from None


def apply_form(agenda: Agenda, form: Mapping[str, Any]) -> Agenda:
    """A copy of `agenda` with the submitted fields applied (see the module docstring)."""
    edited = agenda.model_copy(deep=True)
    for page in edited.pages():
        p = page.index
        page.description = _text(form, f"desc-{p}", page.description)
        for i, fn in enumerate(page.functions):
            if isinstance(fn, ReadScript):
                fn.script = _text(form, f"script-{p}-{i}", fn.script)
                if not fn.script:
                    raise AgendaFormError(f"script-{p}-{i}: the script of page {p} is empty")
            elif isinstance(fn, AskQuestion):
                fn.question = _question(form, f"q-{p}-{i}", fn.question)
    return edited
