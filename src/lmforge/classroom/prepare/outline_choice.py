"""The outline builder's ``choice`` answers: one constrained decision per page.

The official builder asks the model to copy the outline down to the new page (``trace``
answers, :mod:`.outline`). A 0.5B model almost never writes a legal trace, so
every page ended up placed by the fallback rule. Here the model only decides what the rules
leave open: whether the page continues the open section or starts a new one (and its title).
The reply is requested under a JSON schema whose ``section`` field can only be the open
section's title or ``NEW SECTION``, so a backend with constrained decoding (llama.cpp, vLLM)
always returns a parseable decision; free-text backends go through the JSON ladder. After
flattening, the agenda is root -> sections -> pages either way, so nothing the trace could
express is lost.
"""

from __future__ import annotations

import re
from typing import Any

from lmforge.errors import ChoiceError
from lmforge.llm.types import Message
from lmforge.pipeline.jsonladder import ParseFailure, extract_json
from lmforge.pipeline.prompts import load_prompt

__all__ = ["NEW_SECTION", "ChoiceError", "choice_messages", "choice_schema", "parse_choice"]

NEW_SECTION = "NEW SECTION"
TITLE_CHARS = 60


def choice_schema(open_title: str | None) -> dict[str, Any]:
    """The reply's JSON schema: only the legal decisions are spellable."""
    options = [open_title, NEW_SECTION] if open_title else [NEW_SECTION]
    return {
        "type": "object",
        "properties": {
            "section": {"type": "string", "enum": options},
            "new_title": {"type": "string", "maxLength": TITLE_CHARS},
        },
        "required": ["section", "new_title"],
        "additionalProperties": False,
    }


def choice_messages(
    *,
    root: str,
    sections: list[tuple[str, int]],
    open_title: str | None,
    open_pages: list[str],
    page_line: str,
    lookahead: list[str],
    problem: str | None,
) -> list[Message]:
    """The request: closed sections with their sizes, the open one with its pages, the page."""
    messages = load_prompt("lmforge.classroom", "outline_choice").messages(
        root=root,
        sections=sections,
        open_title=open_title,
        open_pages=open_pages,
        page_line=page_line,
        lookahead=lookahead,
        problem=problem,
        new_section=NEW_SECTION,
    )
    return [Message(**m) for m in messages]


_ECHO = re.compile(r"\(\s*\d+\s+pages?\s*\)|^\W*new\s*section\W*$|^\W*ne\w*section\b", re.I)


def _short_title(text: str, max_words: int = 8) -> str:
    """A section title: what comes before a colon (small models copy "Title: body"
    descriptions), without the prompt's "(N pages)" tags or an echoed NEW SECTION, whole
    words only, within the schema's length; "" when nothing is left (the page names it)."""
    text = _ECHO.sub("", text)
    head = text.split(":", 1)[0] if ":" in text.strip(":") else text
    words, out = head.split()[:max_words], []
    for word in words:
        if len(" ".join([*out, word])) > TITLE_CHARS:
            break
        out.append(word)
    title = " ".join(out).strip(" -,.;")
    return title if any(c.isalpha() for c in title) else ""


def parse_choice(text: str, open_title: str | None) -> str | None:
    """``None`` to continue the open section, else the title of the new section ("" when the
    model gave none: the caller names it after the page)."""
    try:
        reply = extract_json(text, expect=dict)
    except ParseFailure as exc:
        raise ChoiceError(f"the answer is not the JSON object asked for ({exc.reason})") from exc
    section = str(reply.get("section", "")).strip()
    title = _short_title(str(reply.get("new_title") or ""))
    if open_title and section.casefold() == open_title.casefold():
        return None
    if section.casefold() == NEW_SECTION.casefold():
        return title
    raise ChoiceError(
        f'"section" must be {f"{open_title!r} or " if open_title else ""}"{NEW_SECTION}"'
    )
