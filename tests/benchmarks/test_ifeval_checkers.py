"""Every IFEval instruction id on responses written here, passing and failing.

Expected values are what google-research `instruction_following_eval/instructions.py` returns;
each case says in a comment which official rule it exercises. `check_instruction` is the checker
alone (the strict/loose rules of `evaluation_lib` are tested in test_ifeval_score.py).
"""

from __future__ import annotations

import pytest

from lmforge.benchmarks.ifeval import INSTRUCTIONS, check_instruction
from lmforge.benchmarks.ifeval.textutil import count_sentences, ifeval_word_count
from lmforge.errors import InputError

LT, AL = "less than", "at least"

CASES = [
    # --- keywords -------------------------------------------------------------------------
    # existence: case-insensitive substring search, no word boundary ("Catalog" has "cat")
    ("keywords:existence", {"keywords": ["cat", "DOG"]}, "Catalog of dogs.", True),
    ("keywords:existence", {"keywords": ["cat", "dog"]}, "Only a cat here.", False),
    # frequency: re.findall count, case-insensitive, substrings count too
    ("keywords:frequency", {"keyword": "rose", "frequency": 3, "relation": AL},
     "Rose, roses and a ROSEbud.", True),
    ("keywords:frequency", {"keyword": "rose", "frequency": 3, "relation": AL},
     "Rose and roses.", False),
    ("keywords:frequency", {"keyword": "rose", "frequency": 2, "relation": LT},
     "One rose.", True),
    ("keywords:frequency", {"keyword": "rose", "frequency": 2, "relation": LT},
     "A rose is a rose.", False),
    # forbidden_words: \bword\b, case-insensitive; "hello" inside "helloworld" is allowed
    ("keywords:forbidden_words", {"forbidden_words": ["hello", "bye"]}, "helloworld!", True),
    ("keywords:forbidden_words", {"forbidden_words": ["hello", "bye"]}, "Say Bye now.", False),
    # letter_frequency: Counter over the lower-cased text, letter lower-cased
    ("keywords:letter_frequency", {"letter": "Q", "let_frequency": 2, "let_relation": AL},
     "Quick quiz.", True),
    ("keywords:letter_frequency", {"letter": "q", "let_frequency": 2, "let_relation": LT},
     "Quick quiz.", False),
    ("keywords:letter_frequency", {"letter": "#", "let_frequency": 3, "let_relation": LT},
     "#one #two", True),
    # --- language ---------------------------------------------------------------------------
    # response_language: langdetect code must equal the kwarg
    ("language:response_language", {"language": "de"},
     "Das ist ein schöner Tag und wir gehen heute zusammen in den Park.", True),
    ("language:response_language", {"language": "de"},
     "This is a beautiful day and we are going to the park together.", False),
    # langdetect raises on text without letters: the official checker returns True
    ("language:response_language", {"language": "de"}, "12345 !!!", True),
    # --- length constraints -----------------------------------------------------------------
    # number_sentences: Punkt sentences; "less than" is <, "at least" is >=
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": LT},
     "One here. Two there!", True),
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": LT},
     "One. Two! Three?", False),
    ("length_constraints:number_sentences", {"num_sentences": 3, "relation": AL},
     "One. Two! Three?", True),
    # number_words: \w+ runs, so "don't" is two words and "state-of-the-art" four
    ("length_constraints:number_words", {"num_words": 6, "relation": AL},
     "I don't like state-of-the-art", True),
    ("length_constraints:number_words", {"num_words": 6, "relation": LT},
     "I don't like state-of-the-art", False),
    # number_paragraphs: split on \s?***\s?; blank first/last piece not counted
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "***\nA\n***\nB\n***", True),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 3}, "A\n***\nB", False),
    # a blank piece in the middle fails outright
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "A\n***\n***\nB", False),
    # nth_paragraph_first_word: split on "\n\n"; leading quote stripped; word cut at punctuation
    ("length_constraints:nth_paragraph_first_word",
     {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "Then"},
     "First part.\n\n\"then, more.", True),
    ("length_constraints:nth_paragraph_first_word",
     {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "then"},
     "First part.\n\nThenceforth more.", False),
    # the paragraph count must be exact as well
    ("length_constraints:nth_paragraph_first_word",
     {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "then"},
     "First part.\n\nThen more.", False),
    # --- detectable content -----------------------------------------------------------------
    # number_placeholders: non-greedy \[.*?\] matches, at least n ("[]" counts)
    ("detectable_content:number_placeholders", {"num_placeholders": 3},
     "Dear [name], at [address] on []", True),
    ("detectable_content:number_placeholders", {"num_placeholders": 3}, "Dear [name]", False),
    # postscript "P.S.": \s*p\.\s?s\..*$ on the lower-cased text, anywhere in a line
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "Bye. p. s. see you", True),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "Bye. PS see you", False),
    # "P.P.S" pattern needs no final period
    ("detectable_content:postscript", {"postscript_marker": "P.P.S"}, "Text\nP.P.S more", True),
    ("detectable_content:postscript", {"postscript_marker": "P.P.S"}, "Text\nP.S. more", False),
    # --- detectable format ------------------------------------------------------------------
    # number_bullet_lists: lines "* x" (not "**") plus lines "- x"; exact count
    ("detectable_format:number_bullet_lists", {"num_bullets": 3},
     "Intro\n* one\n  - two\n*three\n**bold line**", True),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2},
     "* one\n* two\n- three", False),
    # constrained_response: one of the three options is contained (case-sensitive)
    ("detectable_format:constrained_response", {}, "  My answer is maybe. Because.", True),
    ("detectable_format:constrained_response", {}, "my answer is yes.", False),
    # number_highlighted_sections: *a* and **b** each count once; "**" alone counts nothing
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2},
     "*one* and **two**", True),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2},
     "**two** and * * and **", False),
    # multiple_sections: split on \s?SPLITTER\s?\d+\s?, pieces-1 >= n, case-sensitive
    ("detectable_format:multiple_sections", {"section_spliter": "Section", "num_sections": 2},
     "Section 1\nfoo\nSection 2\nbar", True),
    ("detectable_format:multiple_sections", {"section_spliter": "SECTION", "num_sections": 2},
     "Section 1\nfoo\nSection 2\nbar", False),
    # json_format: ```json fences stripped, then json.loads
    ("detectable_format:json_format", {}, '```json\n{"a": [1, 2]}\n```', True),
    ("detectable_format:json_format", {}, 'Here: {"a": 1}', False),
    # title: <<...>> on one line with non-blank content
    ("detectable_format:title", {}, "<<My Poem>>\nRoses are red", True),
    ("detectable_format:title", {}, "<< >> and <<split\ntitle>>", False),
    # --- combination ------------------------------------------------------------------------
    # two_responses: split on ******, exactly two non-blank, different pieces
    ("combination:two_responses", {}, "Answer A\n******\nAnswer B", True),
    ("combination:two_responses", {}, "Same\n******\nSame ", False),
    ("combination:two_responses", {}, "A\n******\n\n******\nB", False),
    # repeat_prompt: stripped response starts with the stripped prompt, case-insensitive
    ("combination:repeat_prompt", {"prompt_to_repeat": "Write a poem."},
     "  write a POEM. Roses are red.", True),
    ("combination:repeat_prompt", {"prompt_to_repeat": "Write a poem."},
     "Sure! Write a poem. Roses are red.", False),
    # --- startend ---------------------------------------------------------------------------
    # end_checker: strip(), strip('"'), lower(), endswith(phrase lower-cased)
    ("startend:end_checker", {"end_phrase": "Any other questions?"},
     '"Done. any other questions?"  ', True),
    ("startend:end_checker", {"end_phrase": "Any other questions?"},
     "Any other questions? Bye.", False),
    # quotation: stripped text longer than 1, starts and ends with '"'
    ("startend:quotation", {}, ' "wrapped" \n', True),
    ("startend:quotation", {}, '"', False),
    # --- change case ------------------------------------------------------------------------
    # capital_word_frequency: word_tokenize tokens with isupper(); "U.S." counts, "I" counts
    ("change_case:capital_word_frequency", {"capital_frequency": 3, "capital_relation": AL},
     "I love the U.S. and NASA.", True),
    ("change_case:capital_word_frequency", {"capital_frequency": 3, "capital_relation": LT},
     "I love the U.S. and NASA.", False),
    # english_capital: isupper() and langdetect "en"
    ("change_case:english_capital", {},
     "THIS IS A SHORT LETTER TO MY FRIEND ABOUT THE WEATHER TODAY.", True),
    ("change_case:english_capital", {}, "THIS IS A SHORT LETTER to my friend.", False),
    # english_lowercase: islower() and langdetect "en"
    ("change_case:english_lowercase", {},
     "this is a short letter to my friend about the weather today.", True),
    ("change_case:english_lowercase", {},
     "das ist ein kurzer brief an meinen freund über das wetter heute.", False),
    # --- punctuation ------------------------------------------------------------------------
    ("punctuation:no_comma", {}, "No commas here; none at all.", True),
    ("punctuation:no_comma", {}, "One, two.", False),
]  # fmt: skip


