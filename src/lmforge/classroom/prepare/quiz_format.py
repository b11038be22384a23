"""Quiz items out of model answers: the JSON reply (default) and the shared validity rules.

The official stage asks for a marked-up text layout (question tagged single/multiple choice,
options A-E, answer letters, reference); :func:`parse_questions` reads it. A 0.5B model rarely
keeps that layout for three questions, so by default the same fields are requested as JSON
under a schema (bounded strings, exactly three questions, five options, answer letters from
A-E): a backend with constrained decoding always returns something parseable, and
:func:`make_question` applies the same checks to both replies.
"""

from __future__ import annotations

import re
from typing import Any

from lmforge.classroom.agenda import Question
from lmforge.pipeline.jsonladder import ParseFailure, extract_json

__all__ = [
    "LETTERS",
    "make_question",
    "parse_json_questions",
    "parse_questions",
    "questions_schema",
]

LETTERS = "ABCDE"
_PLACEHOLDER = re.compile(r"[<\[(]?\s*[A-E]\s*[>\])]?[.):]?")


def questions_schema(n: int = 3) -> dict[str, Any]:
    """The reply's JSON schema: ``n`` questions, each with five options and answer letters."""
    item = {
        "type": "object",
        "properties": {
            "question": {"type": "string", "minLength": 5, "maxLength": 200},
            "type": {"type": "string", "enum": ["single choice", "multiple choice"]},
            "options": {
                "type": "array",
                "minItems": 5,
                "maxItems": 5,
                "items": {"type": "string", "minLength": 1, "maxLength": 100},
            },
            "answer": {
                "type": "array",
                "minItems": 1,
                "maxItems": 4,
                "items": {"type": "string", "enum": list(LETTERS)},
            },
            "reference": {"type": "string", "maxLength": 200},
        },
        "required": ["question", "type", "options", "answer", "reference"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"questions": {"type": "array", "minItems": n, "maxItems": n, "items": item}},
        "required": ["questions"],
        "additionalProperties": False,
    }


def make_question(
    question: str,
    kind: str | None,
    options: list[str],
    letters: list[str],
    reference: str = "",
    *,
    strict: bool = False,
) -> Question | None:
    """A valid item or None: a question text, at least two distinct options, answer letters
    that name options. The type follows the answer (one letter: single choice); ``strict``
    drops an item whose stated type contradicts its answer, as the official parser does."""
    question, options = question.strip(), [o.strip() for o in options if o.strip()]
    answer = sorted({LETTERS.index(x) for x in letters if x in LETTERS})
    if not question or len(options) < 2 or not answer or answer[-1] >= len(options):
        return None
    if len({" ".join(o.casefold().split()) for o in options}) < len(options):
        return None  # repeated options (small models copy one answer five times)
    if any(_PLACEHOLDER.fullmatch(o) for o in options):
        return None  # an option that is only its letter ("B", "<B>") says nothing
    actual = "multiple choice" if len(answer) > 1 else "single choice"
    if strict and kind and not actual.startswith(kind.strip().lower().split()[0]):
        return None
    return Question(
        question=question,
        question_type=actual,
        selects=options,
        answer=answer,
        reference=reference.strip(),
    )


def parse_json_questions(text: str, *, strict: bool = False) -> list[Question]:
    """Every valid question of a JSON reply (``{"questions": [...]}`` or a bare list)."""
    try:
        data = extract_json(text)
    except ParseFailure:
        return []
    items = data.get("questions", []) if isinstance(data, dict) else data
    found = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        answer = item.get("answer", [])
        letters = [
            str(a).strip().upper()
            for a in (answer if isinstance(answer, list) else str(answer).replace(",", " ").split())
        ]
        options = [str(o) for o in item.get("options", []) if isinstance(o, str | int | float)]
        question = make_question(
            str(item.get("question", "")),
            str(item.get("type") or ""),
            options,
            letters,
            str(item.get("reference") or ""),
            strict=strict,
        )
        if question is not None:
            found.append(question)
    return found


# ------------------------------------------------------------- the official text layout

_HEAD = re.compile(r"^\W{0,4}(?:question|q)\s*(?P<n>\d+)\b\W*?(?P<rest>.*)$", re.I)
_KIND = re.compile(r"[(\[]\s*(single|multiple)[\s_-]*(?:choice)?\s*[)\]]", re.I)
_OPTION = re.compile(r"^\W{0,3}(?P<letter>[A-E])\s*[.):：]\s*(?P<text>.+)$")
_ANSWER = re.compile(r"^\W*(?:correct\s+)?answers?\W*[:：]\s*(?P<text>.*)$", re.I)
_REFERENCE = re.compile(r"^\W*(?:reference|source)\W*[:：]\s*(?P<text>.*)$", re.I)
_LETTER = re.compile(r"\b([A-E])\b")


def _blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    for line in (raw.strip() for raw in text.splitlines()):
        if line and _HEAD.match(line):
            blocks.append([line])
        elif line and blocks:
            blocks[-1].append(line)
    return blocks


def _parse_block(lines: list[str], strict: bool) -> Question | None:
    rest = _HEAD.match(lines[0]).group("rest")  # type: ignore[union-attr]
    kind = _KIND.search(rest)
    question = _KIND.sub("", rest).strip().lstrip(":：.)-").strip()
    options: list[str] = []
    answer_text, reference = None, ""
    for line in lines[1:]:
        if (m := _ANSWER.match(line)) is not None:
            answer_text = m.group("text")
        elif (m := _REFERENCE.match(line)) is not None:
            reference = m.group("text").strip()
        elif (m := _OPTION.match(line)) is not None and answer_text is None:
            if ord(m.group("letter")) - ord("A") == len(options):
                options.append(m.group("text").strip())
        elif not options and answer_text is None:
            question = f"{question} {line}".strip()
    if answer_text is None:
        return None
    return make_question(
        question,
        kind.group(1) if kind else None,
        options,
        _LETTER.findall(answer_text.upper()),
        reference,
        strict=strict,
    )


def parse_questions(text: str, *, strict: bool = False) -> list[Question]:
    """Every valid question of a model answer, in order; malformed blocks are skipped.

    Valid: a question text, at least two options lettered A, B, ... in order, an answer made
    of option letters that exist.
    """
    parsed = (_parse_block(block, strict) for block in _blocks(text))
    return [q for q in parsed if q is not None]
