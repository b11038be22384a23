"""ROUGE-L and BLEU-4 against hand-computed and NLTK values."""

import pytest

from lmforge.text.overlap import bleu4, rouge_l


def test_rouge_l_hand_computed() -> None:
    # LCS "the cat on the mat" = 5 of 6 tokens on both sides
    assert rouge_l("The cat sat on the mat.", "the cat is on the mat") == pytest.approx(5 / 6)
    assert rouge_l("same words here", "same words here") == 1.0
    assert rouge_l("", "x") == 0.0 and rouge_l("a", "b") == 0.0


def test_bleu4_hand_computed_and_equal_to_nltk_method2() -> None:
    # p1 = 4/5, p2..p4 add-one: 4/5, 3/4, 2/3; equal lengths: no brevity penalty
    expected = (0.8 * 0.8 * 0.75 * (2 / 3)) ** 0.25
    assert bleu4("a b c d e", "a b c d f") == pytest.approx(expected)
    assert bleu4("x y z", "a b c") == 0.0
    assert bleu4("", "a") == 0.0
    # values from NLTK's sentence_bleu(..., SmoothingFunction().method2), computed once:
    # importing nltk.translate costs over 10 s on the shared machine
    hyp = "today we look at how attention lets a model weigh every word"
    ref = "attention mechanism: weigh every word of the input sequence"
    assert bleu4(hyp, ref) == pytest.approx(0.19729406277958836)
    assert bleu4("the cat sat", "the cat sat on the mat today") == pytest.approx(
        0.22165788851265286
    )


def test_rouge_l_known_values():
    assert rouge_l("the cat sat on the mat", "the cat sat on the mat") == 1.0
    # LCS "the cat the mat" = 4 of 6 and 4 of 5 tokens
    assert rouge_l("the cat sat on the mat", "the cat ate the mat") == pytest.approx(
        2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5)
    )
    assert rouge_l("A B", "a b") == 1.0
