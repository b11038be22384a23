"""IFEval checkers about words, letters, case, language and length.

Each checker takes the response, the instruction's normalised kwargs (see `registry`) and
`official`. Semantics follow google-research `instruction_following_eval/instructions.py`; the
only deliberate difference (`official=False`, the default) is that keywords are matched as
literal text (`re.escape`) instead of being used as raw regular expressions, which the official
code does by accident: a keyword such as "C++" or "(x)" would crash or mis-match there. For the
plain-word keywords of the IFEval data the two give identical results.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from lmforge.benchmarks.ifeval.textutil import count_sentences, ifeval_word_count, word_tokenize
from lmforge.text.lang import detect_language_or_none as detect_language

__all__ = [
    "capital_word_frequency",
    "compare",
    "detect_language",
    "english_capital",
    "english_lowercase",
    "forbidden_words",
    "keyword_frequency",
    "keywords_existence",
    "letter_frequency",
    "no_comma",
    "number_sentences",
    "number_words",
    "response_language",
]

LESS_THAN = "less than"
AT_LEAST = "at least"
RELATIONS = (LESS_THAN, AT_LEAST)


def compare(count: int, threshold: int, relation: str) -> bool:
    """IFEval's two relations: "less than" is `<`, "at least" is `>=`."""
    return count < threshold if relation == LESS_THAN else count >= threshold


def _pattern(text: str, official: bool) -> str:
    return text if official else re.escape(text)


def _search(pattern: str, text: str) -> bool:
    """Case-insensitive search; an invalid official-mode regex counts as not found, not a crash."""
    try:
        return re.search(pattern, text, flags=re.IGNORECASE) is not None
    except re.error:
        return False


def keywords_existence(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """keywords:existence: every keyword occurs, case-insensitive, as a substring (no \\b)."""
    return all(_search(_pattern(word, official), response) for word in sorted(kw["keywords"]))


def keyword_frequency(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """keywords:frequency: case-insensitive substring occurrences (`re.findall`) vs frequency."""
    try:
        found = re.findall(_pattern(kw["keyword"].strip(), official), response, flags=re.I)
    except re.error:
        found = []
    return compare(len(found), kw["frequency"], kw["relation"])


def forbidden_words(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """keywords:forbidden_words: none occurs as a whole word (`\\bword\\b`), case-insensitive."""
    words = sorted(set(kw["forbidden_words"]))
    return not any(_search(r"\b" + _pattern(word, official) + r"\b", response) for word in words)


def letter_frequency(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """keywords:letter_frequency: count of the (lower-cased) character in the lower-cased text.

    Any single character is honoured ("#" and "!" occur in IFEval), as in the current official
    code; older official versions and lm-eval's copy replace a non a-z letter by a random one.
    """
    letter = kw["letter"].strip().lower()
    return compare(Counter(response.lower())[letter], kw["let_frequency"], kw["let_relation"])


def response_language(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """language:response_language: langdetect's code equals the kwarg; undetectable passes
    (the official checker logs the exception and returns True)."""
    found = detect_language(response)
    return found is None or found == kw["language"]


def english_capital(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """change_case:english_capital: `str.isupper()` and langdetect says "en".

    Official order: `isupper()` is tested first (a mixed-case text fails without detection);
    when langdetect raises, the instruction counts as followed.
    """
    if not response.isupper():
        return False
    found = detect_language(response)
    return found is None or found == "en"


def english_lowercase(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """change_case:english_lowercase: `str.islower()` and langdetect "en" (raise -> passes)."""
    if not response.islower():
        return False
    found = detect_language(response)
    return found is None or found == "en"


def capital_word_frequency(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """change_case:capital_word_frequency: tokens (nltk word_tokenize) with `isupper()`."""
    count = sum(1 for token in word_tokenize(response) if token.isupper())
    return compare(count, kw["capital_frequency"], kw["capital_relation"])


def no_comma(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """punctuation:no_comma: no ASCII comma anywhere (a full-width '，' is allowed)."""
    return "," not in response


def number_sentences(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """length_constraints:number_sentences: Punkt sentence count vs num_sentences."""
    return compare(count_sentences(response), kw["num_sentences"], kw["relation"])


def number_words(response: str, kw: Mapping[str, Any], official: bool) -> bool:
    """length_constraints:number_words: `\\w+` token count vs num_words."""
    return compare(ifeval_word_count(response), kw["num_words"], kw["relation"])
