"""pipeline.ask: one re-ask rule, garbage guards, failures as counted data, cancellation kept."""

from __future__ import annotations

import asyncio
import json

import pytest

from lmforge.errors import LLMError, ParseError, ParseFailure, ServerError
from lmforge.llm.registry import get_llm
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import Completion, GenerateConfig, Message
from lmforge.pipeline import AskResult, ReaskRule, ask, ask_many
from lmforge.pipeline.ask import ask_result
from lmforge.pipeline.guards import echo, echoes, empty, truncated, wrong_language
from lmforge.pipeline.parse import extract_json, parse_rating
from lmforge.pipeline.runner import StageContext
from lmforge.pipeline.summary import RunSummary


class Interrupted(BaseException):
    """Stands for Ctrl-C: not an Exception, so ask_many must not turn it into a result."""


def rating(text: str) -> float:
    return parse_rating(text, low=1, high=5)


PROMPT = (
    "Read the following passage and rate how clearly it explains photosynthesis on a scale "
    "of 1 to 5. Plants turn light, water and carbon dioxide into sugar and oxygen inside "
    "their chloroplasts, using the green pigment chlorophyll to capture the energy of light."
)


def reply(text: str, finish_reason: str = "stop") -> Completion:
    return Completion(text=text, finish_reason=finish_reason)


def user(text: str) -> list[Message]:
    return [Message(role="system", content="Be brief."), Message(role="user", content=text)]


# --------------------------------------------------------------------------- asking


async def test_a_reply_that_parses_is_one_call_with_the_request_as_given():
    llm = ScriptedLLM(["Rating: [[4]]"])
    config = GenerateConfig(max_tokens=16, seed=5, sample_index=2)
    assert await ask(llm, "Rate it.", rating, config=config) == 4.0
    (call,) = llm.calls
    assert call.config == config


async def test_reasks_follow_the_rule_exactly():
    llm = ScriptedLLM(["no idea", "Rating: [[9]]", "Rating: [[3]]"])
    config = GenerateConfig(temperature=0.2, seed=10, sample_index=4)
    result = await ask_result(llm, "Rate it.", rating, config=config, reask=ReaskRule(0.7))
    assert (result.value, result.attempts, result.error) == (3.0, 3, None)
    assert result.reasons == ("no rating found", "rating out of range")
    got = [(c.config.sample_index, c.config.seed, c.config.temperature) for c in llm.calls]
    assert got == [(4, 10, 0.2), (5, 11, 0.7), (6, 12, 0.7)]


async def test_the_rule_keeps_a_higher_temperature_and_the_seed_when_told():
    llm = ScriptedLLM(["?", "?", "Rating: 2"])
    rule = ReaskRule(temperature=0.3, bump_seed=False)
    await ask(llm, "Rate it.", rating, config=GenerateConfig(temperature=0.5, seed=7), reask=rule)
    got = [(c.config.sample_index, c.config.seed, c.config.temperature) for c in llm.calls]
    assert got == [(0, 7, 0.5), (1, 7, 0.5), (2, 7, 0.5)]


async def test_the_final_parse_failure_keeps_raw_text_and_reason():
    llm = ScriptedLLM(["I cannot say."], cycle=True)
    with pytest.raises(ParseFailure) as caught:
        await ask(llm, "Rate it.", rating, attempts=2)
    failure = caught.value
    assert isinstance(failure, ParseError) and failure.raw == "I cannot say."
    assert failure.reason == "no rating found" and str(failure) == "no rating found: 2 attempts"
    assert len(llm.calls) == 2


async def test_a_plain_value_error_from_parse_is_a_rejection_too():
    def positive(text: str) -> int:
        if int(text) <= 0:
            raise ValueError("not positive")
        return int(text)

    assert await ask(ScriptedLLM(["-1", "3"]), "n?", positive) == 3


async def test_feedback_rewrites_the_next_prompt():
    llm = ScriptedLLM(["Rating: 7", "Rating: 4"])

    def tell(prompt: list[Message], answer: str, reason: str) -> str:
        return f"{prompt[-1].text}\nYour answer {answer!r} was rejected: {reason}."

    assert await ask(llm, "Rate it.", rating, feedback=tell) == 4.0
    assert (
        llm.calls[1].prompt
        == "Rate it.\nYour answer 'Rating: 7' was rejected: rating out of range."
    )


