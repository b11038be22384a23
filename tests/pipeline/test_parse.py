"""The JSON ladder and the rating/verdict parsers, on outputs real models produce."""

from __future__ import annotations

import pytest

from lmforge.pipeline.parse import (
    RUNGS,
    Extraction,
    ParseFailure,
    canonical_verdict,
    extract_json,
    extract_json_with_rung,
    fenced_blocks,
    parse_rating,
    parse_verdict,
    strip_fences,
    strip_thinking,
)

# --------------------------------------------------------------------------- rung 1: whole text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": 1}', {"a": 1}),
        ('  \n{"a": [1, 2]}\n\n', {"a": [1, 2]}),
        ("[1, 2, 3]", [1, 2, 3]),
        ('\ufeff{"bom": true}', {"bom": True}),
        ('{"unicode": "中文 ✓"}', {"unicode": "中文 ✓"}),
        ("null", None),
        ("7", 7),
    ],
)
def test_whole_text(text, value):
    assert extract_json_with_rung(text) == Extraction(value, "whole")


# --------------------------------------------------------------------------- rung 2: fences

QWEN_FENCED = """```json
{
  "constraints": ["Answer in under 50 words", "Use a bulleted list"],
  "reason": "The response is short and uses bullets."
}
```"""


def test_qwen_json_fence():
    got = extract_json_with_rung(QWEN_FENCED)
    assert got.rung == "fence"
    assert got.value["constraints"][1] == "Use a bulleted list"


def test_fence_with_prose_around_it():
    text = (
        "Sure! Here is the outline you asked for:\n\n"
        '```json\n[{"title": "Intro", "words": 300}, {"title": "Body [1]", "words": 900}]\n```\n\n'
        "Let me know if you want changes."
    )
    got = extract_json_with_rung(text)
    assert got.rung == "fence"
    assert got.value[1] == {"title": "Body [1]", "words": 900}


def test_untagged_fence_and_json_tag_preferred():
    text = '```\n{"from": "plain"}\n```\nand\n```JSON\n{"from": "json"}\n```'
    assert extract_json(text) == {"from": "json"}
    assert extract_json('```\n{"from": "plain"}\n```') == {"from": "plain"}


def test_fence_of_the_wrong_type_is_skipped_with_expect():
    text = '```json\n["a", "b"]\n```\n```json\n{"k": 1}\n```'
    assert extract_json(text, expect=dict) == {"k": 1}
    assert extract_json(text, expect=list) == ["a", "b"]


def test_tilde_fence_and_indented_fence():
    assert extract_json('~~~json\n{"t": 1}\n~~~') == {"t": 1}
    assert extract_json('Answer:\n  ```json\n  {"t": 2}\n  ```') == {"t": 2}


# --------------------------------------------------------------------------- rung 3: scan


def test_trailing_prose():
    text = '{"score": 4, "why": "clear"}\n\nI hope this helps! Note: scores are 1-5.'
    got = extract_json_with_rung(text)
    assert got == Extraction({"score": 4, "why": "clear"}, "scan")


def test_leading_prose_with_brackets_and_quotes():
    text = 'As I said "before" (see note), the result is {"a": 1} and nothing else.'
    assert extract_json_with_rung(text) == Extraction({"a": 1}, "scan")


def test_citation_is_valid_json_so_say_what_you_expect():
    text = 'As shown in [1], the result is {"a": 1}.'
    assert extract_json(text) == [1]  # the first complete candidate
    assert extract_json(text, expect=dict) == {"a": 1}


def test_brackets_and_escaped_quotes_inside_strings():
    text = 'Output: {"text": "a } tricky ] string with \\" quote { [", "n": 2} trailing {"x": 1}'
    value = extract_json(text)
    assert value == {"text": 'a } tricky ] string with " quote { [', "n": 2}


def test_escaped_backslash_before_quote():
    text = 'Result: {"path": "C:\\\\dir\\\\", "ok": true} done'
    assert extract_json(text) == {"path": "C:\\dir\\", "ok": True}