@pytest.mark.parametrize(("instruction_id", "kwargs", "response", "expected"), CASES)
def test_checker_matches_official_rule(instruction_id, kwargs, response, expected):
    assert check_instruction(instruction_id, kwargs, response) is expected


def test_every_one_of_the_25_ids_has_a_passing_and_a_failing_case():
    assert len(INSTRUCTIONS) == 25
    for instruction_id in INSTRUCTIONS:
        outcomes = {expected for iid, _, _, expected in CASES if iid == instruction_id}
        assert outcomes == {True, False}, instruction_id


def test_case_checks_test_the_case_first_and_pass_when_langdetect_cannot_decide():
    # official order: `value.isupper() and langdetect.detect(value) == "en"`, and a
    # LangDetectException counts as followed. Roman numerals are cased but give langdetect
    # no features, so detection raises.
    assert check_instruction("change_case:english_capital", {}, "\u216b \u2163 123") is True
    assert check_instruction("change_case:english_lowercase", {}, "\u217b \u2173 123") is True
    # no cased character at all: isupper() and islower() are False, detection never runs
    assert check_instruction("change_case:english_capital", {}, "123 !!!") is False
    assert check_instruction("change_case:english_lowercase", {}, "123 !!!") is False
    # Greek capitals are detected as Greek: not English
    assert check_instruction("change_case:english_capital", {}, "\u03a9\u03a9\u03a9 123") is False