async def test_model_errors_propagate_from_ask_and_are_not_reasked():
    llm = ScriptedLLM([ServerError("down"), "Rating: 4"])
    with pytest.raises(ServerError):
        await ask(llm, "Rate it.", rating)
    assert len(llm.calls) == 1


async def test_a_stage_context_is_a_model_with_the_stage_config_and_accounting():
    summary = RunSummary()
    ctx = StageContext(
        ScriptedLLM(["meh", "Score: 5", "a", "b"]), GenerateConfig(max_tokens=16), summary
    )
    assert await ask(ctx, "Rate it.", rating, reask=ReaskRule(0.0)) == 5.0
    assert [c.config.max_tokens for c in ctx.llm.calls] == [16, 16]
    assert [c.config.sample_index for c in ctx.llm.calls] == [0, 1]
    assert (ctx.calls, summary.llm_calls, ctx.last_text) == (2, 2, "Score: 5")
    await ctx.generate("again?", GenerateConfig(max_tokens=3))  # a passed config replaces
    await ctx.generate("again?", temperature=0.5)  # overrides apply on top of the stage's
    assert [c.config.max_tokens for c in ctx.llm.calls[2:]] == [3, 16]
    assert ctx.llm.calls[3].config.temperature == 0.5


# --------------------------------------------------------------------------- guards


def test_echo_is_caught_and_a_short_quote_is_not():
    messages = user(PROMPT)
    assert echo(reply(PROMPT), messages) == "echoed the prompt"
    assert echo(reply("Sure! " + PROMPT[:150]), messages) == "echoed the prompt"
    quote = (
        "Rating: [[4]]. The passage is clear: it says plants use the green pigment chlorophyll "
        "to capture the energy of light, though it never explains what happens to the sugar, "
        "how the plant stores it, or why oxygen is released at all."
    )
    assert echo(reply(quote), messages) is None
    assert echo(reply("Rating: [[4]]"), messages) is None
    assert echo(reply(PROMPT), [Message(role="user", content="Rate the passage.")]) is None


def test_echo_lets_a_reply_quote_the_material_but_not_the_instructions():
    news = (
        "The Green party held a rally in Riverside on Friday and the latest polls show a close "
        "election result between the two largest parties in the district."
    )
    asked = "Predict the outcome of the vote in the next 15 days. News: " + news
    quoting = echoes(quoted=[news])
    assert echo(reply(news), user(asked)) == "echoed the prompt"  # the old guard drops it
    assert quoting(reply(news), user(asked)) is None
    instructions = "Predict what will happen in the next fifteen days and give one position only."
    assert (
        quoting(reply(instructions), user(instructions + " News: " + news)) == "echoed the prompt"
    )


def test_echo_counts_cjk_characters_as_words():
    prompt = "请阅读下面的段落并用一到五分评价它对光合作用的解释是否清楚植物利用叶绿素吸收光能"
    assert echo(reply(prompt), user(prompt)) == "echoed the prompt"
    assert echo(reply("评分：4。解释清楚。"), user(prompt)) is None


def test_empty_and_truncated():
    assert empty(reply("  \n"), user("x")) == "empty reply"
    assert empty(reply("4"), user("x")) is None
    assert truncated(reply("{'a': ", "length"), user("x")) == "truncated at max_tokens"
    assert truncated(reply("{}", "stop"), user("x")) is None


async def test_guard_rejections_are_reasked_and_named():
    llm = ScriptedLLM(["", PROMPT, "Rating: [[2]]"])
    result = await ask_result(llm, PROMPT, rating)
    assert result.value == 2.0 and result.reasons == ("empty reply", "echoed the prompt")
    with pytest.raises(ParseFailure, match="echoed the prompt") as caught:
        await ask(ScriptedLLM([PROMPT], cycle=True), PROMPT, rating)
    assert caught.value.raw == PROMPT


async def test_truncated_is_opt_in():
    class Cut(ScriptedLLM):
        async def _generate(self, messages, config):
            done = await super()._generate(messages, config)
            return done.model_copy(update={"finish_reason": "length"})

    assert await ask(Cut(["Rating: 3"]), "Rate it.", rating) == 3.0
    with pytest.raises(ParseFailure, match="truncated at max_tokens"):
        await ask(Cut(["Rating: 3"], cycle=True), "Rate it.", rating, guards=(truncated,))


