"""Stage-1.3 generators: exact formulas, quirks Q1/Q2/Q4, phrasing families, round trips."""

from __future__ import annotations

import random

import pytest

from lmforge.crab.constraints import from_llm, python_constraints, python_rules, word_tokenize
from lmforge.crab.constraints import phrasings as ph
from lmforge.crab.constraints.python_rules import digit_constraint, round_up_5
from lmforge.crab.constraints.synthetic import synthetic_responses
from lmforge.crab.constraints.tokens import ResponseView


def words(n: int) -> str:
    """A one-sentence text of exactly n tokens."""
    return " ".join(["cat"] * n)


def test_tokenisation_is_nltk_style_and_offline():
    assert word_tokenize("Hello, world! It's fine.") == [
        "Hello", ",", "world", "!", "It", "'s", "fine", "."
    ]  # fmt: skip
    assert len(word_tokenize(words(37))) == 37


@pytest.mark.parametrize("n", [0, 1, 2, 9, 10, 25, 99, 347])
@pytest.mark.parametrize("seed", range(12))
def test_digit_formula_is_exact(n, seed):
    c = digit_constraint(ResponseView(words(n)), random.Random(seed), faithful_quirks=True)
    ref = random.Random(seed)
    t = n // 10
    if t == 0:
        low, high, around = 3, 20, 10
    else:
        low = 10 * t - 10 * min(ref.randint(0, t - 1), 2)
        high = 10 * (t + 1) + 10 * ref.randint(0, 2)
        around = 10 * t
    form = ("range", "at_least", "at_most", "around")[ref.randint(1, 4) - 1]
    assert c.form == form
    expected = {
        "range": (low, high, None),
        "at_least": (low, None, None),
        "at_most": (None, high, None),
        "around": (None, None, around),
    }[form]
    assert (c.minimum, c.maximum, c.target) == expected


def test_digit_short_response_fix():
    """Official t = 0 minimum is 3 even for a 1-token answer; the default caps it at n."""
    for seed in range(40):
        fixed = digit_constraint(ResponseView("Yes"), random.Random(seed))
        assert fixed.check("Yes") is True
    faithful = [
        digit_constraint(ResponseView("Yes"), random.Random(s), faithful_quirks=True).check("Yes")
        for s in range(40)
    ]
    assert False in faithful  # the range / at-least forms with min 3


def test_round_up_5():
    assert [round_up_5(n) for n in (1, 5, 6, 10, 11, 29, 30, 31)] == [5, 5, 10, 10, 15, 30, 30, 35]


def test_sentence_rule():
    assert "Sentence" not in python_constraints(words(4) + ".", random.Random(0))  # 5 tokens
    c = python_constraints(words(10) + ". " + words(3) + ".", random.Random(0))["Sentence"]
    assert c.max_words == 15  # 11 tokens with the full stop -> 15
    assert c.check(words(14) + ".") is True and c.check(words(15) + ".") is False


def test_paragraph_rule_and_quirk_q2():
    text = "One. Two.\nThree. Four. Five. Six."  # lines with 2 and 4 sentences
    for seed in range(20):
        fixed = python_constraints(text, random.Random(seed))["Paragraph"]
        assert 4 <= fixed.max_sentences <= 6 and fixed.check(text)
        faithful = python_constraints(text, random.Random(seed), faithful_quirks=True)["Paragraph"]
        assert 2 <= faithful.max_sentences <= 4
    broken = [
        python_constraints(text, random.Random(s), faithful_quirks=True)["Paragraph"].check(text)
        for s in range(20)
    ]
    assert broken.count(False) > 0  # min + 0..1 < 4 sentences in the second line
    single = "One sentence here.\nAnother line. With two."
    assert "Paragraph" not in python_constraints(single, random.Random(0), faithful_quirks=True)
    assert "Paragraph" in python_constraints(single, random.Random(0))


def test_word_rule_and_quirk_q1():
    text = "An internationalisation effort."  # longest token: 20 characters
    fixed = python_constraints(text, random.Random(0))["Word"]
    assert (fixed.characters, fixed.bound) == (20, "at_most") and fixed.check(text)
    faithful = python_constraints(text, random.Random(0), faithful_quirks=True)["Word"]
    assert (faithful.characters, faithful.bound) == (20, "at_least")
    assert faithful.check(text) is False  # Q1: unsatisfiable by its own response
    assert "Word" not in python_constraints("a an the", random.Random(0))


def test_keyword_rule_threshold_top_and_q4(monkeypatch):
    calls = []

    def fake(text):
        calls.append(text)
        return [("alpha beta", 0.01), ("gamma", 0.069), ("delta", 0.07), ("missing one", 0.02)]

    monkeypatch.setattr(python_rules, "yake_keywords", fake)
    text = "alpha beta and Gamma are here, delta too."
    fixed = python_constraints(text, random.Random(0))["Keyword"]
    assert fixed.keywords == ("alpha beta", "gamma") and fixed.check(text)
    faithful = python_constraints(text, random.Random(0), faithful_quirks=True)["Keyword"]
    assert faithful.keywords == ("alpha beta", "gamma", "missing one")
    assert faithful.check(text) is False
    monkeypatch.setattr(python_rules, "yake_keywords", lambda text: [("x", 0.5)])
    assert "Keyword" not in python_constraints(text, random.Random(0))  # Q4: silently skipped


