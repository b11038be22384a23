"""The judge-reply parsers: official readings and the tolerant default, English and Chinese."""

import pytest

from lmforge.longreward.parse import (
    has_no_info,
    prompt_language,
    read_rating,
    read_statements,
    read_support,
)
from lmforge.pipeline.parse import ParseFailure


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("The answer covers two points.\nRating: [[5]]", 5.0),
        ("Analysis ... [[7.5]]", 7.5),
        ("First I thought [[3]], but on reflection [[8]]", 8.0),  # the LAST [[n]] wins
        ("分析：回答全面。评分：[[9]]", 9.0),
        ("[[ 6 ]]", 6.0),
    ],
)
def test_double_bracket_ratings_both_readings(text, value):
    assert read_rating(text) == value
    assert read_rating(text, official=True) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Rating: 7", 7.0),
        ("Final score: 6.5/10", 6.5),
        ('{"analysis": "fine", "rating": 4}', 4.0),
        ("回答基本覆盖了要点。评分：8", 8.0),
        ("得分为 3.5", 3.5),
    ],
)
def test_missing_brackets_read_by_default_and_refused_officially(text, value):
    assert read_rating(text) == value
    with pytest.raises(ParseFailure, match="no rating found"):
        read_rating(text, official=True)


def test_out_of_range_and_absent_ratings_are_rejected():
    with pytest.raises(ParseFailure, match="out of range"):
        read_rating("Rating: [[12]]")
    assert read_rating("Rating: [[12]]", official=True) == 12.0  # the official code averages it
    with pytest.raises(ParseFailure, match="no rating"):
        read_rating("I cannot rate this answer.")


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("Analysis. [[Fully supported]]", "fully"),
        ("[[Partially supported]]", "partially"),
        ("[[No support]]", "none"),
        ("[[Fully supported]] at first, but no: [[Partially supported]]", "partially"),
        ("[[Not Fully/partially]]", "fully"),  # substring mapping, as the official code does
        ("[[unclear]]", "none"),
    ],
)
def test_support_official_brackets(text, level):
    assert read_support(text) == level
    assert read_support(text, official=True) == level


def test_support_without_brackets_json_and_chinese():
    assert read_support('{"analysis": "x", "verdict": "partially"}') == "partially"
    assert read_support("Verdict: Fully supported.") == "fully"
    assert read_support("该陈述只得到部分支持。") == "partially"
    assert read_support("完全支持") == "fully"
    with pytest.raises(ParseFailure):
        read_support("Verdict: Fully supported.", official=True)
    with pytest.raises(ParseFailure, match="no verdict"):
        read_support("I am not sure.")


def test_statements():
    text = (
        "<statement>The author was born in 1950.</statement>\n<statement>  </statement>\n"
        "<statement>She wrote\ntwo books.</statement>"
    )
    assert read_statements(text, official=True) == [
        "The author was born in 1950.",
        "She wrote\ntwo books.",
    ]
    assert read_statements('{"statements": ["作者出生于1950年。", ""]}') == ["作者出生于1950年。"]
    with pytest.raises(ParseFailure, match="no statements"):
        read_statements('{"statements": ["a"]}', official=True)
    with pytest.raises(ParseFailure, match="no statements"):
        read_statements("There are no facts here.")


def test_no_relevant_information():
    assert has_no_info("No relevant information")
    assert has_no_info("  no relevant information.  ")
    assert has_no_info("无相关信息。")
    assert not has_no_info("1. No relevant information about X, but Y is said.")


def test_language_heuristic_uses_the_official_ranges():
    assert prompt_language("Plain English text") == "en"
    assert prompt_language("这是中文文本") == "zh"
    # 4 latin letters per CJK character is not enough: strictly more than 4x is English
    assert prompt_language("abcd中") == "zh"
    assert prompt_language("abcde中") == "en"
    # U+005B-U+0060 ([\]^_`) count as latin in the official range; [a-zA-Z] would say zh
    assert prompt_language("ab_^[中") == "en"


def test_statements_must_come_from_the_response():
    answer = "Harrowgate's harbour closed in 1911 after storms moved the sandbar."
    copied = "<statement>The report was published in 2019.</statement>"
    with pytest.raises(ParseFailure, match="not from the response"):
        read_statements(copied, source=answer)
    assert read_statements(copied, source=answer, official=True) == [
        "The report was published in 2019."
    ]
    both = copied + "\n<statement>The harbour of Harrowgate closed in 1911.</statement>"
    assert read_statements(both, source=answer) == ["The harbour of Harrowgate closed in 1911."]
    assert read_statements(
        "<statement>港口在1911年关闭。</statement>", source="港口于1911年关闭"
    ) == ["港口在1911年关闭。"]