def test_nested_structures_return_the_outermost():
    text = 'Here: {"outer": {"inner": [1, {"deep": [2]}]}} end'
    assert extract_json(text) == {"outer": {"inner": [1, {"deep": [2]}]}}


def test_first_complete_candidate_wins():
    assert extract_json('[1, 2] then {"k": "v"}') == [1, 2]


def test_expect_skips_other_types_and_their_insides():
    text = 'Items: [{"a": 1}, {"a": 2}] and the object {"k": "v"}'
    assert extract_json(text, expect=dict) == {"k": "v"}
    assert extract_json(text, expect=list) == [{"a": 1}, {"a": 2}]


def test_stray_quote_in_unclosed_prose_bracket():
    assert extract_json('Use { " to start. {"a": 1}') == {"a": 1}


def test_mismatched_prose_brackets_do_not_hide_json():
    assert extract_json('see (a] and [b} then {"ok": 1}') == {"ok": 1}


def test_fenced_but_invalid_json_falls_through_to_the_scan():
    text = '```json\n// the answer\n{"a": 1}\n```'
    assert extract_json_with_rung(text) == Extraction({"a": 1}, "scan")


# --------------------------------------------------------------------------- rung 4: repair


def test_truncated_object_is_repaired_not_split_into_its_elements():
    text = '{"items": [{"x": 1}, {"x": 2}, {"x": 3}, {"x'
    got = extract_json_with_rung(text)
    assert got.rung == "repair"
    assert got.value["items"][:3] == [{"x": 1}, {"x": 2}, {"x": 3}]


def test_truncated_inside_an_unclosed_fence():
    text = (
        "```json\n"
        '{"plan": [{"title": "Intro", "words": 300}, {"title": "Body", "words": 1200}, '
        '{"title": "Conclu'
    )
    got = extract_json_with_rung(text)
    assert got.rung == "repair"
    assert got.value["plan"][:2] == [
        {"title": "Intro", "words": 300},
        {"title": "Body", "words": 1200},
    ]


def test_truncated_array():
    got = extract_json_with_rung('The list: ["alpha", "beta", "gam')
    assert got.rung == "repair"
    assert got.value[:2] == ["alpha", "beta"]


def test_single_quotes_and_trailing_commas():
    got = extract_json_with_rung("Answer: {'label': 'yes', 'confidence': 0.9,} -- done")
    assert got == Extraction({"label": "yes", "confidence": 0.9}, "repair")


def test_unescaped_inner_quotes():
    got = extract_json_with_rung('{"quote": "he said "hi" to me", "n": 1}')
    assert got.rung == "repair"
    assert got.value["n"] == 1


def test_prose_brackets_are_not_repaired_into_lists():
    with pytest.raises(ParseFailure):
        extract_json("The answer [see above] is in the text.")


# --------------------------------------------------------------------------- reasoning blocks


def test_reasoning_block_draft_is_ignored():
    text = '<think>Maybe {"label": "no"}? Let me check.</think>\n{"label": "yes"}'
    assert extract_json_with_rung(text) == Extraction({"label": "yes"}, "whole")


def test_lone_closing_think_tag():
    text = 'the opening tag was in the prompt {"draft": 1}</think>\n\n```json\n{"final": 2}\n```'
    assert extract_json(text) == {"final": 2}


def test_strip_thinking():
    assert strip_thinking("<think>a</think>b") == "b"
    assert strip_thinking("x</think>y</think>z") == "z"
    assert strip_thinking("<think>unfinished") == "<think>unfinished"
    assert strip_thinking("no tags") == "no tags"


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty output"),
        ("   \n ", "empty output"),
        ("I cannot answer that.", "no JSON found"),
        ("{", "no JSON found"),
        ('<think>only thinking {"a": 1}</think>', "empty output"),
    ],
)
def test_failures_carry_reason_and_raw(text, reason):
    with pytest.raises(ParseFailure) as info:
        extract_json(text)
    assert info.value.reason == reason
    assert info.value.raw == text
    assert isinstance(info.value, ValueError)


