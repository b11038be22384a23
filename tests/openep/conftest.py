"""A scripted model that answers every StkFEP and judge prompt by what it asks for."""

from __future__ import annotations

import json

from lmforge.llm.scripted import ScriptedLLM


def _answer(prompt: str, system: str) -> str:
    if "extract evidence" in system:
        start = prompt.index("[1] ")
        body = prompt[start:].split("\n", 1)[1]
        first = body.split(". ")[0].strip()
        return json.dumps({"snippets": [first + ".", "an invented passage"]})
    if "screen search results" in system:
        return json.dumps({"relevant": [1, 2, 3]})
    if "stakeholders of this event" in prompt:
        return json.dumps(
            {
                "stakeholders": ["Labour Party", "event", "a very long stakeholder name"],
                "roles": ["opposition party", "voters"],
            }
        )
    if "search queries for such past events" in prompt:
        return json.dumps({"queries": ["opposition party wins election"]})
    if "search queries" in prompt or "search queries that each" in prompt:
        return json.dumps({"queries": ["election result seats", "party leader reaction"]})
    if "How similar is the past event" in prompt:
        return json.dumps({"score": 3})
    if "Summarise the past event" in prompt:
        return json.dumps(
            {"summary": "An opposition party won a landslide.", "queries": ["landslide"]}
        )
    if "Write one paragraph" in prompt:
        return "The passages agree that the party gained seats in the vote."
    if "probability that the event happens" in prompt:
        return json.dumps(
            {
                "analysis": "soon",
                "period_1": 0.5,
                "period_2": 0.3,
                "period_3": 0.1,
                "period_4": 0.1,
                "answer": "period_1",
            }
        )
    if "Predict what will happen" in prompt:
        return json.dumps({"analysis": "a", "answer": ["The party wins a majority."]})
    if "Is the forecast correct?" in prompt:
        return json.dumps({"answer": True, "confidence_percentage": 80})
    if "ground_truth_count" in prompt:
        return json.dumps(
            {"ground_truth_count": 2, "matched_count": 1, "confidence_percentage": 50}
        )
    if "Rate the forecast's" in prompt:
        return json.dumps({"score": 3, "confidence_percentage": 100})
    if "Which single period" in prompt:
        return json.dumps({"period": "period_2"})
    return "OK"


def stkfep_model() -> ScriptedLLM:
    def respond(messages, config):
        system = next((m.text for m in messages if m.role == "system"), "")
        user = next((m.text for m in reversed(messages) if m.role == "user"), "")
        return _answer(user, system)

    return ScriptedLLM(respond)


import pytest  # noqa: E402


@pytest.fixture
def fake_llm() -> ScriptedLLM:
    """A scripted model answering StkFEP and judge prompts; ``.calls`` logs every prompt."""
    return stkfep_model()


def question(qid: int = 1, **over) -> dict:
    row = {
        "id": qid,
        "question": "Which party will win the most seats in the Riverside election?",
        "question_type": "event outcome",
        "date_question": "2024-07-01",
        "hot_topic": {
            "topic_id": "riverside",
            "topic": "Riverside election",
            "ori_background": "Riverside votes on 2024-07-04 after a bitter campaign.",
        },
        "answer": ["The Green party won 40 of the 70 seats in Riverside."],
    }
    row.update(over)
    return row


@pytest.fixture
def make_question():
    return question