def test_wrong_language_uses_seeded_langdetect():
    english = "The passage explains clearly how plants turn light into sugar and oxygen."
    german = (
        "Der Abschnitt erklärt deutlich, wie Pflanzen Licht in Zucker und Sauerstoff umwandeln."
    )
    guard = wrong_language("en")
    assert guard(reply(english), user("x")) is None
    assert guard(reply(german), user("x")) == "wrong language: de, expected en"
    assert guard(reply("Ja, gut."), user("x")) is None  # too short to tell
    chinese = (
        "植物通过叶绿体中的叶绿素吸收阳光，把水和二氧化碳转化为葡萄糖和氧气，这个过程叫做光合作用。"
    )
    assert wrong_language("zh")(reply(chinese), user("x")) is None  # langdetect says zh-cn
    assert wrong_language("en")(reply(chinese), user("x")) == "wrong language: zh-cn, expected en"


# --------------------------------------------------------------------------- many


async def test_ask_many_turns_exceptions_into_failed_results_in_order():
    def answer(messages, config):
        prompt = messages[-1].content
        if prompt == "down":
            return ServerError("503")
        if prompt == "bug":
            raise KeyError("oops")
        return {"good": "Rating: 4", "bad": "no idea"}[prompt]

    results = await ask_many(
        ScriptedLLM(answer), ["good", "down", "bad", "bug"], rating, attempts=2
    )
    assert all(isinstance(r, AskResult) for r in results)
    good, down, bad, bug = results
    assert (good.ok, good.value, good.attempts) == (True, 4.0, 1)
    assert (down.ok, down.error, down.attempts) == (False, "ServerError: 503", 1)
    assert isinstance(down.exception, LLMError) and down.raw is None
    assert (bad.error, bad.raw, bad.attempts, bad.reasons) == (
        "no rating found",
        "no idea",
        2,
        ("no rating found", "no rating found"),
    )
    assert bad.exception is None and isinstance(bug.exception, KeyError)


async def test_ask_many_takes_requests_with_their_own_config():
    from lmforge.llm.types import Request

    llm = ScriptedLLM(["Rating: 1", "Rating: 2"])
    requests = [Request(messages=user("a"), config=GenerateConfig(max_tokens=5)), "b"]
    results = await ask_many(llm, requests, rating, config=GenerateConfig(max_tokens=9))
    assert [r.value for r in results] == [1.0, 2.0]
    assert sorted(c.config.max_tokens for c in llm.calls) == [5, 9]


@pytest.mark.parametrize("stop", [Interrupted, asyncio.CancelledError])
async def test_ask_many_lets_interrupts_and_cancellation_through(stop):
    def answer(messages, config):
        if messages[-1].content == "stop":
            raise stop()
        return "Rating: 4"

    with pytest.raises(stop):
        await ask_many(ScriptedLLM(answer), ["a", "stop", "b"], rating, concurrency=1)


# --------------------------------------------------------------------------- real model


async def test_ask_reads_json_from_the_embedded_model():
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
    }
    config = GenerateConfig(max_tokens=16, temperature=0.0, json_schema=schema)
    llm = get_llm("embedded-tiny", cache=False)

    def answer(text: str) -> int:
        value = extract_json(text, expect=dict)
        if not isinstance(value.get("answer"), int):
            raise ParseFailure("no integer answer", text)
        return value["answer"]

    prompt = 'What is 2 + 3? Reply with JSON like {"answer": 0}.'
    result = await ask_result(llm, prompt, answer, config=config, attempts=2)
    assert result.attempts >= 1 and result.raw is not None
    if result.ok:
        assert isinstance(result.value, int) and json.loads(result.raw)["answer"] == result.value
    else:  # a 135M model may still be cut at 16 tokens: then it is a counted failure
        assert result.error and result.value is None


async def test_ask_many_takes_one_parse_per_prompt():
    llm = ScriptedLLM(["4", "4"])
    results = await ask_many(llm, ["a", "b"], [int, lambda t: -int(t)])
    assert [r.value for r in results] == [4, -4]
    with pytest.raises(ValueError, match="2 parse functions for 1 prompts"):
        await ask_many(llm, ["a"], [int, int])
