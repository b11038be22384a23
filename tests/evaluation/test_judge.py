"""Judge helpers: re-asks with fresh sample indices, order swapping, failure accounting."""

from __future__ import annotations

from pathlib import Path

import pytest

from lmforge.evaluation.judge import (
    JudgeStats,
    PairwiseResult,
    pairwise,
    rate,
    swap_verdict,
    verdict_outcome,
)
from lmforge.llm.cache import CachedLLM, CallCache
from lmforge.llm.registry import get_llm
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.parse import canonical_verdict, parse_verdict
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.runner import StageContext
from lmforge.pipeline.summary import RunSummary

PROMPTS = Path(__file__).parent / "prompts"
RATE = load_prompt(PROMPTS, "rate")
PAIR = load_prompt(PROMPTS, "pairwise")
QUESTION = "What is 2 + 3?"


def rating_messages(answer: str = "5") -> list[dict[str, str]]:
    return RATE.messages(question=QUESTION, answer=answer)


def render(first: str, second: str) -> list[dict[str, str]]:
    return PAIR.messages(question=QUESTION, first=first, second=second)


# --------------------------------------------------------------------------- rate


async def test_rate_reads_the_score_and_sends_the_prompt_once():
    llm = ScriptedLLM(["Rating: [[4]]"])
    result = await rate(llm, rating_messages(), 1, 5, config=GenerateConfig(max_tokens=32))
    assert (result.score, result.attempts, result.parse_failed) == (4.0, 1, False)
    assert result.raw == "Rating: [[4]]" and result.reasons == []
    (call,) = llm.calls
    assert call.messages[0].role == "system" and "Rating: [[N]]" in call.messages[0].content
    assert call.prompt == (
        "Rate the answer to the question on a scale of 1 to 5 (5 = fully correct).\n\n"
        "Question: What is 2 + 3?\nAnswer: 5"
    )
    assert (call.config.max_tokens, call.config.sample_index, call.config.seed) == (32, 0, 0)


async def test_rate_reasks_with_a_new_sample_index_until_it_parses():
    llm = ScriptedLLM(["It is a fine answer.", "Rating: [[9]]", "Rating: [[3]]"])
    result = await rate(llm, rating_messages(), 1, 5, retries=2, retry_temperature=0.7)
    assert (result.score, result.attempts, result.parse_failed) == (3.0, 3, False)
    assert result.reasons == ["no rating found", "rating out of range"]
    configs = [c.config for c in llm.calls]
    assert [(c.sample_index, c.seed, c.temperature) for c in configs] == [
        (0, 0, 0.0),
        (1, 1, 0.7),
        (2, 2, 0.7),
    ]
    assert all(c.messages == llm.calls[0].messages for c in llm.calls)


async def test_rate_gives_up_after_the_retries_and_counts_it():
    stats = JudgeStats()
    llm = ScriptedLLM(["no idea"], cycle=True)
    result = await rate(llm, rating_messages(), 1, 5, retries=1, stats=stats)
    assert (result.score, result.attempts, result.parse_failed) == (None, 2, True)
    assert result.raw == "no idea" and len(llm.calls) == 2
    assert (stats.ratings, stats.calls, stats.reasked, stats.parse_failures) == (1, 2, 1, 1)
    assert stats.reasons == {"no rating found": 2} and stats.parse_failure_rate == 1.0
    with pytest.raises(ValueError, match="retries"):
        await rate(llm, rating_messages(), 1, 5, retries=-1)


async def test_reasks_are_new_cache_entries_and_a_rerun_is_free(tmp_path):
    cache = CallCache(tmp_path / "calls.sqlite")
    first = CachedLLM(ScriptedLLM(["unsure", "Rating: [[2]]"]), cache)
    result = await rate(first, rating_messages(), 1, 5)
    assert (result.score, result.attempts, first.misses) == (2.0, 2, 2)

    never = CachedLLM(ScriptedLLM([RuntimeError("the cache should answer")]), cache)
    again = await rate(never, rating_messages(), 1, 5)
    assert again == result and never.hits == 2


