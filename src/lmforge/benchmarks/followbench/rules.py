"""FollowBench's rule programs: the items scored by code instead of by a judge.

Which items (official ``rule_based_evaluation.py``): the sources ``RULE_SOURCES``, format
examples 22 and 30, and the whole ``example`` category (the response must full-match the
target template, ``{answer}`` being a wildcard). Each check returns one boolean for the whole
level; the official code adds that boolean to both the hard and the soft satisfaction sums,
and so does :mod:`~lmforge.benchmarks.followbench.metrics`.

The checks are written from the official definitions (sentence = a non-empty piece between
``.``, ``!``, ``?``; words = ``split(' ')`` where the official code uses it, else
``split()``; word match with ``\\b``), quirks included, with one fix:

* Format example 22 asks for three numbered paragraphs whose sentences all have over 20
  words (levels 3-5), then "Those are suggestions" at the end (level 5). Officially the
  number marker "1." splits off a one-word sentence "1", so no numbered answer passes level 4;
  and level 5 demands four paragraphs that *all* start with a number and all sentences over
  20 words, so the closing words fail it too. By default the markers are not counted as
  sentences, and at level 5 the closing phrase (optionally followed by ``.``/``!``) is removed
  and the rest must pass the level-4 checks; ``official=True`` keeps the original checks.
* ``example`` templates: the ``{answer}`` wildcard spans newlines (see :func:`template_match`).
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Callable

from lmforge.benchmarks.followbench.data import FBItem

__all__ = ["RULE_SOURCES", "is_rule_checked", "rule_check", "template_match"]

RULE_SOURCES = frozenset(
    {
        "E2E", "WIKIEVENTS", "CONLL2003", "text_editing", "cnn_dailymail", "xsum", "samsum",
        "gigaword", "arxiv", "BBH_logical", "BBH_time", "self_made_space", "gsm_8k",
    }
)  # fmt: skip
RULE_FORMAT_IDS = frozenset({22, 30})
_CLOSING = "Those are suggestions"


def is_rule_checked(item: FBItem) -> bool:
    """Whether the official code scores this item by a program (else by the judge)."""
    return (
        item.category == "example"
        or item.source in RULE_SOURCES
        or (item.category == "format" and item.example_id in RULE_FORMAT_IDS)
    )


# --------------------------------------------------------------------------- text helpers


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"[.!?]", text) if s]


def _has_word(text: str, word: str) -> bool:
    return re.search(r"\b" + re.escape(word) + r"\b", text) is not None


def _all_sentences_under(text: str, limit: int) -> bool:
    return all(len(s.split()) < limit for s in _sentences(text))


def _all_sentences_over(text: str, limit: int) -> bool:
    return all(len(s.split()) > limit for s in _sentences(text))


def _nth_sentence(text: str, n: int, test: Callable[[str], bool]) -> bool:
    sentences = _sentences(text)
    return len(sentences) >= n and test(sentences[n - 1])


def _space_words(text: str) -> int:
    return len(text.split(" "))


def _punctuation(text: str) -> int:
    return sum(ch in string.punctuation for ch in text)


def _last_match(pattern: str, text: str, target: str) -> bool:
    found = re.findall(pattern, text)
    return bool(found) and found[-1] == target


# --------------------------------------------------------------------------- per source


def _cumulative(checks: list[Callable[[str], bool]]) -> Callable[[str, int], bool]:
    """Level n passes when the first n checks pass: each level adds one constraint."""
    return lambda text, level: all(check(text) for check in checks[:level])


_CNN = _cumulative([
    lambda t: len(_sentences(t)) == 3,
    lambda t: _all_sentences_under(t, 15),
    lambda t: _nth_sentence(t, 1, lambda s: _has_word(s, "Potter"))
    and _nth_sentence(t, 2, lambda s: _has_word(s, "actor"))
    and _nth_sentence(t, 3, lambda s: _has_word(s, "films")),
    lambda t: not _nth_sentence(t, 2, lambda s: _has_word(s, "lavish")),
    lambda t: _nth_sentence(t, 3, lambda s: re.search(r"\b(has|have)\s+\w+", s) is not None),
])  # fmt: skip
_XSUM = _cumulative([
    lambda t: len(_sentences(t)) == 1,
    lambda t: _space_words(t) < 20,
    lambda t: not _has_word(t, "Newton Stewart"),
    lambda t: re.search(r"\b(am|is|are)\s+\w+ing\b", t) is not None,
    lambda t: _has_word(t, "operation"),
])  # fmt: skip
_SAMSUM = _cumulative([
    lambda t: len(_sentences(t)) == 1,
    lambda t: _space_words(t) < 15,
    lambda t: _has_word(t, "stuff"),
    lambda t: re.search("procrast", t, re.IGNORECASE) is None,
    lambda t: _punctuation(t) == 1,
])  # fmt: skip
_GIGAWORD = _cumulative([
    lambda t: _space_words(t) == 8,
    lambda t: _punctuation(t) == 0,
    lambda t: t.islower(),
    lambda t: not _has_word(t, "bus"),
    lambda t: _has_word(t, "in"),
])  # fmt: skip
_ARXIV = _cumulative([
    lambda t: len(_sentences(t)) == 1,
    lambda t: _space_words(t) <= 20,
    lambda t: t[:2] == "We",
    lambda t: _has_word(t, "activations"),
    lambda t: not _has_word(t, "transformer"),
])  # fmt: skip


def _wikievents(text: str, target: str) -> bool:
    allowed = target.split("\n")
    return all(line in allowed for line in text.split("\n"))


def _conll(text: str, target: str) -> bool:
    try:
        names = ast.literal_eval(target)
    except (ValueError, SyntaxError):
        return False
    return text in names


_BY_TARGET: dict[str, Callable[[str, str], bool]] = {
    "E2E": lambda t, target: t == target,
    "text_editing": lambda t, target: t == target,
    "WIKIEVENTS": _wikievents,
    "CONLL2003": _conll,
    "BBH_logical": lambda t, target: _last_match(r"\([A-Z]\)", t, target),
    "BBH_time": lambda t, target: _last_match(r"\d{2}/\d{2}/\d{4}", t, target),
    "gsm_8k": lambda t, target: _last_match(r"\$\d+", t, target),
    "self_made_space": lambda t, target: target in t,
}
_BY_LEVEL: dict[str, Callable[[str, int], bool]] = {
    "cnn_dailymail": _CNN,
    "xsum": _XSUM,
    "samsum": _SAMSUM,
    "gigaword": _GIGAWORD,
    "arxiv": _ARXIV,
}


# --------------------------------------------------------------------------- format 22 / 30


def _numbered(text: str) -> bool:
    paragraphs = (p.lstrip() for p in text.split("\n\n"))
    return all(re.match(r"\d+\.", p) for p in paragraphs if p)


def _three_paragraphs(text: str, level: int, official: bool) -> bool:
    """Levels 1-4 of format example 22 (three short paragraphs, long sentences, numbered)."""
    parts = text.split("\n\n")
    if not official:  # a "1." marker is not a one-word sentence
        parts = [re.sub(r"\A(\s*)\d+\.", r"\1", p) for p in parts]
    prose = "\n\n".join(parts)
    checks = [
        lambda: len(parts) == 3,
        lambda: all(len(_sentences(p)) < 3 for p in parts[:3]),
        lambda: _all_sentences_over(prose, 20),
        lambda: _numbered(text),
    ]
    return all(check() for check in checks[:level])


def _format_22(text: str, level: int, official: bool) -> bool:
    if level < 5:
        return _three_paragraphs(text, level, official)
    if official:  # four paragraphs, all numbered, all sentences > 20 words: unsatisfiable
        parts = text.split("\n\n")
        return (
            len(parts) == 4
            and all(len(_sentences(p)) < 3 for p in parts[:3])
            and _all_sentences_over(text, 20)
            and _numbered(text)
            and text.endswith(_CLOSING)
        )
    body = re.sub(re.escape(_CLOSING) + r"[.!]?\s*\Z", "", text)
    return body != text and _three_paragraphs(body.rstrip(), 4, official)


def _format_30(text: str, level: int) -> bool:
    """Five cumulative checks of the official ``check_format_30``, in its order."""
    sentences = re.split(r"(?<!\w\.\w.)(?<![A-Z][a-z]\.)(?<=\.|\?)\s", text)
    points = [s for s in sentences if any(f"{n}." in s for n in range(1, 6))]
    checks = [
        lambda: "**" in text,
        lambda: len(re.findall(r"\*\*[\d].+?:", text)) == 5,
        lambda: all(len(s.split(".")) < 3 for s in points),
        lambda: all(10 <= len(s.split()) <= 15 for s in sentences),
        lambda: all(not w.endswith("-ly") for s in sentences for w in s.split()),
    ]
    return all(check() for check in checks[:level])


# --------------------------------------------------------------------------- example category


def template_match(target: str, response: str, *, official: bool = False) -> bool:
    """Whether ``response`` full-matches an ``example`` target with ``{answer}`` as ``.*``.

    As officially: ``{instruction}\\n`` is dropped, ``{{``/``}}`` unescaped, the rest literal.
    Officially ``.`` does not cross newlines, so a correct multi-line answer (the billsum
    items' expected answers span lines) fails; by default the wildcard spans lines, and
    ``official=True`` keeps the single-line behaviour.
    """
    template = target.replace("{instruction}\n", "")
    template = template.replace("{{", "{").replace("}}", "}").replace("{answer}", ".*")
    pattern = re.escape(template).replace("\\.\\*", ".*")
    return re.fullmatch(pattern, response, 0 if official else re.DOTALL) is not None


def rule_check(item: FBItem, response: str, *, official: bool = False) -> bool:
    """Whether ``response`` satisfies every constraint of ``item`` (a rule-checked item).

    ``official`` reproduces the official format-22 level-5 check and single-line example
    wildcard (see the module docstring and :func:`template_match`).
    Raises ``ValueError`` for an item that the official code sends to the judge.
    """
    if item.category == "example":
        return template_match(item.target, response, official=official)
    if item.source in _BY_TARGET:
        return _BY_TARGET[item.source](response, item.target)
    if item.source in _BY_LEVEL:
        return _BY_LEVEL[item.source](response, item.level)
    if item.category == "format" and item.example_id == 22:
        return _format_22(response, item.level, official)
    if item.category == "format" and item.example_id == 30:
        return _format_30(response, item.level)
    raise ValueError(f"FollowBench item {item.key} is judged by a model, not by a rule")