def test_yake_top_is_chars_over_10_capped_at_3():
    assert python_rules.yake_keywords("tiny") == []  # 4 chars -> top 0 -> skipped
    found = python_rules.yake_keywords("Quantum computers threaten RSA encryption. " * 4)
    assert 1 <= len(found) <= 3 and all(isinstance(s, float) for _, s in found)


@pytest.mark.parametrize(
    ("text", "symbol"),
    [("a, b", ":"), ("a, b: c", "?"), ("a, b: c?", "!"), ("plain", ","), (", : ? !", None)],
)
def test_punctuation_first_absent_symbol(text, symbol):
    got = python_constraints(text, random.Random(0)).get("Punctuation")
    assert (got.symbol if got else None) == symbol
    if got:
        assert got.check(text) is True and got.check(text + symbol) is False


def test_phrasing_family_sizes():
    sizes = [len(f) for f in (ph.DIGIT_RANGE, ph.DIGIT_AT_LEAST, ph.DIGIT_AT_MOST, ph.DIGIT_AROUND)]
    assert sizes == [15, 6, 6, 6]
    assert (len(ph.SENTENCE), len(ph.PARAGRAPH), len(ph.WORD_AT_LEAST)) == (14, 15, 14)
    assert (len(ph.WORD_AT_MOST), len(ph.KEYWORD)) == (14, 15)
    assert list(ph.PUNCTUATION) == [",", ":", "?", "!"]
    assert all(len(v) == 5 for v in ph.PUNCTUATION.values())


def _every_phrasing():
    for t in ph.DIGIT_RANGE:
        yield "Digit", t.format(min=40, max=70), {"form": "range", "minimum": 40, "maximum": 70}
    for t in ph.DIGIT_AT_LEAST:
        yield "Digit", t.format(num=40), {"form": "at_least", "minimum": 40}
    for t in ph.DIGIT_AT_MOST:
        yield "Digit", t.format(num=70), {"form": "at_most", "maximum": 70}
    for t in ph.DIGIT_AROUND:
        yield "Digit", t.format(num=50), {"form": "around", "target": 50}
    for t in ph.SENTENCE:
        yield "Sentence", t.format(words=25), {"max_words": 25}
    for t in ph.PARAGRAPH:
        yield "Paragraph", t.format(sentences=4), {"max_sentences": 4}
    for t in ph.WORD_AT_LEAST:
        yield "Word", t.format(chars=15), {"characters": 15, "bound": "at_least"}
    for t in ph.WORD_AT_MOST:
        yield "Word", t.format(chars=15), {"characters": 15, "bound": "at_most"}
    for t in ph.KEYWORD:
        quoted = t.format(keywords='"big data", "cloud"')
        yield "Keyword", quoted, {"keywords": ("big data", "cloud")}
    for symbol, family in ph.PUNCTUATION.items():
        for t in family:
            yield "Punctuation", t, {"symbol": symbol}


@pytest.mark.parametrize(("key", "text", "params"), list(_every_phrasing()))
def test_every_phrasing_reads_back_to_its_parameters(key, text, params):
    c = from_llm(key, text)
    assert c.model_dump(include=set(params)) == params, text


def test_round_trip_on_many_synthetic_responses():
    """Property: every default constraint holds on the response it was written from."""
    seen: dict[str, int] = {}
    for i, response in enumerate(synthetic_responses(120, seed=7)):
        for key, c in python_constraints(response, random.Random(i)).items():
            assert c.check(response) is True, (key, c.text, response[:200])
            again = from_llm(key, c.text)  # the text alone carries the parameters
            assert again.check(response) is True, (key, c.text)
            seen[key] = seen.get(key, 0) + 1
    assert set(seen) == {"Digit", "Sentence", "Paragraph", "Word", "Keyword", "Punctuation"}


def test_faithful_quirks_break_the_round_trip_as_documented():
    violations = {"Word": 0, "Paragraph": 0, "other": 0}
    for i, response in enumerate(synthetic_responses(60, seed=3)):
        for key, c in python_constraints(response, random.Random(i), faithful_quirks=True).items():
            if c.check(response) is False:
                violations[key if key in violations else "other"] += 1
    assert violations["Word"] > 50 and violations["Paragraph"] > 0
    assert violations["other"] <= 3  # t = 0 Digit minimum, YAKE surface forms


def test_generation_is_seeded():
    text = synthetic_responses(1, seed=11)[0]
    a = python_constraints(text, random.Random(5))
    b = python_constraints(text, random.Random(5))
    assert {k: c.to_dict() for k, c in a.items()} == {k: c.to_dict() for k, c in b.items()}


@pytest.mark.parametrize(
    "text",
    ["", " ", "\n\n\n", "Yes", "这是一个关于中国历史的句子，我们讨论了重要的事件。", "!!! ??? ...",
     "```python\nx = 1\n```", "| a | b |\n|---|---|", "😀 " * 30,
     "Mr. Smith went to Washington. " * 40],
)  # fmt: skip
def test_odd_inputs_never_crash_and_still_round_trip(text):
    for seed in range(3):
        for key, c in python_constraints(text, random.Random(seed)).items():
            assert c.check(text) is True, (key, c.text)