def test_expect_mismatch_fails():
    with pytest.raises(ParseFailure, match="JSON object"):
        extract_json("[1, 2, 3]", expect=dict)
    with pytest.raises(ParseFailure, match="JSON array"):
        extract_json('{"items": [1, 2]}', expect=list)


def test_expect_must_be_a_container_type():
    with pytest.raises(TypeError):
        extract_json("{}", expect=str)


def test_non_text_input():
    with pytest.raises(ParseFailure, match="not text"):
        extract_json(None)  # type: ignore[arg-type]


def test_rungs_are_named():
    assert RUNGS == ("whole", "fence", "scan", "repair")


def test_many_brackets_stay_fast():
    text = "{" * 5000 + " prose " + "}" * 10 + ' {"a": 1}'
    assert extract_json(text) == {"a": 1}
    long_prose = "word (x) [y] {z} " * 20000 + '{"end": true}'
    assert extract_json(long_prose) == {"end": True}


# --------------------------------------------------------------------------- fences


def test_strip_fences():
    assert strip_fences("```python\nprint(1)\n```") == "print(1)"
    assert strip_fences("\n```\nplain\n```\n") == "plain"
    assert strip_fences("```markdown\n# Title\n\ntext") == "# Title\n\ntext"  # truncated
    assert strip_fences("no fence") == "no fence"
    mixed = "Intro\n```\ncode\n```\nOutro"
    assert strip_fences(mixed) == mixed


def test_fenced_blocks():
    text = "a\n```json\n{}\n```\nb\n```py\nx = 1\n```\n"
    assert fenced_blocks(text) == [("json", "{}\n"), ("py", "x = 1\n")]


# --------------------------------------------------------------------------- ratings


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Rating: [[7]]", 7.0),
        ("[[7]]", 7.0),
        ("The answer is helpful and accurate.\n\nRating: [[8.5]]", 8.5),
        ("Rating: [[ 6 ]]", 6.0),
        ("[[7/10]]", 7.0),
        ("Score: 8 - clear and correct", 8.0),
        ("**Rating**: 4", 4.0),
        ("**Score:** 9", 9.0),
        ("Final score = 3", 3.0),
        ("Overall score is 7.5.", 7.5),
        ("I would give it a score of 6.", 6.0),
        ("8/10", 8.0),
        ("I'd rate this 6 out of 10.", 6.0),
        ("The rating is [6].", 6.0),
        ("7", 7.0),
        ("  **5**. ", 5.0),
        ("Rating: [[7]]. Again: [[7]]", 7.0),
        ("Rating: 7\n\nA score of 5 would have meant mediocre.", 7.0),
        ("<think>Rating: [[2]]? no.</think>Rating: [[9]]", 9.0),
        ('Format: "[[rating]]", e.g. "Rating: [[5]]".\nRating: [[8]]', 8.0),
    ],
)
def test_parse_rating(text, value):
    assert parse_rating(text, low=1, high=10) == value


def test_fraction_must_use_the_scale():
    assert parse_rating("4 out of 5", low=1, high=5) == 4.0
    with pytest.raises(ParseFailure, match="no rating found"):
        parse_rating("I'd say 4 out of 5", low=1, high=10)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("The answer is fine.", "no rating found"),
        ("", "no rating found"),
        ("Rating: [[15]]", "rating out of range"),
        ("Rating: [[0]]", "rating out of range"),
        ("Rating: [[3]] ... on reflection [[8]]", "ambiguous rating"),
        ("Score: 4\nActually, Score: 5", "ambiguous rating"),
    ],
)
def test_parse_rating_failures(text, reason):
    with pytest.raises(ParseFailure) as info:
        parse_rating(text, low=1, high=10)
    assert info.value.reason == reason
    assert info.value.raw == text


def test_quoted_example_alone_still_counts():
    assert parse_rating('"[[5]]"', low=1, high=10) == 5.0


def test_rating_on_a_zero_based_scale():
    assert parse_rating("Rating: [[0]]", low=0, high=3) == 0.0


# --------------------------------------------------------------------------- verdicts

