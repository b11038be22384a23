"""The course cast: the six built-ins with the spec's role cards and Schwanke tags, a
teacher's custom agents, the chosen set, and the checks on what a teacher types."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lmforge.classroom.teach.agents import Identity, default_agents
from lmforge.classroom.web.agents import (
    BUILTIN_KEYS,
    builtin_cards,
    course_cards,
    custom_card,
    to_agent_states,
)
from lmforge.classroom.web.models import BUILTIN_AGENTS
from lmforge.errors import InputError
from lmforge.pipeline.prompts import load_prompt


def test_builtins_are_the_engines_cast_with_the_spec_tags():
    cards = {c.key: c for c in builtin_cards()}
    assert set(BUILTIN_KEYS) == set(BUILTIN_AGENTS)  # the keys Course.agents stores
    engine = {a.role: a for a in default_agents()}
    for key, card in cards.items():  # one copy of the role cards: the engine's
        assert card.role_card == engine[key].duty and card.identity == engine[key].identity
    tags = {c.name: c.tags for c in cards.values()}
    assert tags["Class Clown"] == ["TI", "EC", "CM"]  # spec §3.1
    assert tags["Deep Thinker"] == ["TI", "ID"]
    assert tags["Note Taker"] == ["TI", "CM"]
    assert tags["Inquisitive Mind"] == ["TI", "EC"]
    clown = cards["clown"].instruction()
    assert "emotional companionship" in clown and cards["clown"].role_card in clown
    assert load_prompt("lmforge.classroom.web", "agent_card").required == (
        "persona",
        "role_card",
        "tags",
    )


def test_a_course_casts_its_chosen_builtins_and_custom_agents():
    rows = [
        SimpleNamespace(
            key="coach", name="Class Clown", persona="a coach", role_card="Cheers.", identity=8
        ),
        SimpleNamespace(key="ghost", name="Ghost", persona="", role_card="Haunts.", identity=8),
    ]
    cards = course_cards(["thinker", "coach"], rows)  # ghost is not chosen
    assert [c.name for c in cards] == ["Teacher", "Deep Thinker", "Class Clown"]
    cards = course_cards(["clown", "coach"], rows)
    assert [c.name for c in cards] == ["Teacher", "Class Clown", "Class Clown (coach)"]
    states = to_agent_states(cards)
    assert states[0].role == "teacher" and states[2].role == "custom-coach"
    assert "a coach" in states[2].instruction and states[2].duty == "Cheers."
    assert [c.key for c in course_cards(None)] == list(BUILTIN_KEYS)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"key": "Bad Key!"}, "key"),
        ({"key": "clown"}, "key"),
        ({"name": "Learner"}, "name"),
        ({"name": "  "}, "name"),
        ({"role_card": ""}, "role_card"),
        ({"identity": int(Identity.STUDENT)}, "identity"),
    ],
)
def test_custom_agents_are_checked(fields, bad):
    args = {"key": "coach", "name": "Coach", "persona": "p", "role_card": "r", "identity": 8}
    with pytest.raises(InputError) as err:
        custom_card(**{**args, **fields})
    assert err.value.field == bad
