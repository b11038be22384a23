"""S_l, length buckets and the official word counter against the spec's fixtures."""

from __future__ import annotations

import json

import pytest

from lmforge.longwriter import BUCKETS, count_words, length_bucket, length_score


@pytest.mark.parametrize(
    ("required", "produced", "expected"),
    [
        (1000, 1000, 100.0),
        (1000, 2000, 66.67),
        (1000, 500, 50.0),
        (1000, 4000, 0.0),
        (1000, 333, 0.0),
        (1000, 334, 0.3),
        (1000, 5000, 0.0),
        (5000, 6176, 92.16),
        (10000, 10691, 97.70),
    ],
)
def test_length_score_matches_the_official_formula(required, produced, expected):
    assert round(length_score(required, produced), 2) == expected


def test_overshoot_and_undershoot_have_different_slopes():
    # +100% costs a third, -50% (ratio 2) costs a half: short answers are punished harder
    assert length_score(1000, 2000) == pytest.approx(100 * (1 - 1 / 3))
    assert length_score(1000, 500) == pytest.approx(50.0)
    assert length_score(3, 1) == 0.0  # exactly a third: the floor


def test_empty_output_scores_zero_and_official_mode_keeps_the_crash():
    assert length_score(500, 0) == 0.0
    with pytest.raises(ZeroDivisionError):
        length_score(500, 0, official=True)
    assert length_score(500, 250, official=True) == length_score(500, 250)


def test_bad_lengths_are_rejected():
    with pytest.raises(ValueError):
        length_score(0, 10)
    with pytest.raises(ValueError):
        length_score(10, -1)
    with pytest.raises(ValueError):
        length_bucket(-1)


@pytest.mark.parametrize(
    ("required", "bucket"),
    [
        (0, "[0,500)"),
        (499, "[0,500)"),
        (500, "[500,2k)"),
        (1999, "[500,2k)"),
        (2000, "[2k,4k)"),
        (3999, "[2k,4k)"),
        (4000, "[4k,20k]"),
        (20000, "[4k,20k]"),
        (30000, "[4k,20k]"),
    ],
)
def test_buckets_are_left_closed_and_20000_is_in_the_last(required, bucket):
    assert length_bucket(required) == bucket
    assert [b[0] for b in BUCKETS] == ["[0,500)", "[500,2k)", "[2k,4k)", "[4k,20k]"]


def test_word_counter_rules():
    assert count_words("Hello, world! 123") == 2
    assert count_words("don't well-known") == 4
    assert count_words("中文字符 and English") == 6


def test_readme_samples_count_6176_and_10691_and_score_92_16_and_97_70(test_data):
    path = test_data / "longwriter" / "readme_sample_outputs.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    counts = [count_words(row["response"]) for row in rows]
    assert counts == [6176, 10691]
    assert counts == [row["reported_response_length"] for row in rows]
    scores = [
        round(length_score(r["required_length"], c), 2) for r, c in zip(rows, counts, strict=True)
    ]
    assert scores == [92.16, 97.70]