def test_keywords_are_literal_by_default_and_regex_with_official_flag():
    # official uses the keyword as a raw regex: "a.c" matches "abc"; fixed default does not
    kwargs = {"keywords": ["a.c"]}
    assert check_instruction("keywords:existence", kwargs, "abc", official=True)
    assert not check_instruction("keywords:existence", kwargs, "abc")
    # an invalid regex would crash the official code; here it is simply not found
    assert not check_instruction("keywords:existence", {"keywords": ["C++("]}, "C++", official=True)
    assert check_instruction("keywords:forbidden_words", {"forbidden_words": ["c+"]}, "cc")
    assert not check_instruction(
        "keywords:forbidden_words", {"forbidden_words": ["c+"]}, "cc", official=True
    )


def test_nth_paragraph_blank_piece_bug_is_fixed_unless_official():
    kwargs = {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "beta"}
    text = "Alpha one.\n\n\n\nBeta two."  # pieces: "Alpha one.", "", "Beta two."
    assert check_instruction("length_constraints:nth_paragraph_first_word", kwargs, text)
    # official indexes the raw pieces: the 2nd is blank -> False
    assert not check_instruction(
        "length_constraints:nth_paragraph_first_word", kwargs, text, official=True
    )


def test_section_splitter_is_literal_by_default():
    kwargs = {"section_spliter": "S.", "num_sections": 2}
    text = "SX 1 foo SY 2 bar"
    assert check_instruction("detectable_format:multiple_sections", kwargs, text, official=True)
    assert not check_instruction("detectable_format:multiple_sections", kwargs, text)


def test_json_fence_variants_and_deep_nesting_never_crash():
    assert check_instruction("detectable_format:json_format", {}, "```JSON\n[1]\n```")
    assert check_instruction("detectable_format:json_format", {}, '```\n"x"\n```')
    assert not check_instruction("detectable_format:json_format", {}, "[" * 100000)