async def test_rate_inside_a_stage_uses_the_stage_config_and_accounting():
    summary = RunSummary()
    ctx = StageContext(ScriptedLLM(["meh", "Score: 5"]), GenerateConfig(max_tokens=16), summary)
    result = await rate(ctx, rating_messages(), 1, 5)
    assert result.score == 5.0 and ctx.calls == 2 and summary.llm_calls == 2
    assert [c.config.max_tokens for c in ctx.llm.calls] == [16, 16]
    assert [c.config.sample_index for c in ctx.llm.calls] == [0, 1]


async def test_rate_with_the_embedded_model_runs_for_real():
    """The 0.5B model cannot judge; this checks the plumbing, not the score."""
    stats = JudgeStats()
    llm = get_llm("embedded", cache=False)
    result = await rate(
        llm, rating_messages(), 1, 5, retries=1, config=GenerateConfig(max_tokens=32), stats=stats
    )
    assert 1 <= result.attempts <= 2 and result.raw
    if result.parse_failed:
        assert result.score is None and stats.parse_failures == 1
    else:
        assert 1 <= result.score <= 5 and stats.parse_failures == 0
    assert stats.calls == result.attempts


# --------------------------------------------------------------------------- pairwise


def prefers(text: str):
    """A fair judge: picks whichever position holds ``text``."""

    def judge(messages, config):
        prompt = messages[-1].content
        return "[[A]]" if prompt.index(text) < prompt.index("[Answer B]") else "[[B]]"

    return judge


async def test_pairwise_asks_both_orders_and_maps_the_swap_back():
    llm = ScriptedLLM(prefers("five"))
    result = await pairwise(llm, render, "five", "six")
    first, second = (c.prompt for c in llm.calls)
    assert "[Answer A]\nfive\n\n[Answer B]\nsix" in first
    assert "[Answer A]\nsix\n\n[Answer B]\nfive" in second
    assert (result.forward.verdict, result.backward.as_written, result.backward.verdict) == (
        "A",
        "B",
        "A",
    )
    assert (result.winner, result.consistent, result.a_score, result.attempts) == ("a", True, 1, 2)

    lost = await pairwise(ScriptedLLM(prefers("six")), render, "five", "six")
    assert (lost.winner, lost.a_score) == ("b", 0.0)


async def test_a_position_biased_judge_is_inconsistent_and_scores_a_tie():
    stats = JudgeStats()
    result = await pairwise(ScriptedLLM(["[[A]]"], cycle=True), render, "x", "y", stats=stats)
    assert (result.forward.outcome, result.backward.outcome) == ("a", "b")
    assert (result.consistent, result.winner, result.a_score) == (False, "tie", 0.5)
    assert (stats.pairs, stats.compared, stats.inconsistent, stats.consistency) == (1, 1, 1, 0.0)


async def test_five_way_verdicts_keep_their_strength_across_the_swap():
    choices = ("A>>B", "A>B", "A=B", "B>A", "B>>A")
    llm = ScriptedLLM(["My final verdict is [[A>>B]]", "[[B>A]]"])
    result = await pairwise(llm, render, "x", "y", choices=choices, tie=None)
    assert (result.forward.verdict, result.backward.verdict) == ("A>>B", "A>B")
    assert (result.winner, result.consistent) == ("a", True)

    tied = await pairwise(ScriptedLLM(["[[A=B]]"], cycle=True), render, "x", "y", choices=choices)
    assert (tied.backward.verdict, tied.winner, tied.a_score) == ("A=B", "tie", 0.5)


