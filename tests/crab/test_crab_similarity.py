from lmforge.crab.similarity import dedupe_constraints, overlap_count, rouge_l


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
