"""Reading AgentWrite plans and cleaning written paragraphs: pure text, no model.

The official pipeline splits a plan into steps with
``plan.strip().replace('\\n\\n', '\\n').split('\\n')``: every line is a step. That is exact for
a planner that follows the format (GPT-4o writes one ``Paragraph k - Main Point: ... - Word
Count: N words`` line per paragraph) but turns a small model's markdown (``### Paragraph 1``,
``#### Main Point: ...``, ``---``, a "Sure! Here is..." preamble) into one paragraph per
fragment. :func:`split_plan` therefore groups lines into one step per ``Paragraph k`` label
when the plan has labels; on a well-formed plan that is the same list of steps. The official
split stays available (``official=True``), quirks included: ``'\\n\\n\\n'`` collapses to one
blank line, which becomes an empty step.
"""

from __future__ import annotations

import re

__all__ = [
    "planned_word_counts",
    "split_plan",
    "strip_paragraph_label",
]

# "Paragraph 3", "**Paragraph 3:**", "### Paragraph 3 -", "Para. 3", "段落3", "第3段"
_LABEL = re.compile(
    r"^(?P<markup>\s*(?:[#>]+\s*)?[*_]{0,2})\s*"
    r"(?:(?:paragraph|para\.?|段落)\s*(?P<k>\d+)|第\s*(?P<k2>\d+)\s*段)"
    r"[\s*_:.：\-–—]*",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*(?:[-*_=]\s*){3,}$")  # markdown horizontal rules: "---", "***"
_WORD_COUNT = re.compile(
    r"(?:word\s*count|length|字数)\s*\**\s*[:：]?\s*\**\s*\[?\s*"
    r"(?:about|approximately|approx\.?|around|~|约)?\s*(?P<n>\d[\d,]*)",
    re.IGNORECASE,
)
# A whole plan line echoed back by the writer: "Paragraph 2 - Main Point: ... - Word Count: N"
_ECHOED_STEP = re.compile(r"main\s*point\s*[:：].*word\s*count", re.IGNORECASE)


def _official_split(plan: str) -> list[str]:
    return plan.strip().replace("\n\n", "\n").split("\n")


def split_plan(plan: str, *, official: bool = False) -> list[str]:
    """The steps of a plan, one per paragraph to write, each stripped.

    Default: when some lines carry a ``Paragraph k`` label, each labelled line starts a step
    and the unlabelled lines after it (main point, word count on their own lines) are joined
    onto it with ``" - "``; lines before the first label (preambles) and horizontal rules are
    dropped. A plan without labels falls back to one step per non-blank line.
    """
    if official:
        return [step.strip() for step in _official_split(plan)]
    lines = [line.strip() for line in plan.strip().splitlines()]
    lines = [line for line in lines if line and not _RULE.match(line)]
    if not any(_LABEL.match(line) for line in lines):
        return lines
    steps: list[list[str]] = []
    for line in lines:
        if _LABEL.match(line):
            steps.append([line])
        elif steps:
            steps[-1].append(line)
    return [" - ".join(parts) for parts in steps]


def planned_word_counts(steps: list[str]) -> list[int | None]:
    """The ``Word Count: N`` of each step, or None where the planner gave none.

    Diagnostics only (planned total vs requested length): the official pipeline never parses
    them, and neither does the writing loop.
    """
    counts: list[int | None] = []
    for step in steps:
        match = _WORD_COUNT.search(step)
        counts.append(int(match.group("n").replace(",", "")) if match else None)
    return counts


def strip_paragraph_label(paragraph: str) -> str:
    """Remove the "Paragraph k" label a writer sometimes puts at the top of its paragraph.

    Only the first non-blank line is looked at: "Paragraph 3 of the statute" further down is
    content. A first line that repeats the whole plan step (main point and word count) is
    dropped; otherwise only the label goes, keeping a subtitle after it (``### Paragraph 2:
    Early Presses`` becomes ``### Early Presses``); a line left with nothing but markup goes.
    """
    lines = paragraph.strip().split("\n")
    if not lines or not lines[0].strip():
        return paragraph.strip()
    first = lines[0]
    match = _LABEL.match(first)
    if match is None:
        return paragraph.strip()
    if _ECHOED_STEP.search(first):
        rest = lines[1:]
    else:
        heading = match.group("markup").strip().strip("*_").strip()
        line = f"{heading} {first[match.end() :].strip().strip('*_ ')}".strip()
        rest = lines[1:] if not line.strip("#>*_ ") else [line, *lines[1:]]
    return "\n".join(rest).strip()
