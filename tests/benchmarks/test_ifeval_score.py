"""IFEval scoring: strict/loose rules of the official `evaluation_lib.py`, the four accuracies,
the report lines, input and response files with their errors, and the full 541-prompt set."""

from __future__ import annotations

import json
import time

import pytest

from helpers import write_jsonl
from lmforge.benchmarks.ifeval import (
    IFEvalInput,
    check_instruction,
    format_report,
    load_ifeval_inputs,
    load_responses,
    loose_variants,
    score_files,
    score_ifeval,
    score_prompt,
)
from lmforge.errors import InputError

# A5 of the research notes: instances per instruction id in input_data.jsonl
A5_COUNTS = {
    "change_case:capital_word_frequency": 25, "change_case:english_capital": 25,
    "change_case:english_lowercase": 39, "combination:repeat_prompt": 41,
    "combination:two_responses": 24, "detectable_content:number_placeholders": 27,
    "detectable_content:postscript": 26, "detectable_format:constrained_response": 10,
    "detectable_format:json_format": 17, "detectable_format:multiple_sections": 14,
    "detectable_format:number_bullet_lists": 31,
    "detectable_format:number_highlighted_sections": 48, "detectable_format:title": 37,
    "keywords:existence": 39, "keywords:forbidden_words": 49, "keywords:frequency": 42,
    "keywords:letter_frequency": 33, "language:response_language": 31,
    "length_constraints:nth_paragraph_first_word": 12,
    "length_constraints:number_paragraphs": 27, "length_constraints:number_sentences": 52,
    "length_constraints:number_words": 52, "punctuation:no_comma": 66,
    "startend:end_checker": 26, "startend:quotation": 41,
}  # fmt: skip


WARM = {"capital_frequency": 1, "capital_relation": "at least"}


def one(instruction_id: str, kwargs: dict, response: str) -> tuple[bool, bool]:
    """(strict, loose) of a single instruction on one response."""
    item = IFEvalInput(key=1, prompt="p", instruction_id_list=[instruction_id], kwargs=[kwargs])
    result = score_prompt(item, response)
    return result.strict[0], result.loose[0]


def test_loose_variants_are_the_official_eight_in_order():
    response = "Sure:\n*a*\nb\nEnd*"
    assert loose_variants(response) == [
        response,  # as is
        "Sure:\na\nb\nEnd",  # all * removed (not stripped)
        "*a*\nb\nEnd*",  # first line removed, stripped
        "Sure:\n*a*\nb",  # last line removed
        "*a*\nb",  # both removed
        "a\nb\nEnd",  # first removed, then * removed
        "Sure:\na\nb",
        "a\nb",
    ]


CASES = [
    # an intro line breaks strict; loose drops the first line
    ("startend:quotation", {}, 'Sure, here it is:\n"All wrapped up."', (False, True)),
    ("combination:repeat_prompt", {"prompt_to_repeat": "Write a haiku."},
     "Sure, here it is:\nWrite a haiku. Leaves fall.", (False, True)),
    # a trailing note breaks strict; loose drops the last line
    ("startend:end_checker", {"end_phrase": "Peace!"}, "Done. Peace!\nNote: by AI", (False, True)),
    # markdown * breaks strict; loose removes every *
    ("startend:end_checker", {"end_phrase": "Is there anything else I can help with?"},
     "Done. **Is there anything else I can help with?**", (False, True)),
    ("length_constraints:nth_paragraph_first_word",
     {"num_paragraphs": 2, "nth_paragraph": 1, "first_word": "summer"},
     "**Summer** is here.\n\nWinter follows.", (False, True)),
    # a strict pass is a loose pass
    ("punctuation:no_comma", {}, "No commas.", (True, True)),
    # a blank response follows nothing, not even "no commas" (all variants blank too)
    ("punctuation:no_comma", {}, "  \n \n", (False, False)),
    # loose cannot fix a comma in the middle
    ("punctuation:no_comma", {}, "Intro\nA, B\nOutro", (False, False)),
]  # fmt: skip


@pytest.mark.parametrize(("instruction_id", "kwargs", "response", "expected"), CASES)
def test_strict_and_loose_follow_the_official_rules(instruction_id, kwargs, response, expected):
    assert one(instruction_id, kwargs, response) == expected


def small_set() -> list[IFEvalInput]:
    return [
        IFEvalInput(1, "A?", ["punctuation:no_comma", "startend:quotation"], [{}, {}]),
        IFEvalInput(2, "B?", ["detectable_format:title"], [{}]),
    ]


def test_four_accuracies_and_report_lines():
    responses = {"A?": 'Sure:\n"no commas"', "B?": "<<T>> body"}
    report = score_ifeval(small_set(), responses)
    # strict: prompt 1 follows no_comma but not quotation; prompt 2 follows its one instruction
    assert report.prompt_level_strict == 50.0
    assert report.instruction_level_strict == pytest.approx(200 / 3)
    assert report.prompt_level_loose == 100.0
    assert report.instruction_level_loose == 100.0
    assert report.average == pytest.approx((50 + 200 / 3 + 100 + 100) / 4)
    lines = format_report(report)
    assert lines[:4] == [
        "prompt_level_strict: 50.00",
        "instruction_level_strict: 66.67",
        "prompt_level_loose: 100.00",
        "instruction_level_loose: 100.00",
    ]
    table = "\n".join(lines[4:])
    assert "startend:quotation" in table and "punctuation" in table
    quotation = next(t for t in report.by_instruction if t.name == "startend:quotation")
    assert (quotation.n, quotation.strict, quotation.loose) == (1, 0.0, 100.0)
    row = report.rows[0].to_dict()
    assert row["follow_instruction_list_strict"] == [True, False]
    assert row["follow_all_instructions_loose"] is True


