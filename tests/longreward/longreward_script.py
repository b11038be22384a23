"""A scripted LongReward judge: it answers each of the six prompts by what it asks, and rates
each response by a table the test gives, so scores and pairs can be predicted exactly."""

from __future__ import annotations

import json
import re

from lmforge.llm.scripted import ScriptedLLM

ANSWER = re.compile(r"\[Answer begins\]\n(.*?)\n\[Answer ends\]", re.DOTALL)


def _kind(text: str) -> str:
    for marker, kind in (
        ("Judge how helpful", "helpfulness"),
        ("logically consistent", "logicality"),
        ("List the factual statements", "facts"),
        ("[Statement]", "support"),
        ("Extract every piece of information", "chunk_info"),
        ("请把这一部分", "chunk_info"),
        ("covers the highly relevant points", "completeness"),
    ):
        if marker in text:
            return kind
    raise AssertionError(f"unknown prompt: {text[:200]}")


def statements_of(response: str, n: int = 2) -> list[str]:
    """What the scripted judge extracts: the first ``n`` lines of the response."""
    return [line.strip() for line in response.splitlines() if line.strip()][:n]


def make_judge(ratings: dict[str, float], support=lambda statement: "Fully supported"):
    """``ratings[response text]`` is its helpfulness, logicality and completeness; each
    statement's verdict is ``support(statement)``. Replies use the official formats for
    helpfulness and completeness, JSON for logicality."""

    def reply(messages, config) -> str:
        text = messages[-1].text
        kind = _kind(text)
        if kind == "chunk_info":
            return "1. The author advises teachers to build alliances."
        if kind == "support":
            statement = text.split("[Statement]\n", 1)[1].split("\n\n", 1)[0]
            return f"The passages agree. [[{support(statement)}]]"
        response = ANSWER.search(text).group(1)
        if kind == "facts":
            return "\n".join(f"<statement>{s}</statement>" for s in statements_of(response))
        value = ratings[response]
        if kind == "logicality":
            return json.dumps({"analysis": "consistent", "rating": value})
        return f"The answer is on point.\nRating: [[{value}]]"

    return ScriptedLLM(reply)
