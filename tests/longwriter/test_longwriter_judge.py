"""The quality judge: official parsing, the tolerant default, re-asks, and S_q arithmetic."""

from __future__ import annotations

import json

import pytest

from lmforge.evaluation.judge import JudgeStats
from lmforge.llm.scripted import ScriptedLLM
from lmforge.longwriter import DIMENSIONS, judge_quality, parse_judgement, quality_scores
from lmforge.pipeline.parse import ParseFailure

RATINGS = dict(zip(DIMENSIONS, [5, 4, 3, 4, 2, 3], strict=True))
GOOD = "Solid answer.\n```json\n" + json.dumps({"Analysis": "fine", **RATINGS}, indent=2) + "\n```"


def test_official_format_parses_with_newlines_removed():
    parsed = parse_judgement(GOOD, official=True)
    assert {d: parsed[d] for d in DIMENSIONS} == {d: float(v) for d, v in RATINGS.items()}
    assert parsed["Analysis"] == "fine"
    # a string with a newline inside is legal once newlines are removed (official quirk)
    broken_string = '```json\n{"Analysis": "two\nlines", ' + json.dumps(RATINGS)[1:] + "\n```"
    assert parse_judgement(broken_string, official=True)["Analysis"] == "twolines"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("no json here", "no JSON found"),
        ('```json\n{"Relevance": 5}\n```', "missing dimension"),
        ("```json\n" + json.dumps({**RATINGS, "Clarity": "good"}) + "```", "unclosed json fence"),
    ],
)
def test_official_parser_rejects_what_eval_quality_rejects(text, reason):
    with pytest.raises(ParseFailure) as err:
        parse_judgement(text, official=True)
    assert err.value.reason == reason


def test_default_parser_falls_back_to_the_json_ladder_and_checks_the_range():
    in_prose = "My ratings: " + json.dumps(RATINGS) + " -- hope this helps"
    with pytest.raises(ParseFailure):
        parse_judgement(in_prose, official=True)
    assert parse_judgement(in_prose)["Clarity"] == 4.0
    unclosed = "```json\n" + json.dumps(RATINGS) + "```"  # no newline before the closing fence
    assert parse_judgement(unclosed)["Relevance"] == 5.0
    seven = json.dumps({**RATINGS, "Accuracy": 7})
    assert parse_judgement(seven, official=True)["Accuracy"] == 7.0  # the official code takes it
    with pytest.raises(ParseFailure, match="out of range"):
        parse_judgement(seven)


async def test_judge_reasks_with_a_new_sample_until_the_reply_parses():
    judge = ScriptedLLM(["I cannot rate this.", '{"Relevance": 5}', GOOD])
    verdict = await judge_quality(judge, "Write about bees.", "Bees are insects.")
    assert verdict.attempts == 3 and not verdict.parse_failed
    assert verdict.reasons == ["no JSON found", "missing dimension"]
    assert verdict.score == pytest.approx(sum((v - 1) * 25 for v in RATINGS.values()) / 6)
    assert [c.config.sample_index for c in judge.calls] == [0, 1, 2]
    assert [c.config.seed for c in judge.calls] == [0, 1, 2]
    assert all(c.config.temperature == 0.5 and c.config.max_tokens == 1024 for c in judge.calls)
    prompt = judge.calls[0].prompt
    assert "<User Request>\nWrite about bees.\n</User Request>" in prompt
    assert "<Response>\nBees are insects.\n</Response>" in prompt
    assert '"Breadth and Depth", "Reading Experience"' in prompt


async def test_a_judge_that_never_parses_is_counted_not_averaged():
    judge = ScriptedLLM(["nope"], cycle=True)
    verdict = await judge_quality(judge, "q", "a", attempts=5)
    assert verdict.parse_failed and verdict.ratings is None and verdict.score is None
    assert len(judge.calls) == 5
    stats = JudgeStats.of([verdict.model_dump()])
    assert stats.parse_failures == 1 and stats.calls == 5


def test_quality_scores_map_1_to_5_onto_0_to_100():
    top = dict.fromkeys(DIMENSIONS, 5)
    low = dict.fromkeys(DIMENSIONS, 1)
    assert quality_scores([top])["quality_score"] == 100.0
    assert quality_scores([low])["quality_score"] == 0.0
    mixed = quality_scores([top, RATINGS])
    assert mixed["Relevance"] == 100.0
    assert mixed["Breadth and Depth"] == pytest.approx(((5 + 2) / 2 - 1) * 25)
    assert mixed["quality_score"] == pytest.approx(sum(mixed[d] for d in DIMENSIONS) / 6)


def test_failed_judgements_count_as_zero_by_default_and_drop_officially():
    top = dict.fromkeys(DIMENSIONS, 5)
    zero = quality_scores([top, None])
    assert zero["quality_score"] == 50.0
    assert (zero["judged"], zero["judge_failures"]) == (1, 1)
    drop = quality_scores([top, None], failures="drop")
    assert drop["quality_score"] == 100.0 and drop["judge_failures"] == 1
    assert quality_scores([None], failures="drop")["quality_score"] is None
