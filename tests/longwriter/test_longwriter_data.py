"""Loaders of the official files: counts from the spec, and bad rows named by file and line."""

from __future__ import annotations

import pytest

from lmforge.errors import InputError
from lmforge.longwriter import (
    RULER_LENGTHS,
    bucket_counts,
    load_longbench_write,
    load_predictions,
    load_ruler,
    ruler_prompts,
    type_counts,
)


def test_longbench_write_has_120_prompts_in_the_papers_ranges_and_types(test_data):
    rows = load_longbench_write(test_data / "longwriter" / "longbench_write.jsonl")
    assert len(rows) == 120
    assert list(bucket_counts(rows).values()) == [26, 36, 31, 27]
    assert type_counts(rows) == {
        "Literature and Creative Writing": 31,
        "Academic and Monograph": 22,
        "Popular Science": 18,
        "Functional Writing": 17,
        "News Report": 13,
        "Community Forum": 10,
        "Education and Training": 9,
    }
    lengths = [r["length"] for r in rows]
    assert (min(lengths), max(lengths)) == (100, 20000)


def test_english_subset_and_ruler_counts(test_data):
    english = load_longbench_write(test_data / "longwriter" / "longbench_write_en.jsonl")
    assert len(english) == 60
    assert list(bucket_counts(english).values()) == [17, 20, 11, 12]
    ruler = load_ruler(test_data / "longwriter" / "longwrite_ruler.jsonl")
    assert len(ruler) == 48
    assert sorted({r["length"] for r in ruler}) == list(RULER_LENGTHS)
    assert all(sum(r["length"] == n for r in ruler) == 8 for n in RULER_LENGTHS)


def test_predictions_keep_extra_fields(test_data):
    path = test_data / "longwriter" / "third_party_preds" / "mistral_longbench_write_en_pred.jsonl"
    rows = load_predictions(path)
    assert len(rows) == 60
    assert {"prompt", "type", "length", "response_length", "response"} <= set(rows[0])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"prompt": "p", "length": 10}', "field 'response': missing required field"),
        ('{"prompt": "p", "response": "r"}', "field 'length': missing required field"),
        ('{"prompt": "p", "length": 0, "response": "r"}', "expected a positive number"),
        ('{"prompt": "p", "length": "9", "response": "r"}', "expected a positive number"),
        ('{"prompt": "p", "length": 2.5, "response": "r"}', "expected a whole number"),
        ('{"prompt": 3, "length": 2, "response": "r"}', "field 'prompt': expected a string"),
    ],
)
def test_a_bad_row_names_file_line_and_field(tmp_path, line, message):
    path = tmp_path / "preds.jsonl"
    good = '{"prompt": "p", "length": 10, "response": "r"}'
    path.write_text(good + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_predictions(path)
    assert f"{path}:2: " in str(err.value)
    assert message in str(err.value)


def test_built_in_ruler_prompts_cover_every_length():
    rows = ruler_prompts()
    assert len(rows) == 4 * len(RULER_LENGTHS)
    assert rows[0]["prompt"] == "Write a 1000-word travel guide to the national parks of Canada."
    assert len({r["id"] for r in rows}) == len(rows)
    assert [r["length"] for r in ruler_prompts([300])] == [300] * 4
