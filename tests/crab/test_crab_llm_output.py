import pytest

from lmforge.crab.llm_output import (
    apply_check,
    parse_constraint_json,
    parse_refined_instruction,
    symbol_filter,
)
from lmforge.pipeline.jsonladder import ParseFailure


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('"Write a haiku about rain."', "Write a haiku about rain."),
        ("Refined instruction:\n\nWrite a haiku about rain.", "Write a haiku about rain."),
        ("Write a haiku about rain.", "Write a haiku about rain."),
        ("'unbalanced quote", "'unbalanced quote"),
    ],
)
def test_refined_instruction_is_unquoted(reply, expected):
    assert parse_refined_instruction(reply) == expected


@pytest.mark.parametrize("reply", ['""', '"Refined instruction:\\n\\n"', "  "])
def test_an_empty_refined_instruction_is_a_parse_failure(reply):
    with pytest.raises(ParseFailure, match="empty refined instruction"):
        parse_refined_instruction(reply)


def test_official_refined_preamble_is_case_sensitive():
    text = "Refined instruction:\n\nDo it."
    assert parse_refined_instruction(text, official=True) == text
    assert parse_refined_instruction("refined instruction:\n\nDo it.", official=True) == "Do it."


def test_constraint_json_drops_null_and_keeps_invented_keys():
    reply = (
        '{"Desired_Writing_Style": "Formal.", "Multi-lingual_Constraints": "NULL", '
        '" Target_Audience": "Experts."}'
    )
    assert parse_constraint_json(reply) == {
        "Desired_Writing_Style": "Formal.",
        "Target_Audience": "Experts.",
    }
    assert " Target_Audience" in parse_constraint_json(reply, official=True)


def test_constraint_json_second_block_and_fences():
    reply = 'Here you go:\n\n{"Semantic_elements": "Focus on rain."}'
    assert parse_constraint_json(reply, official=True) == {"Semantic_elements": "Focus on rain."}
    fenced = 'Sure!\n```json\n{"Semantic_elements": "Focus on rain."}\n```\nDone.'
    assert parse_constraint_json(fenced) == {"Semantic_elements": "Focus on rain."}
    with pytest.raises(ParseFailure):  # the official two tries do not look inside fences
        parse_constraint_json(fenced, official=True)
    with pytest.raises(ParseFailure):
        parse_constraint_json("no json at all")


def test_symbol_filter():
    response = "Intro\n- one\n- two"
    assert symbol_filter("Item_Listing_Details", "Use '-' for items.", response)
    assert symbol_filter("Item_Listing_Details", "Use '•' for items.", response) is None
    assert symbol_filter("Key_Formatting", "Bold titles with **.", response) is None
    assert symbol_filter("Desired_Writing_Style", "Use * a lot.", response) == "Use * a lot."
    cut = symbol_filter("Key_Formatting", "Plain titles, no use of CAPITAL LETTERS", "Plain")
    assert cut == "Plain titles"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            '{"satisfaction": "YES", "modified_constraint": "", "constraint_validity": "YES"}',
            "Name three colours in the text.",
        ),
        ('{"satisfaction": "NO", "modified_constraint": "x", "constraint_validity": "NO"}', None),
        (
            '{"satisfaction": "NO", "modified_constraint": "Name two colours in the text.", '
            '"constraint_validity": "YES"}',
            "Name two colours in the response.",
        ),
        ('{"satisfaction": "NO", "modified_constraint": "", "constraint_validity": "YES"}', None),
        ("garbage", "Name three colours in the text."),
        ('{"satisfaction": "NO"}', "Name three colours in the text."),
    ],
)
def test_apply_check(reply, expected):
    assert apply_check("Name three colours in the text.", reply) == expected


def test_official_rewrite_hits_text_inside_words():
    reply = (
        '{"satisfaction": "NO", "modified_constraint": "Keep the context; cite the text.", '
        '"constraint_validity": "YES"}'
    )
    assert apply_check("c", reply) == "Keep the context; cite the response."
    assert apply_check("c", reply, official=True) == "Keep the conresponse; cite the text."