async def test_one_unparsed_order_leaves_no_winner():
    stats = JudgeStats()
    llm = ScriptedLLM(["[[A]]", "both are nice", "still thinking"])
    result = await pairwise(llm, render, "x", "y", retries=1, stats=stats)
    assert result.forward.outcome == "a" and result.backward.verdict is None
    assert result.backward.attempts == 2 and result.backward.reasons == ["no verdict found"] * 2
    assert (result.parse_failed, result.winner, result.consistent, result.a_score) == (
        True,
        None,
        None,
        None,
    )
    assert (stats.parse_failures, stats.compared, stats.calls, stats.reasked) == (1, 0, 3, 1)
    assert stats.consistency is None and stats.parse_failure_rate == 0.5


async def test_choices_that_cannot_be_swapped_fail_before_any_call():
    llm = ScriptedLLM(["[[first]]"])
    with pytest.raises(ValueError, match="cannot tell"):
        await pairwise(llm, render, "x", "y", choices=("first", "second"), tie=None)
    with pytest.raises(ValueError, match="mirrors"):
        await pairwise(llm, render, "x", "y", choices=("A>B", "A=B"), tie=None)
    assert llm.calls == []


def test_swap_and_outcome_of_verdict_spellings():
    assert swap_verdict("A", ("A", "B", "C")) == "B"
    assert swap_verdict("C", ("A", "B", "C")) == "C"
    assert swap_verdict("A>>B", ("A>>B", "A<<B", "A=B")) == "A<<B"
    assert swap_verdict("A=B", ("B = A", "A>B", "B>A"), tie=None) == "B = A"
    assert swap_verdict("tie", ("a", "b", "tie"), tie="tie") == "tie"
    assert swap_verdict("a", ("a", "b", "tie"), tie="tie") == "b"
    assert [verdict_outcome(v, tie=None) for v in ("A<B", "B>>A", "A==B", "b")] == [
        "b",
        "b",
        "tie",
        "b",
    ]


def test_judge_stats_recount_from_stored_rows():
    forward = {"verdict": "A", "as_written": "A", "outcome": "a", "raw": "[[A]]", "attempts": 1}
    backward = {**forward, "outcome": "b", "verdict": "B", "as_written": "A"}
    pair = PairwiseResult.model_validate({"forward": forward, "backward": backward})
    rows = [
        pair.model_dump(),
        {"score": 3.0, "raw": "3", "attempts": 1, "parse_failed": False},
        {"score": None, "raw": "?", "attempts": 3, "parse_failed": True, "reasons": ["x"] * 3},
    ]
    stats = JudgeStats.of(rows)
    assert (stats.ratings, stats.pairs, stats.calls, stats.parse_failures) == (2, 1, 6, 1)
    assert (stats.inconsistent, stats.reasons) == (1, {"x": 3})
    assert stats.parse_failure_rate == pytest.approx(1 / 4)
    assert stats.model_dump()["consistency"] == 0.0


FIVE_WAY = ("A>>B", "A>B", "A=B", "B>A", "B>>A")


@pytest.mark.parametrize("choice", FIVE_WAY)
def test_swap_and_parse_read_verdicts_with_one_canonical_form(choice):
    # The parser and the swap share pipeline.parse.canonical_verdict: any spelling the parser
    # maps to a choice swaps to the same mirror as the choice itself.
    mirror = swap_verdict(choice, FIVE_WAY, tie=None)
    assert swap_verdict(mirror, FIVE_WAY, tie=None) == choice
    flipped = choice.translate(str.maketrans("<>", "><"))[::-1]  # "A>>B" -> "B<<A"
    assert parse_verdict(f"[[{flipped}]]", FIVE_WAY) == choice
    assert canonical_verdict(flipped) == canonical_verdict(choice)
    assert swap_verdict(flipped, FIVE_WAY, tie=None) == mirror


def test_verdict_outcome_still_rejects_what_is_not_an_a_b_form():
    for bad in ("A>C", "**A**", "A.", "Assistant A", "A≈B"):
        with pytest.raises(ValueError, match="cannot tell"):
            verdict_outcome(bad, tie=None)
    assert [verdict_outcome(v, tie=None) for v in ("A>A", " a << b ", "B=A")] == [
        "tie",
        "b",
        "tie",
    ]
