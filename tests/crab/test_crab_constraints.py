"""The constraint model: taxonomy keys, dict round trips, key lookup and input errors."""

from __future__ import annotations

import pytest

from lmforge.crab.constraints import (
    GLOBAL_KEYS,
    LOCAL_KEYS,
    PYTHON_KEYS,
    REVERSE_TYPES,
    Constraint,
    DigitConstraint,
    GenericConstraint,
    HierarchicalInstructions,
    constraint_from_dict,
    constraints_from_item,
    from_llm,
)
from lmforge.errors import InputError

ALL_KEYS = (*PYTHON_KEYS, *GLOBAL_KEYS, *LOCAL_KEYS)


def test_key_groups_match_the_official_taxonomy():
    assert len(PYTHON_KEYS) == 6 and len(GLOBAL_KEYS) == 4 and len(LOCAL_KEYS) == 6
    assert len(REVERSE_TYPES) == 15 == len(set(REVERSE_TYPES))
    assert "Word" not in REVERSE_TYPES
    assert set(REVERSE_TYPES) == set(ALL_KEYS) - {"Word"}


@pytest.mark.parametrize("key", ALL_KEYS)
def test_every_official_key_has_its_own_model(key):
    c = from_llm(key, "Some sentence without any parameter.")
    assert type(c) is not GenericConstraint and type(c).key == key
    assert c.type == key and c.describe() == "Some sentence without any parameter."
    assert isinstance(c, Constraint)


def test_unknown_and_spaced_keys():
    invented = from_llm("Target_Audience", "For experts.")
    assert type(invented) is GenericConstraint and invented.type == "Target_Audience"
    assert invented.check("anything") is None and not invented.verifiable
    spaced = from_llm(" Hierarchical_Instructions", "Explain X, then Y.")
    assert isinstance(spaced, HierarchicalInstructions)
    assert spaced.type == "Hierarchical_Instructions"
    assert spaced.check("X then Y") is None


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("Digit", "Write between 40 and 60 words."),
        ("Keyword", 'Use "alpha beta", "gamma".'),
        ("Punctuation", "Avoid commas entirely."),
        ("Word", "Each word should have at most 15 characters."),
        ("Specific_Sentence", "Begin with 'Dear team,' please."),
        ("Key_Formatting", "Use bold for titles."),
        ("Paragraphs_Constraints", "Write three paragraphs separated by ******."),
        ("Target_Audience", "Experts."),
    ],
)
def test_dict_round_trip(key, text):
    c = from_llm(key, text)
    d = c.to_dict()
    assert d["type"] == key and d["text"] == text
    back = constraint_from_dict(d)
    assert back == c and type(back) is type(c)


def test_bad_dicts_raise_input_error_naming_the_field():
    with pytest.raises(InputError, match="field 'type'"):
        constraint_from_dict({"text": "x"})
    with pytest.raises(InputError, match=r"data.jsonl:3: field 'form'"):
        constraint_from_dict({"type": "Digit", "text": "x", "form": "huge"}, where="data.jsonl:3")
    with pytest.raises(InputError, match="field 'colour'"):
        constraint_from_dict({"type": "Digit", "text": "x", "colour": 1})
    with pytest.raises(InputError, match="field 'Keyword'"):
        from_llm("Keyword", None)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="Aug_instruction"):
        constraints_from_item({"messages": []})


def test_constraints_are_frozen_and_unparsable_text_defers_to_a_judge():
    c = from_llm("Digit", "Write a long answer.")
    assert isinstance(c, DigitConstraint) and c.form is None
    assert c.check("short") is None and not c.verifiable
    with pytest.raises(ValueError):
        c.text = "other"  # type: ignore[misc]


def test_incomplete_parameters_are_not_verifiable():
    c = constraint_from_dict({"type": "Digit", "text": "x", "form": "around"})
    assert not c.verifiable and c.check("a b c") is None
    r = constraint_from_dict({"type": "Digit", "text": "x", "form": "range", "minimum": 3})
    assert r.check("a b c") is None


def test_package_exports_resolve():
    import lmforge.crab.constraints as pkg

    assert len(set(pkg.__all__)) == len(pkg.__all__)
    assert all(getattr(pkg, name) is not None for name in pkg.__all__)
