"""IFEval checkers about layout: paragraphs, sections, bullets, highlights, JSON, wrappers.

Semantics follow google-research `instruction_following_eval/instructions.py`, quirks included
(for example the postscript regex is not anchored to a line start, and `**bold**` counts once
through the double-asterisk rule while its empty `**` pieces count nothing). Two official bugs are
fixed unless `official=True`:

* `length_constraints:nth_paragraph_first_word`: officially, blank pieces between `\\n\\n`
  separators are removed from the paragraph *count* but not from the list that `nth_paragraph`
  indexes, so "A\\n\\n\\n\\nB" has 2 paragraphs whose 2nd is blank (fails). Fixed: the n-th
  non-blank paragraph is read.
* `detectable_format:multiple_sections` and a custom `detectable_content:postscript` marker are
  literal text here (`re.escape`), raw regular expressions officially. Identical on IFEval data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "constrained_response",
    "end_checker",
    "json_format",
    "multiple_sections",
    "nth_paragraph_first_word",
    "number_bullet_lists",
    "number_highlighted_sections",
    "number_paragraphs",
    "number_placeholders",
    "postscript",
    "quotation",
    "repeat_prompt",
    "title",
    "two_responses",
]

CONSTRAINED_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")

_PLACEHOLDER = re.compile(r"\[.*?\]")
_STAR_BULLET = re.compile(r"^\s*\*[^\*].*$", flags=re.MULTILINE)
_DASH_BULLET = re.compile(r"^\s*-.*$", flags=re.MULTILINE)
_SINGLE_HIGHLIGHT = re.compile(r"\*[^\n\*]*\*")
_DOUBLE_HIGHLIGHT = re.compile(r"\*\*[^\n\*]*\*\*")
_PARAGRAPH_DIVIDER = re.compile(r"\s?\*\*\*\s?")
_TITLE = re.compile(r"<<[^\n]+>>")
_PPS = re.compile(r"\s*p\.\s?p\.\s?s.*$", flags=re.MULTILINE)
_PS = re.compile(r"\s*p\.\s?s\..*$", flags=re.MULTILINE)
_FIRST_WORD_STOP = frozenset(".,?!'\"")


def number_placeholders(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """detectable_content:number_placeholders: at least n non-greedy `[...]` (may be empty)."""
    return len(_PLACEHOLDER.findall(response)) >= kw["num_placeholders"]


def postscript(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """detectable_content:postscript: "P.S." allows "p. s."; "P.P.S" allows "p. p. s"; matched
    case-insensitively anywhere (the official regex has no line-start anchor)."""
    marker = kw["postscript_marker"].strip()
    text = response.lower()
    if marker == "P.P.S":
        pattern = _PPS
    elif marker == "P.S.":
        pattern = _PS
    else:
        body = marker.lower() if official else re.escape(marker.lower())
        try:
            pattern = re.compile(r"\s*" + body + r".*$", flags=re.MULTILINE)
        except re.error:
            return False
    return pattern.search(text) is not None


def number_bullet_lists(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """detectable_format:number_bullet_lists: lines `* x` (not `**`) plus lines `- x`, exactly n.

    A "---" rule or a "-5" line counts as a dash bullet, as officially.
    """
    found = len(_STAR_BULLET.findall(response)) + len(_DASH_BULLET.findall(response))
    return found == kw["num_bullets"]


def constrained_response(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """detectable_format:constrained_response: one of the three options occurs (case-sensitive)."""
    text = response.strip()
    return any(option in text for option in CONSTRAINED_OPTIONS)


def number_highlighted_sections(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """detectable_format:number_highlighted_sections: non-blank `*x*` plus non-blank `**x**`."""
    count = sum(1 for h in _SINGLE_HIGHLIGHT.findall(response) if h.strip("*").strip())
    # a double match is `**...**` with no inner `*`, so h[2:-2] is the official removeprefix/suffix
    count += sum(1 for h in _DOUBLE_HIGHLIGHT.findall(response) if h[2:-2].strip())
    return count >= kw["num_highlights"]


def multiple_sections(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """detectable_format:multiple_sections: pieces split on `\\s?SPLITTER\\s?\\d+\\s?`, minus 1,
    at least num_sections (case-sensitive splitter)."""
    splitter = kw["section_spliter"].strip()
    body = splitter if official else re.escape(splitter)
    try:
        sections = re.split(r"\s?" + body + r"\s?\d+\s?", response)
    except re.error:
        return False
    return len(sections) - 1 >= kw["num_sections"]


def json_format(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """detectable_format:json_format: parses as JSON after stripping one ```json/```Json/```JSON
    or ``` opening fence and one closing ``` (Python's json, so NaN is accepted)."""
    text = (
        response.strip()
        .removeprefix("```json")
        .removeprefix("```Json")
        .removeprefix("```JSON")
        .removeprefix("```")
        .removesuffix("```")
        .strip()
    )
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def title(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """detectable_format:title: some `<<...>>` on one line with non-blank content."""
    return any(t.lstrip("<").rstrip(">").strip() for t in _TITLE.findall(response))


def number_paragraphs(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """length_constraints:number_paragraphs: pieces split on `\\s?***\\s?`; a blank first or last
    piece is not counted, a blank middle piece fails; the count must equal num_paragraphs."""
    pieces = _PARAGRAPH_DIVIDER.split(response)
    count = len(pieces)
    for index, piece in enumerate(pieces):
        if not piece.strip():
            if index in (0, len(pieces) - 1):
                count -= 1
            else:
                return False
    return count == kw["num_paragraphs"]


def _first_word(paragraph: str) -> str:
    """Official first-word rule: leading ' then " stripped, cut at the first . , ? ! ' "."""
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    letters = []
    for char in word:
        if char in _FIRST_WORD_STOP:
            break
        letters.append(char.lower())
    return "".join(letters)


def nth_paragraph_first_word(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """length_constraints:nth_paragraph_first_word: non-blank pieces split on "\\n\\n" number
    exactly num_paragraphs and paragraph nth_paragraph starts with first_word (lower-cased)."""
    pieces = re.split(r"\n\n", response)
    kept = [piece for piece in pieces if piece.strip()]
    nth = kw["nth_paragraph"]
    if nth > len(kept) or nth < 1:
        return False
    paragraph = (pieces if official else kept)[nth - 1].strip()
    if not paragraph:
        return False
    wanted = kw["first_word"].lower()
    return len(kept) == kw["num_paragraphs"] and _first_word(paragraph) == wanted


def two_responses(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """combination:two_responses: split on "******"; blank pieces allowed only at either end;
    exactly two non-blank pieces that differ after strip."""
    pieces = response.split("******")
    kept = []
    for index, piece in enumerate(pieces):
        if piece.strip():
            kept.append(piece)
        elif index not in (0, len(pieces) - 1):
            return False
    return len(kept) == 2 and kept[0].strip() != kept[1].strip()


def repeat_prompt(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """combination:repeat_prompt: the stripped response starts with the stripped request,
    case-insensitively."""
    return response.strip().lower().startswith(kw["prompt_to_repeat"].strip().lower())


def end_checker(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """startend:end_checker: after strip() and stripping `"` from both ends, the lower-cased
    response ends with the lower-cased phrase."""
    return response.strip().strip('"').lower().endswith(kw["end_phrase"].strip().lower())


def quotation(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """startend:quotation: the stripped response is longer than 1 and starts and ends with `"`."""
    text = response.strip()
    return len(text) > 1 and text[0] == '"' and text[-1] == '"'
