"""The 25 IFEval instruction ids, the kwargs each takes, and `check_instruction`.

Ids and kwarg names are those of google-research `instruction_following_eval`
(`instructions_registry.INSTRUCTION_DICT`). The official classes draw a *random* value for a
missing kwarg (they double as a generator of new prompts); a scorer cannot, so here every kwarg
is required and checked up front, and a bad one is reported with its field name. Keys whose
value is null are dropped first: the Hugging Face copy of IFEval lists every kwarg name on every
row with null for the unused ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lmforge.benchmarks.ifeval import checks_format as fmt
from lmforge.benchmarks.ifeval import checks_words as words
from lmforge.errors import InputError, KwargsError
from lmforge.registry import Registry, first_line

__all__ = [
    "INSTRUCTIONS",
    "InstructionSpec",
    "KwargsError",
    "category",
    "check_instruction",
    "normalize_kwargs",
    "run_checker",
]

Checker = Callable[[str, Mapping[str, Any], bool], bool]

INT, STR, WORDS, RELATION, LETTER = "int", "str", "words", "relation", "letter"


@dataclass(frozen=True)
class InstructionSpec:
    """One instruction id: its checker and the kwargs it needs (name -> kind)."""

    instruction_id: str
    check: Checker
    params: Mapping[str, str]


def _spec(instruction_id: str, check: Checker, **params: str) -> InstructionSpec:
    return InstructionSpec(instruction_id, check, params)


INSTRUCTIONS: Registry[InstructionSpec] = Registry("IFEval instruction id", error=InputError)
"""The instruction ids by name; the help of each is its checker's first docstring line."""

_SPECS = (
    _spec("keywords:existence", words.keywords_existence, keywords=WORDS),
    _spec(
        "keywords:frequency", words.keyword_frequency,
        keyword=STR, frequency=INT, relation=RELATION,
    ),
    _spec("keywords:forbidden_words", words.forbidden_words, forbidden_words=WORDS),
    _spec(
        "keywords:letter_frequency", words.letter_frequency,
        letter=LETTER, let_frequency=INT, let_relation=RELATION,
    ),
    _spec("language:response_language", words.response_language, language=STR),
    _spec(
        "length_constraints:number_sentences", words.number_sentences,
        num_sentences=INT, relation=RELATION,
    ),
    _spec("length_constraints:number_paragraphs", fmt.number_paragraphs, num_paragraphs=INT),
    _spec(
        "length_constraints:number_words", words.number_words,
        num_words=INT, relation=RELATION,
    ),
    _spec(
        "length_constraints:nth_paragraph_first_word", fmt.nth_paragraph_first_word,
        num_paragraphs=INT, nth_paragraph=INT, first_word=STR,
    ),
    _spec(
        "detectable_content:number_placeholders", fmt.number_placeholders,
        num_placeholders=INT,
    ),
    _spec("detectable_content:postscript", fmt.postscript, postscript_marker=STR),
    _spec("detectable_format:number_bullet_lists", fmt.number_bullet_lists, num_bullets=INT),
    _spec("detectable_format:constrained_response", fmt.constrained_response),
    _spec(
        "detectable_format:number_highlighted_sections", fmt.number_highlighted_sections,
        num_highlights=INT,
    ),
    _spec(
        "detectable_format:multiple_sections", fmt.multiple_sections,
        section_spliter=STR, num_sections=INT,
    ),
    _spec("detectable_format:json_format", fmt.json_format),
    _spec("detectable_format:title", fmt.title),
    _spec("combination:two_responses", fmt.two_responses),
    _spec("combination:repeat_prompt", fmt.repeat_prompt, prompt_to_repeat=STR),
    _spec("startend:end_checker", fmt.end_checker, end_phrase=STR),
    _spec("startend:quotation", fmt.quotation),
    _spec(
        "change_case:capital_word_frequency", words.capital_word_frequency,
        capital_frequency=INT, capital_relation=RELATION,
    ),
    _spec("change_case:english_capital", words.english_capital),
    _spec("change_case:english_lowercase", words.english_lowercase),
    _spec("punctuation:no_comma", words.no_comma),
)  # fmt: skip

for _s in _SPECS:
    INSTRUCTIONS.add(_s.instruction_id, _s, help=first_line(_s.check))
del _s


def category(instruction_id: str) -> str:
    """The group before the colon ("keywords" for "keywords:existence"), official tier 0."""
    return instruction_id.split(":")[0]


def _check_value(name: str, kind: str, value: Any) -> Any:
    """The value, validated for its kind; raises KwargsError with the kwarg's name."""
    if kind == INT:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise KwargsError(name, f"expected a non-negative integer, got {value!r}")
    elif kind == RELATION:
        if value not in words.RELATIONS:
            raise KwargsError(name, f"expected 'less than' or 'at least', got {value!r}")
    elif kind == LETTER:
        if not isinstance(value, str) or len(value) != 1:
            raise KwargsError(name, f"expected a single character, got {value!r}")
    elif kind == WORDS:
        ok = isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)
        if not ok:
            raise KwargsError(name, f"expected a non-empty list of strings, got {value!r}")
    elif not isinstance(value, str) or not value.strip():
        raise KwargsError(name, f"expected a non-empty string, got {value!r}")
    return value


def normalize_kwargs(
    instruction_id: str, kwargs: Mapping[str, Any] | None, prompt: str | None = None
) -> dict[str, Any]:
    """Validated kwargs for one instruction (null values dropped); raises KwargsError.

    `prompt` fills a missing `prompt_to_repeat` of combination:repeat_prompt (the official
    evaluator would fail there); every other instruction ignores it, exactly as the official
    evaluator does (it only passes the prompt to checkers taking a kwarg named "prompt": none).
    """
    spec = INSTRUCTIONS.find(instruction_id)
    if spec is None:
        raise KwargsError("instruction_id_list", f"unknown instruction id {instruction_id!r}")
    given = {k: v for k, v in (kwargs or {}).items() if v is not None}
    if "prompt_to_repeat" in spec.params and "prompt_to_repeat" not in given and prompt:
        given["prompt_to_repeat"] = prompt
    extra = sorted(set(given) - set(spec.params))
    if extra:
        raise KwargsError(extra[0], f"not a kwarg of {instruction_id}")
    out = {}
    for name, kind in spec.params.items():
        if name not in given:
            raise KwargsError(name, f"missing (required by {instruction_id})")
        out[name] = _check_value(name, kind, given[name])
    if "nth_paragraph" in out and not 1 <= out["nth_paragraph"] <= out["num_paragraphs"]:
        raise KwargsError("nth_paragraph", "must be between 1 and num_paragraphs")
    return out


def run_checker(
    instruction_id: str, kwargs: Mapping[str, Any], response: str, official: bool = False
) -> bool:
    """The checker alone on normalised kwargs (no non-blank rule; scoring adds that)."""
    return bool(INSTRUCTIONS.get(instruction_id).check(response, kwargs, official))


def check_instruction(
    instruction_id: str,
    kwargs: Mapping[str, Any] | None,
    response: str,
    prompt: str | None = None,
    *,
    official: bool = False,
) -> bool:
    """Whether `response` follows one IFEval instruction (the official `check_following`).

    The strict-mode rule that a blank response never follows is applied by the scorer, not
    here. `official=True` keeps the official bugs documented in `checks_words`/`checks_format`.
    Raises InputError naming the field for an unknown id or a bad kwarg.
    """
    try:
        normalized = normalize_kwargs(instruction_id, kwargs, prompt)
    except KwargsError as exc:
        raise InputError(exc.reason, field=exc.field) from None
    return run_checker(instruction_id, normalized, response, official)
