import pytest

from lmforge.crab.similarity import dedupe_constraints, overlap_count, rouge_l


def test_rouge_l_known_values():
    assert rouge_l("the cat sat on the mat", "the cat sat on the mat") == 1.0
    assert rouge_l("", "anything") == 0.0
    # LCS "the cat the mat" = 4 of 6 and 4 of 5 tokens
    assert rouge_l("the cat sat on the mat", "the cat ate the mat") == pytest.approx(
        2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5)
    )
    assert rouge_l("A B", "a b") == 1.0


def test_dedupe_removes_the_most_conflicted_first():
    constraints = {
        "a": "Write the answer in formal English for experts.",
        "b": "Write the answer in formal English for engineers.",
        "c": "Write the answer in formal English for managers.",
        "d": "Use exactly three bullet points.",
    }
    kept, removed = dedupe_constraints(constraints, 0.6)
    assert "d" in kept
    assert len(kept) == 2 and len(removed) == 2  # a triangle keeps one of three
    for x in kept:
        for y in kept:
            assert x == y or rouge_l(kept[x], kept[y]) <= 0.6


def test_overlap_with_refined_instruction():
    refined = "Write a formal answer in English for experts about rain."
    constraints = {"a": "Write a formal answer in English for experts.", "b": "Use bullets."}
    assert overlap_count(constraints, refined) == 1
    assert overlap_count(constraints, "") == 0
