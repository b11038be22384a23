"""LLM-written constraint types whose text can be checked by code when its wording is clear.

Each class reads its parameters from the sentence (`parse`) and checks them; when the sentence is
vague (no quoted phrase, several formats, a negation, an example rather than a requirement) the
parameter stays None and `check` returns None: a judge must decide. The three purely semantic
types (style, theme, ordering) are registered too, so that they get their official key, but they
never verify.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar, Literal

from .base import Constraint, GenericConstraint, register
from .textcues import count_before, is_example, languages_named, negated, quoted_phrases
from .tokens import ResponseView, as_view

__all__ = [
    "DesiredWritingStyle",
    "HierarchicalInstructions",
    "ItemListingConstraint",
    "KeyFormattingConstraint",
    "MorphologicalConstraint",
    "MultilingualConstraint",
    "ParagraphsConstraint",
    "SemanticElements",
    "SpecialOutputFormatConstraint",
    "SpecificSentenceConstraint",
]


@register
class DesiredWritingStyle(GenericConstraint):
    key: ClassVar[str] = "Desired_Writing_Style"


@register
class SemanticElements(GenericConstraint):
    key: ClassVar[str] = "Semantic_elements"


@register
class HierarchicalInstructions(GenericConstraint):
    key: ClassVar[str] = "Hierarchical_Instructions"


@register
class MultilingualConstraint(Constraint):
    """The response is in `language` (a langdetect code), detected with seeded langdetect."""

    key: ClassVar[str] = "Multi-lingual_Constraints"
    language: str | None = None

    @property
    def verifiable(self) -> bool:
        return self.language is not None

    def check(self, response: str | ResponseView) -> bool | None:
        if self.language is None:
            return None
        return as_view(response).language.startswith(self.language)

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        named = languages_named(text)
        return {"language": named.pop()} if len(named) == 1 else {}


_START_CUE = re.compile(r"\b(begin\w*|start\w*|first|open\w*)\b", re.I)
_END_CUE = re.compile(r"\b(end\w*|conclu\w*|last|final\w*|finish\w*|clos\w*)\b", re.I)
_LEADING_MARKUP = re.compile(r"^[\s#*>_\-\"'“‘`]+")


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


@register
class SpecificSentenceConstraint(Constraint):
    """A quoted phrase opens the response (`start`) or its last two lines (`end`)."""

    key: ClassVar[str] = "Specific_Sentence"
    phrase: str | None = None
    position: Literal["start", "end"] | None = None

    @property
    def verifiable(self) -> bool:
        return self.phrase is not None and self.position is not None

    def check(self, response: str | ResponseView) -> bool | None:
        if self.phrase is None or self.position is None:
            return None
        view = as_view(response)
        phrase = _fold(self.phrase)
        if self.position == "start":
            return _fold(_LEADING_MARKUP.sub("", view.text)).startswith(phrase)
        return phrase in _fold(" ".join(view.lines[-2:]))

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        """The first quoted phrase that is not an example; position from the nearest cue before
        it ("start with", "conclude with"); a trailing ellipsis is dropped (a prefix is meant)."""
        for offset, phrase in quoted_phrases(text):
            if is_example(text, offset) or len(phrase.split()) < 2:
                continue
            before = text[:offset]
            starts = [m.start() for m in _START_CUE.finditer(before)]
            ends = [m.start() for m in _END_CUE.finditer(before)]
            if not starts and not ends:
                return {}
            position = "end" if max(ends, default=-1) > max(starts, default=-1) else "start"
            if ends and starts and re.search(r"\bconclu\w*|\blast\b|\bfinal\w*", before, re.I):
                position = "end"  # "the conclusion should start with '...'"
            return {"phrase": phrase.rstrip().removesuffix("...").rstrip("…"), "position": position}
        return {}


_MARKERS = {
    "•": (re.compile(r"•"), re.compile(r"^\s*•", re.M)),
    "-": (
        re.compile(r"\bhyphens?\b|\bdash(es)?\b|\(-\)|'-'|\"-\"", re.I),
        re.compile(r"^\s*-\s", re.M),
    ),
    "*": (re.compile(r"\basterisks?\b|\(\*\)", re.I), re.compile(r"^\s*\*\s", re.M)),
    "1.": (
        re.compile(r"\bnumber(ed|s)?\b|\b1\.|\bnumerals?\b", re.I),
        re.compile(r"^\s*\(?\d+[.):]", re.M),
    ),
}


@register
class ItemListingConstraint(Constraint):
    """List items use `marker` (•, -, * or 1.): at least one line starts with it."""

    key: ClassVar[str] = "Item_Listing_Details"
    marker: Literal["•", "-", "*", "1."] | None = None

    @property
    def verifiable(self) -> bool:
        return self.marker is not None

    def check(self, response: str | ResponseView) -> bool | None:
        if self.marker is None:
            return None
        return bool(_MARKERS[self.marker][1].search(as_view(response).text))

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        if negated(text):
            return {}
        named = [m for m, (cue, _) in _MARKERS.items() if cue.search(text)]
        return {"marker": named[0]} if len(named) == 1 else {}


@register
class ParagraphsConstraint(Constraint):
    """Paragraph/section count and/or the `******` separator.

    With `******` the parts between separators are counted; otherwise blank-line blocks, or
    non-empty lines when the sentence does not insist on blank lines (LLM writers use "paragraph"
    for both; a response that satisfies either reading passes).
    """

    key: ClassVar[str] = "Paragraphs_Constraints"
    count: int | None = None
    relation: Literal["exactly", "at_least", "at_most"] = "exactly"
    separator: str | None = None
    blank_lines_only: bool = False

    @property
    def verifiable(self) -> bool:
        return self.count is not None or self.separator is not None

    def _counts(self, view: ResponseView) -> list[int]:
        if self.separator is not None:
            return [sum(1 for p in view.text.split(self.separator) if p.strip())]
        counts = [len(view.blocks)]
        return counts if self.blank_lines_only else [*counts, len(view.lines)]

    def check(self, response: str | ResponseView) -> bool | None:
        if not self.verifiable:
            return None
        view = as_view(response)
        if self.separator is not None and self.separator not in view.text:
            return False
        if self.count is None:
            return True
        ok = {
            "exactly": lambda n: n == self.count,
            "at_least": lambda n: n >= self.count,
            "at_most": lambda n: n <= self.count,
        }[self.relation]
        return any(ok(n) for n in self._counts(view))

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "******" in text:
            out["separator"] = "******"
        found = count_before(text, r"paragraphs?|sections?|parts?")
        if found is not None:
            out["count"], out["relation"] = found
            out["blank_lines_only"] = bool(re.search(r"\b(blank|empty) lines?\b", text, re.I))
        return out


def _is_json(text: str) -> bool:
    fenced = re.findall(r"```(?:json)?\s*\n(.*?)```", text, re.S)
    for candidate in [text.strip(), *fenced]:
        try:
            json.loads(candidate)
            return True
        except ValueError:
            continue
    return False


_FORMATS = {
    "json": (re.compile(r"\bjson\b", re.I), _is_json),
    "table": (
        re.compile(r"\btables?\b|\btabular\b", re.I),
        lambda t: (
            bool(re.search(r"^\s*\|?\s*:?-{3,}:?\s*\|", t, re.M))
            and len(re.findall(r"^\s*\|.*\|\s*$", t, re.M)) >= 2
        ),
    ),
    "code": (
        re.compile(r"\bcode\b|```|\bpython\b", re.I),
        lambda t: t.count("```") >= 2,
    ),
    "html": (
        re.compile(r"\bhtml\b", re.I),
        lambda t: bool(re.search(r"<(html|body|div|p|table|ul|ol|li|h[1-6]|span)\b", t, re.I)),
    ),
    "latex": (
        re.compile(r"\blatex\b", re.I),
        lambda t: bool(re.search(r"\\[a-zA-Z]+\{|\$[^$\n]+\$", t)),
    ),
}


@register
class SpecialOutputFormatConstraint(Constraint):
    """The response is (or contains, for code/table/HTML/LaTeX) the named output format."""

    key: ClassVar[str] = "Special_Output_Format"
    format: Literal["json", "table", "code", "html", "latex"] | None = None

    @property
    def verifiable(self) -> bool:
        return self.format is not None

    def check(self, response: str | ResponseView) -> bool | None:
        if self.format is None:
            return None
        return bool(_FORMATS[self.format][1](as_view(response).text))

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        if negated(text):
            return {}
        named = [name for name, (cue, _) in _FORMATS.items() if cue.search(text)]
        return {"format": named[0]} if len(named) == 1 else {}


_STYLES = {
    "bold": (re.compile(r"\bbold\w*|\*\*", re.I), re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")),
    "italic": (
        re.compile(r"\bitalic\w*", re.I),
        re.compile(r"(?<![*\w])\*[^*\s][^*\n]*\*(?!\*)|(?<![_\w])_[^_\s][^_\n]*_(?![_\w])"),
    ),
    "caps": (
        re.compile(r"\bcapital letters\b|\bCAPS\b|\buppercase\b|\ball capitals\b", re.I),
        re.compile(r"\b[A-Z]{2,}\b"),
    ),
}


@register
class KeyFormattingConstraint(Constraint):
    """Every requested emphasis style (bold, italic, CAPS) occurs at least once."""

    key: ClassVar[str] = "Key_Formatting"
    styles: tuple[Literal["bold", "italic", "caps"], ...] | None = None

    @property
    def verifiable(self) -> bool:
        return bool(self.styles)

    def check(self, response: str | ResponseView) -> bool | None:
        if not self.styles:
            return None
        text = as_view(response).text
        return all(_STYLES[s][1].search(text) for s in self.styles)

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        if negated(text):
            return {}
        named = tuple(s for s, (cue, _) in _STYLES.items() if cue.search(text))
        return {"styles": named} if named else {}


@register
class MorphologicalConstraint(Constraint):
    """None of the quoted `forbidden` words/phrases occurs (whole words, any case)."""

    key: ClassVar[str] = "Morphological_Constraints"
    forbidden: tuple[str, ...] | None = None

    @property
    def verifiable(self) -> bool:
        return bool(self.forbidden)

    def check(self, response: str | ResponseView) -> bool | None:
        if not self.forbidden:
            return None
        text = as_view(response).text
        return not any(
            re.search(r"(?<!\w)" + re.escape(w) + r"(?!\w)", text, re.I) for w in self.forbidden
        )

    @classmethod
    def parse(cls, text: str) -> dict[str, Any]:
        """Only quoted items after a forbidding verb are read; "such as" lists count, since
        they name what to avoid."""
        verb = re.search(r"\b(avoid|refrain|do not use|don't use|exclude|never use)\b", text, re.I)
        if verb is None:
            return {}
        found = tuple(p for pos, p in quoted_phrases(text) if pos > verb.start())
        return {"forbidden": found} if found else {}