ABC = ("A", "B", "C")
FIVE = ("A>>B", "A>B", "A=B", "B>A", "B>>A")


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("Assistant A is more detailed.\n\n[[A]]", "A"),
        ("My final verdict is [[B]].", "B"),
        ("Both are equally good: [[C]]", "C"),
        ("[[ a ]]", "A"),
        ("**[[B]]**", "B"),
        ("Final verdict: A", "A"),
        ("Final verdict: **Assistant B**", "B"),
        ("B", "B"),
        ("**A**.", "A"),
        ('If A is better output "[[A]]", if B "[[B]]".\n\nVerdict: [[B]]', "B"),
        ("<think>[[A]] maybe</think>[[B]]", "B"),
        ("I checked the facts [[citation needed]] and pick [[A]]", "A"),
    ],
)
def test_parse_verdict_three_way(text, verdict):
    assert parse_verdict(text, ABC) == verdict


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("My final verdict is: [[A>>B]]", "A>>B"),
        ("My final verdict is tie: [[A=B]].", "A=B"),
        ("Assistant B is slightly better: [[B>A]]", "B>A"),
        ("\\boxed{A>B}", "A>B"),
        ("$\\boxed{B>>A}$", "B>>A"),
        ("\\boxed{\\text{A} = \\text{B}}", "A=B"),
        ("[[A < B]]", "B>A"),
        ("[[A<<B]]", "B>>A"),
        ("[[B<A]]", "A>B"),
        ("[[B=A]]", "A=B"),
        ("[[A==B]]", "A=B"),
        ("[[A≈B]]", "A=B"),
        ("Final verdict: A>B", "A>B"),
        ("[[a>>b]]", "A>>B"),
    ],
)
def test_parse_verdict_five_way(text, verdict):
    assert parse_verdict(text, FIVE) == verdict


@pytest.mark.parametrize(
    ("text", "choices", "reason"),
    [
        ("Both have merits.", ABC, "no verdict found"),
        ("[[D]]", ABC, "no verdict found"),
        ("[[A]] ... no wait [[B]]", ABC, "ambiguous verdict"),
        ("[[A]]", FIVE, "no verdict found"),
        ("\\boxed{A>B} but also \\boxed{B>A}", FIVE, "ambiguous verdict"),
    ],
)
def test_parse_verdict_failures(text, choices, reason):
    with pytest.raises(ParseFailure) as info:
        parse_verdict(text, choices)
    assert info.value.reason == reason
    assert info.value.raw == text


def test_bracket_beats_label_and_label_beats_whole():
    assert parse_verdict("Verdict: A\n[[B]]", ABC) == "B"


def test_custom_choice_labels_are_returned_as_given():
    assert parse_verdict("[[Tie]]", ("Model-1", "Model-2", "Tie")) == "Tie"
    assert parse_verdict("[[model-2]]", ("Model-1", "Model-2", "Tie")) == "Model-2"


def test_empty_choices_is_a_programming_error():
    with pytest.raises(ValueError, match="choices"):
        parse_verdict("[[A]]", ())


# --------------------------------------------------------------------------- module layout


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("A", "a"),
        (" **B** ", "b"),
        ("A>B", "a>b"),
        ("B<A", "a>b"),
        ("A << B", "b>>a"),
        ("B==A", "a=b"),
        ("A≈B", "a=b"),
        ("\\text{A}>\\text{B}", "a>b"),
        ("Tie.", "tie"),
    ],
)
def test_canonical_verdict_spells_each_meaning_once(raw, key):
    assert canonical_verdict(raw) == key


def test_ladder_names_are_the_same_objects_from_every_import_path():
    import importlib

    import lmforge.pipeline
    from lmforge.pipeline import parse

    ladder = importlib.import_module("lmforge.pipeline.jsonladder")

    for name in ladder.__all__:
        assert getattr(parse, name) is getattr(ladder, name)
    # The package exports the function itself, not a module of that name.
    assert lmforge.pipeline.extract_json is extract_json
    assert lmforge.pipeline.ParseFailure is ParseFailure
    assert issubclass(ParseFailure, ValueError)