def test_word_and_sentence_counts():
    assert ifeval_word_count("It's 3 p.m., isn't it?") == 8  # It s 3 p m isn t it: \w+ runs
    assert count_sentences("Dr. Smith came at 3 p.m. today. He left!") == 2
    assert count_sentences("no final stop\nand a new line") == 1
    assert count_sentences("") == 0


def test_bad_kwargs_raise_input_error_naming_the_field():
    with pytest.raises(InputError, match="field 'relation'"):
        check_instruction("length_constraints:number_words", {"num_words": 5, "relation": "<"}, "x")
    with pytest.raises(InputError, match="field 'num_words'.*missing"):
        check_instruction("length_constraints:number_words", {"relation": LT}, "x")
    with pytest.raises(InputError, match="unknown instruction id"):
        check_instruction("keywords:nope", {}, "x")
    with pytest.raises(InputError, match="field 'extra'"):
        check_instruction("punctuation:no_comma", {"extra": 1}, "x")
    with pytest.raises(InputError, match="field 'letter'"):
        check_instruction(
            "keywords:letter_frequency",
            {"letter": "ab", "let_frequency": 1, "let_relation": LT},
            "x",
        )


def test_null_kwargs_are_dropped_and_prompt_fills_prompt_to_repeat():
    # the Hugging Face copy lists every kwarg with null values
    assert check_instruction("punctuation:no_comma", {"num_words": None}, "ok")
    assert check_instruction("combination:repeat_prompt", {}, "Say hi. Hi!", prompt="Say hi.")


KWARGS = {
    "keywords:existence": {"keywords": ["a(", "b"]},
    "keywords:frequency": {"keyword": "*", "frequency": 1, "relation": AL},
    "keywords:forbidden_words": {"forbidden_words": ["[x"]},
    "keywords:letter_frequency": {"letter": "a", "let_frequency": 1, "let_relation": AL},
    "language:response_language": {"language": "en"},
    "length_constraints:number_sentences": {"num_sentences": 2, "relation": LT},
    "length_constraints:number_paragraphs": {"num_paragraphs": 2},
    "length_constraints:number_words": {"num_words": 2, "relation": AL},
    "length_constraints:nth_paragraph_first_word": {
        "num_paragraphs": 2, "nth_paragraph": 2, "first_word": "a",
    },
    "detectable_content:number_placeholders": {"num_placeholders": 1},
    "detectable_content:postscript": {"postscript_marker": "P.S.("},
    "detectable_format:number_bullet_lists": {"num_bullets": 1},
    "detectable_format:number_highlighted_sections": {"num_highlights": 1},
    "detectable_format:multiple_sections": {"section_spliter": "S(", "num_sections": 1},
    "combination:repeat_prompt": {"prompt_to_repeat": "a"},
    "startend:end_checker": {"end_phrase": "a"},
    "change_case:capital_word_frequency": {"capital_frequency": 1, "capital_relation": LT},
}  # fmt: skip


@pytest.mark.parametrize("official", [False, True])
def test_no_checker_crashes_on_odd_text(official):
    """Malformed model output must give a boolean, never an exception (regex metacharacters in
    kwargs included, which would crash the official code)."""
    import random

    rng = random.Random(0)
    alphabet = "aA *-#[]<>{}\"'\n\n,.!?P.S.***\u00e9\u4e2d\u0416 0123"
    texts = ["", " ", "\n\n", "***", "******", "```json\n```", "<<>>", "[", "\u4e2d\u6587"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(30)]
    for instruction_id in INSTRUCTIONS:
        kwargs = KWARGS.get(instruction_id, {})
        for text in texts:
            result = check_instruction(instruction_id, kwargs, text, official=official)
            assert isinstance(result, bool), (instruction_id, text)


def test_public_names_resolve():
    import lmforge.benchmarks.ifeval as ifeval

    assert all(getattr(ifeval, name) is not None for name in ifeval.__all__)


def test_langdetect_is_seeded_to_zero():
    from langdetect import DetectorFactory

    check_instruction("language:response_language", {"language": "en"}, "A plain English line.")
    assert DetectorFactory.seed == 0