def test_missing_response_names_the_prompt():
    with pytest.raises(InputError, match=r"no response for 1 of 2 prompts; first: key 2.*'B\?'"):
        score_ifeval(small_set(), {"A?": "x"})


def test_load_inputs_and_responses_roundtrip(tmp_path):
    inputs = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {
                "key": 7,
                "prompt": "Say hi",
                "instruction_id_list": ["length_constraints:number_words"],
                "kwargs": [{"num_words": 3, "relation": "less than", "keyword": None}],
            }
        ],
    )
    responses = write_jsonl(
        tmp_path / "out.jsonl",
        [{"prompt": "Say hi", "response": "old"}, {"prompt": "Say hi", "response": "hi there"}],
    )
    items = load_ifeval_inputs(inputs)
    assert items[0].kwargs == [{"num_words": 3, "relation": "less than"}]  # null dropped
    assert load_responses(responses) == {"Say hi": "hi there"}  # last row wins, as officially
    assert score_ifeval(items, load_responses(responses)).prompt_level_strict == 100.0
    assert score_files(inputs, responses).prompt_level_strict == 100.0
    empty = write_jsonl(tmp_path / "other.jsonl", [{"prompt": "Something else", "response": "x"}])
    with pytest.raises(InputError, match=r"other\.jsonl: field 'prompt': no response for 1 of 1"):
        score_files(inputs, empty)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("{not json", r"in\.jsonl:2: invalid JSON"),
        ({"prompt": "x", "kwargs": []}, r"in\.jsonl:2: field 'instruction_id_list': missing"),
        (
            {"prompt": "x", "instruction_id_list": ["keywords:nope"], "kwargs": [{}]},
            r"in\.jsonl:2: field 'instruction_id_list': unknown instruction id 'keywords:nope'",
        ),
        (
            {
                "prompt": "x",
                "instruction_id_list": ["length_constraints:number_words"],
                "kwargs": [{"num_words": "ten", "relation": "at least"}],
            },
            r"in\.jsonl:2: field 'kwargs\[0\]\.num_words': expected a non-negative integer",
        ),
        (
            {"prompt": "x", "instruction_id_list": ["punctuation:no_comma"], "kwargs": []},
            r"in\.jsonl:2: field 'kwargs': 0 kwargs for 1 instruction ids",
        ),
    ],
)
def test_broken_input_row_is_reported_with_file_line_and_field(tmp_path, row, message):
    good = {"prompt": "ok", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}
    path = tmp_path / "in.jsonl"
    second = row if isinstance(row, str) else json.dumps(row)
    path.write_text(json.dumps(good) + "\n" + second + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_ifeval_inputs(path)


def test_broken_response_row_is_reported(tmp_path):
    path = write_jsonl(tmp_path / "r.jsonl", [{"prompt": "a", "response": "b"}, {"prompt": "c"}])
    with pytest.raises(InputError, match=r"r\.jsonl:2: field 'response': missing"):
        load_responses(path)
    path = write_jsonl(tmp_path / "r2.jsonl", [{"prompt": "a", "response": None}])
    with pytest.raises(InputError, match=r"r2\.jsonl:1: field 'response': expected str"):
        load_responses(path)


def test_all_541_inputs_load_and_score_end_to_end(test_data, tmp_path):
    path = test_data / "crab" / "ifeval" / "input_data.jsonl"
    inputs = load_ifeval_inputs(path)  # every id and kwargs combination is supported
    assert len(inputs) == 541
    counts: dict[str, int] = {}
    for item in inputs:
        for instruction_id in item.instruction_id_list:
            counts[instruction_id] = counts.get(instruction_id, 0) + 1
    assert counts == A5_COUNTS and sum(counts.values()) == 834

    # synthetic responses: an intro line, then the prompt itself
    rows = [{"prompt": item.prompt, "response": "Sure:\n" + item.prompt} for item in inputs]
    responses = load_responses(write_jsonl(tmp_path / "responses.jsonl", rows))
    # load nltk and langdetect (seconds) outside the timing
    check_instruction("language:response_language", {"language": "en"}, "Hello there, friend.")
    check_instruction("change_case:capital_word_frequency", WARM, "A B.")
    start = time.process_time()  # CPU time: a loaded CI machine stretches only the wall clock
    report = score_ifeval(inputs, responses)
    elapsed = time.process_time() - start
    print(f"scored 541 prompts (8 loose variants) in {elapsed:.2f} CPU-s")
    assert elapsed < 10

    assert len(report.rows) == 541
    repeat = next(t for t in report.by_instruction if t.name == "combination:repeat_prompt")
    # strict: "Sure:" comes first, so no response repeats the request
    assert repeat.strict == 0.0
    # loose drops the intro line: passes exactly where the prompt starts with the request
    starts = [
        item.prompt.strip().lower().startswith(kw["prompt_to_repeat"].strip().lower())
        for item in inputs
        for iid, kw in zip(item.instruction_id_list, item.kwargs, strict=True)
        if iid == "combination:repeat_prompt"
    ]
    assert repeat.loose == pytest.approx(100 * sum(starts) / len(starts))
    assert report.prompt_level_strict <= report.prompt_level_loose
    assert report.instruction_level_strict <= report.instruction_level_loose
    assert [t.name for t in report.by_instruction] == sorted(A5_COUNTS)
