"""`lmforge crab ...` through the real entry point (subprocess), as a user runs it."""

import json
import re
from functools import partial

import pytest

from helpers import lmforge_cli, write_jsonl
from lmforge.training import save_tiny_model

run = partial(lmforge_cli, "crab", timeout=600)


IFEVAL_INPUTS = [
    {
        "key": 1,
        "prompt": "Answer without commas.",
        "instruction_id_list": ["punctuation:no_comma"],
        "kwargs": [{}],
    },
    {
        "key": 2,
        "prompt": "Answer in lowercase, in at least 5 words.",
        "instruction_id_list": ["change_case:english_lowercase", "length_constraints:number_words"],
        "kwargs": [{}, {"relation": "at least", "num_words": 5}],
    },
]


def test_ifeval_prints_the_four_lines_then_the_table(tmp_path):
    inputs = write_jsonl(tmp_path / "in.jsonl", IFEVAL_INPUTS)
    responses = write_jsonl(
        tmp_path / "resp.jsonl",
        [
            {"prompt": "Answer without commas.", "response": "Yes, sure."},
            {
                "prompt": "Answer in lowercase, in at least 5 words.",
                "response": "this answer is all lowercase words",
            },
        ],
    )
    result = run("ifeval", "--inputs", inputs, "--responses", responses)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "prompt_level_strict: 50.00",
        "instruction_level_strict: 66.67",
        "prompt_level_loose: 50.00",
        "instruction_level_loose: 66.67",
    ]
    assert any(line.startswith("punctuation:no_comma") for line in lines[4:])


def test_ifeval_missing_response_is_one_line(tmp_path):
    inputs = write_jsonl(tmp_path / "in.jsonl", IFEVAL_INPUTS)
    responses = write_jsonl(
        tmp_path / "resp.jsonl", [{"prompt": "Answer without commas.", "response": "Yes"}]
    )
    result = run("ifeval", "--inputs", inputs, "--responses", responses)
    assert result.returncode == 2
    assert "no response" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_ifeval_on_the_shared_inputs_scores_every_prompt(tmp_path, test_data):
    source = test_data / "crab" / "ifeval" / "input_data.jsonl"
    rows = [json.loads(line) for line in source.read_text().splitlines()]
    responses = write_jsonl(
        tmp_path / "resp.jsonl", [{"prompt": r["prompt"], "response": r["prompt"]} for r in rows]
    )
    result = run("ifeval", "--inputs", source, "--responses", responses)
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines()[:4]:
        assert re.fullmatch(r"(prompt|instruction)_level_(strict|loose): \d+\.\d\d", line)


def test_backtranslate_bad_row_is_one_line_exit_2(tmp_path):
    pairs = write_jsonl(
        tmp_path / "pairs.jsonl",
        [{"instruction": "hi", "response": "hello"}, {"response": "no instruction"}],
    )
    result = run(
        "backtranslate", "--input", pairs, "--model", "scripted", "--out", tmp_path / "run"
    )
    assert result.returncode == 2
    assert "pairs.jsonl:2: field 'instruction'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_backtranslate_prints_the_figures_and_each_reason(tmp_path):
    pairs = write_jsonl(tmp_path / "pairs.jsonl", [{"instruction": "hi", "response": "hello"}])
    result = run(
        "backtranslate", "--input", pairs, "--model", "scripted", "--out", tmp_path / "run", "-q"
    )
    assert result.returncode == 3, result.stderr  # finished, with a failed record
    assert result.stdout.splitlines() == [
        "pairs: 1",
        "kept: 0",
        "dropped: 0",
        "failed: 1",
        "  failed: ParseFailure: neither constraint reply was JSON: 1",  # "OK" is no JSON
    ]
    assert "error: 1 of 1 records failed" in result.stderr


@pytest.mark.slow
def test_compose_then_train_sft(tmp_path):
    items = []
    for i in range(12):
        response = f"Answer {i}: rain falls on the town.\n- keep dry\n- stay warm"
        items.append(
            {
                "id": i,
                "messages": [
                    {"role": "user", "content": f"Describe rain number {i}."},
                    {"role": "assistant", "content": response},
                ],
                "Aug_instruction": {
                    "Refined_Instruction": f"Describe rain number {i} in a short calm text.",
                    "Additional_Instruction": {
                        "Desired_Writing_Style": "Use a calm tone.",
                        "Item_Listing_Details": "Use '-' for list items.",
                        "Punctuation": "Do not use the symbol '!'.",
                        "Digit": "Answer in at most 40 words.",
                    },
                },
                "overlap": 0,
            }
        )
    source = write_jsonl(tmp_path / "items.jsonl", items)
    train = tmp_path / "train.jsonl"
    result = run("compose", "--input", source, "--output", train, "--seed", 1)
    assert result.returncode == 0, result.stderr
    counts = dict(line.split(": ") for line in result.stdout.splitlines())
    assert int(counts["rows"]) == len(train.read_text().splitlines()) > 0
    assert int(counts["forward"]) > 0
    model = save_tiny_model(tmp_path / "tiny")
    result = run(
        "train-sft",
        "--data",
        train,
        "--model",
        f"hf:{model}",
        "--output-dir",
        tmp_path / "sft",
        "--max-steps",
        3,
        "--max-length",
        128,
    )
    assert result.returncode == 0, result.stderr
    assert "steps: 3" in result.stdout
    assert (tmp_path / "sft" / "final" / "config.json").exists()


def test_followbench_rules_without_judge(tmp_path, test_data):
    from lmforge.benchmarks.followbench import load_followbench

    folder = test_data / "crab" / "followbench"
    items = [i for i in load_followbench(folder) if i.level > 0 and i.category == "example"]
    responses = write_jsonl(
        tmp_path / "fb.jsonl",
        [
            {
                "category": i.category,
                "example_id": i.example_id,
                "level": i.level,
                "response": i.target or "no idea",
            }
            for i in items
        ],
    )
    result = run("followbench", "--data", folder, "--responses", responses)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^HSR\s+[\d.]+", result.stdout, re.MULTILINE)
    assert f"scored by rule: {len(items)}" in result.stdout


@pytest.mark.slow
def test_ifeval_with_a_model_generates_then_scores(tmp_path):
    inputs = write_jsonl(tmp_path / "in.jsonl", IFEVAL_INPUTS)
    out = tmp_path / "run"
    result = run(
        "ifeval",
        "--inputs",
        inputs,
        "--model",
        "embedded-tiny",
        "--max-tokens",
        32,
        "--out",
        out,
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    assert re.match(r"prompt_level_strict: \d+\.\d\d\n", result.stdout)
    answered = [json.loads(line) for line in (out / "responses.jsonl").read_text().splitlines()]
    assert [r["prompt"] for r in answered] == [r["prompt"] for r in IFEVAL_INPUTS]
    assert len((out / "results.jsonl").read_text().splitlines()) == 2
