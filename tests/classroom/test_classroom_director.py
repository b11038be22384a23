"""The director: candidate list, prompt content and the parsing of the returned name."""

from __future__ import annotations

import pytest

from lmforge.classroom.teach.agents import CONTINUE_CLASS, LEARNER, Identity, default_agents
from lmforge.classroom.teach.director import candidates, director_messages, parse_director
from lmforge.classroom.teach.state import ChatMessage, SessionState

NAMES = [a.name for a in default_agents()]


def state_with(*turns: tuple[str, str]) -> SessionState:
    msgs = [
        ChatMessage(
            speaker_id=who,
            speaker_type=3 if who == LEARNER else 6,
            role="learner" if who == LEARNER else "teacher",
            action="speak" if who != LEARNER else "user_message",
            content=text,
            function_idx=1,
            created_at="2026-11-24T10:00:00Z",
        )
        for who, text in turns
    ]
    return SessionState(session_id="s", learner_id="u", agents=default_agents(), messages=msgs)


def test_cast_and_identity_codes():
    cast = {a.name: a.identity for a in default_agents()}
    assert cast == {
        "Teacher": 6,
        "Teaching Assistant": 7,
        "Class Clown": 8,
        "Inquisitive Mind": 8,
        "Note Taker": 8,
        "Deep Thinker": 8,
    }
    assert Identity.STUDENT == 3 and Identity.SYSTEM == 4
    assert [a.name for a in default_agents(["assistant"])] == ["Teacher", "Teaching Assistant"]


def test_candidates_drop_the_last_speaker_only():
    st = state_with(("Teacher", "Script."), (LEARNER, "Q?"), ("Class Clown", "Joke."))
    assert "Class Clown" not in [a.name for a in candidates(st)]
    assert "Teacher" in [a.name for a in candidates(st)]


def test_prompt_groups_role_cards_and_lists_the_specials():
    st = state_with(("Teacher", "Plants make sugar."), (LEARNER, "Why?"))
    system, user = director_messages(st)
    text = system["content"]
    assert text.index("Teacher:") < text.index("Teaching assistant:") < text.index("Students:")
    assert f"- {LEARNER}:" in text and f"- {CONTINUE_CLASS}:" in text
    assert "Keeps order" in text  # the TA's role card
    assert user["content"].splitlines()[1:3] == [
        "<!-- Teacher -->Plants make sugar.",
        "<!-- Learner -->Why?",
    ]
    st = state_with(("Teacher", "x"))
    assert "- Teacher:" not in director_messages(st)[0]["content"]


@pytest.mark.parametrize(
    ("reply", "want"),
    [
        ("Teacher", "Teacher"),
        (" teaching assistant.\n", "Teaching Assistant"),
        ('"Class Clown"', "Class Clown"),
        ("**Deep Thinker**", "Deep Thinker"),
        ("Learner", LEARNER),
        ("continue class", CONTINUE_CLASS),
        ("Note Taker\nbecause a section ended", "Note Taker"),
        ("The next speaker is the Inquisitive Mind.", "Inquisitive Mind"),
        ("Teacher or Class Clown", CONTINUE_CLASS),
        ("Bob", CONTINUE_CLASS),
        ("", CONTINUE_CLASS),
        (None, CONTINUE_CLASS),
    ],
)
def test_parse_director(reply, want):
    assert parse_director(reply, NAMES) == want


def test_strict_parsing_is_the_official_rule_and_names_outside_the_list_are_refused():
    assert parse_director("Teacher", NAMES, strict=True) == "Teacher"
    assert parse_director("The next speaker is Teacher", NAMES, strict=True) == CONTINUE_CLASS
    assert parse_director("Teacher", ["Class Clown"]) == CONTINUE_CLASS  # last speaker
