"""Text clean-up and the JSON extraction ladder: structured answers out of free-form model text.

Models wrap JSON in prose and code fences, truncate it at ``max_tokens`` and put draft answers in
their reasoning. Every stage that asks for JSON goes through :func:`extract_json` (usually
imported from :mod:`lmforge.pipeline.parse`) so the tolerance, and the accounting of what it had
to tolerate, is the same everywhere.

JSON ladder, cheapest and most faithful rung first (``RUNGS``):

1. ``whole``  -- the text (after dropping a reasoning block) is JSON;
2. ``fence``  -- the body of a fenced code block (json-tagged fences first) is JSON;
3. ``scan``   -- the first balanced ``{...}`` / ``[...]`` span that parses, found by a string- and
   escape-aware bracket scan, so brackets inside strings and prose do not confuse it;
4. ``repair`` -- ``json_repair`` on an unterminated tail that starts like JSON (truncated
   output), then on the spans that did not parse (single quotes, trailing commas). Reaching
   this rung means the output was not valid JSON: parse accounting reads
   :attr:`Extraction.rung`.

Every failure raises :class:`ParseFailure` (never returns ``None``): the runner turns it into an
error row that keeps the raw text, and ``ParseFailure.reason`` is a short stable phrase that
groups well in reports. The rating and verdict parsers in :mod:`lmforge.pipeline.parse` raise it
too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lmforge.errors import ParseFailure

__all__ = [
    "RUNGS",
    "Extraction",
    "ParseFailure",
    "extract_json",
    "extract_json_with_rung",
    "fenced_blocks",
    "strip_fences",
    "strip_thinking",
]

RUNGS: tuple[str, ...] = ("whole", "fence", "scan", "repair")

# Bounds that keep pathological outputs (thousands of brackets) linear-ish.
_MAX_CANDIDATES = 256
_MAX_RESCANS = 8


@dataclass(frozen=True)
class Extraction:
    """A parsed value and the rung of the ladder that produced it."""

    value: Any
    rung: str


# --------------------------------------------------------------------------- text clean-up

_THINK_BLOCK = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think(?:ing)?>", re.IGNORECASE)
_FENCE = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w.+-]*)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)",
    re.DOTALL | re.MULTILINE,
)
_JSON_TAGS = {"json", "jsonc", "json5", "jsonl", "javascript", "js"}


def strip_thinking(text: str) -> str:
    """Drop ``<think>...</think>`` reasoning so drafts inside it are not taken as the answer.

    Reasoning models (Qwen3, DeepSeek-R1) often emit a draft JSON or verdict while thinking.
    Some servers put the opening tag in the prompt, so a lone ``</think>`` also ends the
    reasoning: everything up to the last one is dropped. An unclosed ``<think>`` (truncated
    output) is left alone -- there is no answer after it to prefer.
    """
    text = _THINK_BLOCK.sub("", text)
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        text = text[closes[-1].end() :]
    return text


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """Every fenced code block as ``(language tag, body)``, in order.

    A fence left open by truncation runs to the end of the text, so a cut-off answer is still
    found.
    """
    return [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(text)]


def strip_fences(text: str) -> str:
    """The body of a text that is one fenced block; any other text unchanged.

    Models fence answers they were asked to give bare (code, a rewritten paragraph). Only a
    fence that wraps the whole text is removed: prose around a fence is content.
    """
    stripped = text.strip()
    match = _FENCE.match(stripped)
    if match is None or stripped[match.end() :].strip():
        return text
    return match.group(3).rstrip("\n")


# --------------------------------------------------------------------------- JSON ladder


def extract_json(text: str, *, expect: type | None = None) -> Any:
    """The JSON value in a model's answer (see the module docstring for the ladder).

    ``expect`` (``dict`` or ``list``) skips candidates of the other type instead of returning
    them, so ``{"items": [...]}`` is not mistaken for the list a prompt asked for.
    """
    return extract_json_with_rung(text, expect=expect).value


def extract_json_with_rung(text: str, *, expect: type | None = None) -> Extraction:
    """Like :func:`extract_json` but also says which rung succeeded, for parse accounting."""
    if expect not in (None, dict, list):
        raise TypeError(f"expect must be dict, list or None, not {expect!r}")
    if not isinstance(text, str):
        raise ParseFailure("not text", repr(text), f"got {type(text).__name__}")
    body = strip_thinking(text).lstrip("\ufeff").strip()
    if not body:
        raise ParseFailure("empty output", text)
    for rung, value in _ladder(body, expect):
        return Extraction(value, rung)
    wanted = "JSON" if expect is None else f"a JSON {'object' if expect is dict else 'array'}"
    raise ParseFailure("no JSON found", text, f"no {wanted} in {len(text)} characters")


def _ladder(body: str, expect: type | None) -> Iterator[tuple[str, Any]]:
    """Yield ``(rung, value)`` for every acceptable candidate, best first; the caller takes one."""
    ok = (lambda v: isinstance(v, expect)) if expect else (lambda v: True)
    value = _loads(body)
    if value is not _FAIL and ok(value):
        yield "whole", value
    fences = fenced_blocks(body)
    fences.sort(key=lambda f: f[0] not in _JSON_TAGS)
    for _, fence_body in fences:
        value = _loads(fence_body.strip())
        if value is not _FAIL and ok(value):
            yield "fence", value
    spans, unclosed = _bracket_spans(body)
    tails = [t for t in unclosed if _TRUNCATED_START.match(body, t)]
    # Complete objects inside a truncated one are its elements, not the answer: repair instead.
    inner_limit = tails[0] if tails else len(body)
    outer = [span for span in spans if span[0] < inner_limit]
    unparsed: list[tuple[int, int]] = []
    yield from (("scan", v) for v in _parse_spans(body, outer, ok, unparsed))
    candidates = [body[t:] for t in tails]
    candidates += [body[s:e] for s, e in unparsed if _REPAIRABLE.search(body, s, e)]
    yield from (("repair", v) for v in _repaired(candidates[:_MAX_CANDIDATES], ok))


_FAIL = object()  # not None: ``null`` is a legitimate JSON value
# An unclosed bracket that starts like JSON (a key and colon, or a first array element) is
# truncated output; one that starts like prose ("use {braces}") is not worth repairing.
_TRUNCATED_START = re.compile(
    r"""\{\s*(["'])[^"'\n]*\1\s*:|\[\s*(?:[\[{]|(["'])[^"'\n]*\2\s*[,\]]|-?\d)"""
)
_JSON_START = re.compile(r'\{\s*["}]|\[\s*[\[\]{"\d.tfn-]')
# Spans json_repair may turn into something meaningful; "[see above]" would become a list.
_REPAIRABLE = re.compile(r"""["':]|\[\s*-?\d[\d\s,.eE+-]*\]""")


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _FAIL


def _bracket_spans(text: str) -> tuple[list[tuple[int, int]], list[int]]:
    """Balanced bracket spans ``(start, end)`` sorted outer-first, and unclosed brackets.

    Quotes only open strings inside brackets: prose quotes (``he said "hi"``) must not swallow
    the JSON that follows. A stray quote inside an unclosed bracket can still derail one pass,
    so the scan restarts after the outermost unclosed bracket a bounded number of times.
    """
    spans: set[tuple[int, int]] = set()
    unclosed: list[int] = []
    pos = 0
    for _ in range(_MAX_RESCANS):
        found, still_open = _scan_once(text, pos)
        spans.update(found)
        if still_open is None:
            break
        unclosed.append(still_open)
        pos = still_open + 1
    return sorted(spans, key=lambda s: (s[0], -s[1])), unclosed


def _scan_once(text: str, pos: int) -> tuple[list[tuple[int, int]], int | None]:
    """One left-to-right pass; returns spans closed and the outermost still-open bracket."""
    pairs = {"}": "{", "]": "["}
    stack: list[tuple[str, int]] = []
    spans: list[tuple[int, int]] = []
    in_string = escaped = False
    for i in range(pos, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch in "{[":
            stack.append((ch, i))
        elif not stack:
            continue
        elif ch == '"':
            in_string = True
        elif ch in pairs:
            if stack[-1][0] == pairs[ch]:
                spans.append((stack.pop()[1], i + 1))
            else:  # mismatched closer: whatever was open is not JSON
                stack.clear()
    return spans, (stack[0][1] if stack else None)


def _parse_spans(
    text: str, spans: list[tuple[int, int]], ok: Any, unparsed: list[tuple[int, int]]
) -> Iterator[Any]:
    """Parse spans in order; the inside of a span that parsed (to the wrong type) is skipped.

    Only spans that start like JSON are parsed, at most ``_MAX_CANDIDATES`` of them, so prose
    full of ``[1]`` and ``{x}`` stays linear. The rest go to ``unparsed`` for the repair rung.
    """
    covered_until = -1
    attempts = 0
    for start, end in spans:
        if start < covered_until:
            continue
        if attempts >= _MAX_CANDIDATES or not _JSON_START.match(text, start):
            unparsed.append((start, end))
            continue
        attempts += 1
        value = _loads(text[start:end])
        if value is _FAIL:
            unparsed.append((start, end))
            continue
        covered_until = end
        if ok(value):
            yield value


def _repaired(candidates: list[str], ok: Any) -> Iterator[Any]:
    """``json_repair`` each candidate (bad quotes, trailing commas, truncation)."""
    from json_repair import repair_json

    for candidate in candidates:
        try:
            value = repair_json(candidate, return_objects=True)
        except Exception:  # a bug in the repairer must not hide the ParseFailure
            continue
        if isinstance(value, (dict, list)) and value and ok(value):
            yield value
