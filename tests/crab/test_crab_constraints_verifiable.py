"""Checkers for LLM-written constraint types, on hand-made texts and on the official sample."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from lmforge.crab.constraints import (
    PYTHON_KEYS,
    constraints_from_item,
    from_llm,
    python_constraints,
)

SAMPLE = "crab/reference/constraint_back_translation_sample.json"


@pytest.fixture(scope="module")
def sample(test_data):
    return json.loads((test_data / SAMPLE).read_text(encoding="utf-8"))


def test_multilingual():
    c = from_llm("Multi-lingual_Constraints", "The response should be written in Spanish.")
    assert c.language == "es"
    assert c.check("El sistema mejora la calidad del agua en la ciudad cada día.") is True
    assert c.check("The system improves the quality of water in the city.") is False
    both = from_llm("Multi-lingual_Constraints", "Answer in English and then in French.")
    assert both.check("anything") is None
    assert from_llm("Multi-lingual_Constraints", "Use the user's language.").check("x") is None


SPECIFIC = [
    ("The answer should begin with 'The name is'.", "The name is", "start"),
    ('Start your reply with "Dear team," and sign off politely.', "Dear team,", "start"),
    ("The concluding sentence should start with 'In conclusion,' please.", "In conclusion,", "end"),
    ("End the response with \u201cThank you for reading.\u201d", "Thank you for reading.", "end"),
    ("The joke should start with 'Claro! aqui:' and end well.", "Claro! aqui:", "start"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "phrase", "position"), SPECIFIC)
def test_specific_sentence_parse(text, phrase, position):
    c = from_llm("Specific_Sentence", text)
    assert (c.phrase, c.position) == (phrase, position)


def test_specific_sentence_check_and_refusals():
    c = from_llm("Specific_Sentence", "Begin the response with 'Dear team,'.")
    assert c.check("**Dear  team,** here we go.") is True  # markup and spacing ignored
    assert c.check("Hello. Dear team,") is False
    end = from_llm("Specific_Sentence", "Finish with the sentence 'See you soon.'")
    assert end.check("Body text.\n\nThanks again. See you soon.") is True
    assert end.check("See you soon.\n\nBody.\nMore.\nLast.") is False
    for vague in (
        "Begin with a sentence defining the topic.",
        "Begin with a clear statement, such as 'An important event in my life was...'",
        "Use 'it's' sparingly.",
    ):
        assert from_llm("Specific_Sentence", vague).check("anything") is None, vague


@pytest.mark.parametrize(
    ("text", "marker", "good", "bad"),
    [
        ("Use bullet points (•) for each item.", "•", "Intro\n• one\n• two", "- one"),
        ("Use hyphens (-) to list the advice.", "-", "- one\n- two", "• one"),
        ("List items with asterisks.", "*", "* one\n* two", "- one"),
        ("Use numbered lists (1., 2., 3.) for steps.", "1.", "1. one\n2) two", "- one"),
    ],
)
def test_item_listing(text, marker, good, bad):
    c = from_llm("Item_Listing_Details", text)
    assert c.marker == marker and c.check(good) is True and c.check(bad) is False


def test_item_listing_vague_or_negated():
    assert from_llm("Item_Listing_Details", "List each item on a new line.").marker is None
    assert from_llm("Item_Listing_Details", "Avoid hyphens (-) in lists.").marker is None
    two = from_llm("Item_Listing_Details", "Use numbers for steps and hyphens (-) for notes.")
    assert two.check("1. x") is None


def test_paragraphs_constraints():
    three = from_llm("Paragraphs_Constraints", "Write three paragraphs separated by blank lines.")
    assert (three.count, three.relation, three.blank_lines_only) == (3, "exactly", True)
    assert three.check("a\n\nb\n\nc") is True and three.check("a\nb\nc") is False
    lines_ok = from_llm("Paragraphs_Constraints", "The response should consist of two paragraphs.")
    assert lines_ok.check("a\nb") is True  # no blank-line demand: lines count too
    sep = from_llm(
        "Paragraphs_Constraints", "Use 3 sections separated by the markdown divider ******."
    )
    assert sep.separator == "******" and sep.count == 3
    assert sep.check("a\n******\nb\n******\nc") is True
    assert sep.check("a\n\nb\n\nc") is False  # separator missing
    least = from_llm("Paragraphs_Constraints", "Write at least 2 paragraphs.")
    assert least.relation == "at_least" and least.check("a\n\nb\n\nc") is True
    assert from_llm("Paragraphs_Constraints", "Use 6-7 paragraphs.").check("a") is None
    assert from_llm("Paragraphs_Constraints", "Separate ideas clearly.").check("a") is None


@pytest.mark.parametrize(
    ("text", "fmt", "good", "bad"),
    [
        ("Return the answer in JSON format.", "json", '```json\n{"a": 1}\n```', "{a: 1"),
        (
            "Present the data as a markdown table.",
            "table",
            "| a | b |\n|---|---|\n| 1 | 2 |",
            "a b",
        ),
        ("Include the Python code in a code block.", "code", "```\nprint(1)\n```", "print(1)"),
        ("Format the output as HTML.", "html", "<ul><li>x</li></ul>", "x"),
        ("Write the formulas in LaTeX.", "latex", r"We have $x^2$ and \frac{1}{2}", "x^2"),
    ],
)
def test_special_output_format(text, fmt, good, bad):
    c = from_llm("Special_Output_Format", text)
    assert c.format == fmt and c.check(good) is True and c.check(bad) is False


def test_special_output_format_ambiguous():
    assert from_llm("Special_Output_Format", "Give a table and a JSON object.").format is None
    assert from_llm("Special_Output_Format", "Do not use code blocks.").format is None


def test_key_formatting():
    c = from_llm("Key_Formatting", "Use bold for section titles and italics for terms.")
    assert c.styles == ("bold", "italic")
    assert c.check("**Title**\nSome *term* here.") is True
    assert c.check("**Title** only") is False
    caps = from_llm("Key_Formatting", "Write key warnings in CAPITAL LETTERS.")
    assert caps.check("This is VERY important.") is True and caps.check("Quiet text.") is False
    assert from_llm("Key_Formatting", "No use of CAPITAL LETTERS.").check("x") is None


def test_morphological_forbidden_words():
    c = from_llm("Morphological_Constraints", "Avoid the words 'very' and \"really\".")
    assert c.forbidden == ("very", "really")
    assert c.check("It was quite good, everything went well.") is True
    assert c.check("It was Very good.") is False
    assert c.check("Everything was overly good.") is True  # whole words only
    vague = from_llm("Morphological_Constraints", "Avoid overly technical jargon.")
    assert vague.check("x") is None


def test_sample_python_keys_parse_and_hold(sample):
    """The sample's Python-written constraints read back; Digit/Sentence/Keyword/Punctuation hold
    under our offline tokenisation, Word fails everywhere (Q1), Paragraph once (Q2)."""
    counts: Counter = Counter()
    for item in sample:
        response = item["messages"][1]["content"]
        for key, c in constraints_from_item(item).items():
            if key in PYTHON_KEYS:
                assert c.verifiable, (key, c.text)
                counts[(key, c.check(response))] += 1
    assert counts == Counter({
        ("Digit", True): 20, ("Sentence", True): 20, ("Word", False): 20,
        ("Keyword", True): 13, ("Punctuation", True): 7,
        ("Paragraph", True): 4, ("Paragraph", False): 1,
    })  # fmt: skip


def test_sample_llm_types_that_become_verifiable(sample):
    """How many LLM-written constraints code can check, and how many hold on their response.
    (The official LLM check accepted all of them; the failures are paragraph counts the LLM
    judged loosely and one "number followed by a colon" list that has no line-start numbers.)"""
    verifiable: Counter = Counter()
    passing: Counter = Counter()
    total = 0
    for item in sample:
        response = item["messages"][1]["content"]
        for key, c in constraints_from_item(item).items():
            if key.strip() in PYTHON_KEYS:
                continue
            total += 1
            verifiable[c.type] += c.verifiable
            passing[c.type] += c.check(response) is True
    assert total == 178
    assert {k: v for k, v in verifiable.items() if v} == {
        "Multi-lingual_Constraints": 4, "Specific_Sentence": 10,
        "Item_Listing_Details": 6, "Paragraphs_Constraints": 10,
    }  # fmt: skip
    assert {k: v for k, v in passing.items() if v} == {
        "Multi-lingual_Constraints": 4, "Specific_Sentence": 10,
        "Item_Listing_Details": 5, "Paragraphs_Constraints": 6,
    }  # fmt: skip


def test_generators_on_the_sample_responses(sample):
    """Default: every generated constraint holds on its response; faithful: Word never does."""
    for i, item in enumerate(sample):
        response = item["messages"][1]["content"]
        for key, c in python_constraints(response, random.Random(i)).items():
            assert c.check(response) is True, (key, c.text)
        faithful = python_constraints(response, random.Random(i), faithful_quirks=True)
        assert faithful["Word"].check(response) is False
        # the sample's own Sentence bound is at least our longest sentence, like ours
        assert (
            faithful["Sentence"].max_words
            == python_constraints(response, random.Random(i))["Sentence"].max_words
        )


def test_malformed_sentences_never_crash():
    """Fuzz: any key with garbled text parses to something whose check returns a verdict or
    None, on any response."""
    from lmforge.crab.constraints import GLOBAL_KEYS, LOCAL_KEYS
    from lmforge.crab.constraints.synthetic import synthetic_responses

    rng = random.Random(0)
    pieces = ["'", '"', "“", "at least", "3", "-7", "******", "JSON", "table", "bold", "(-)",
              "begin with", "end", "Spanish", "avoid", "such as", "paragraphs", "1.", "•",
              "\n"]  # fmt: skip
    responses = synthetic_responses(20, seed=5)
    for _ in range(300):
        key = rng.choice([*PYTHON_KEYS, *GLOBAL_KEYS, *LOCAL_KEYS, "Invented_Key"])
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        c = from_llm(key, text)
        assert c.check(rng.choice(responses)) in (True, False, None)
