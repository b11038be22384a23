"""The agents of a web course: the six built-ins of `teach.agents` plus a teacher's own.

Why a layer over `teach.agents.default_agents`: the web app lets a teacher choose which
built-ins join a course and add custom agents (`CourseAgent` rows), and each agent needs a
persona (its system prompt P_A, spec §3.1) besides the one-line role card the director reads.
The role cards and identity codes stay those of `teach.agents` (one copy); this module adds
the personas and the Schwanke behaviour tags (TI teaching & initiation, ID in-depth discussion,
EC emotional companionship, CM classroom management) and turns a course's chosen set into the
`AgentState` cards the engine takes. The agent's system text is rendered from
`prompts/agent_card.j2`, so it is editable without touching code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field

from lmforge.classroom.teach.agents import CONTINUE_CLASS, LEARNER, Identity, default_agents
from lmforge.classroom.teach.state import AgentState
from lmforge.errors import InputError
from lmforge.pipeline.prompts import load_prompt

__all__ = [
    "BUILTIN_KEYS",
    "AgentCard",
    "builtin_cards",
    "course_cards",
    "custom_card",
    "to_agent_states",
]

PERSONAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "teacher": (
        "the lecturer of this course: clear, patient and encouraging; explains with short "
        "examples and checks that the learner follows.",
        ("TI",),
    ),
    "assistant": (
        "the teaching assistant: calm and friendly, helps the teacher keep the class on track "
        "and the tone respectful.",
        ("CM",),
    ),
    "clown": (
        "a cheerful classmate who keeps the mood light and supports the learner like a friend, "
        "but always steers the joke back to the lesson.",
        ("TI", "EC", "CM"),
    ),
    "thinker": (
        "a reflective classmate who weighs what was said and asks the questions that make the "
        "others think twice.",
        ("TI", "ID"),
    ),
    "notetaker": (
        "an organised classmate who writes everything down and likes to share a tidy summary "
        "of the key points.",
        ("TI", "CM"),
    ),
    "inquisitive": (
        "a curious classmate who keeps asking about the lecture content and is not shy about "
        "saying what is unclear.",
        ("TI", "EC"),
    ),
}
"""Persona (P_A) and Schwanke tags per built-in role; tags are the spec's §3.1 assignment."""

TAG_NAMES = {
    "TI": "teaching and initiation",
    "ID": "in-depth discussion",
    "EC": "emotional companionship",
    "CM": "classroom management",
}
"""Schwanke's (1981) classroom behaviours, as the spec names them."""

BUILTIN_KEYS = tuple(a.role for a in default_agents())
"""Keys of the six built-ins, teacher first (the same strings as `Course.agents` stores)."""

_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_RESERVED = {LEARNER.lower(), CONTINUE_CLASS.lower(), "system"}


class AgentCard(BaseModel):
    """One agent as a course shows and uses it."""

    key: str = Field(description="Slug: a built-in role or a custom agent's key.")
    name: str = Field(description="Display name; unique within the course's cast.")
    role: str = Field(description="Engine role: a built-in role, or custom-KEY.")
    identity: int = Field(description="teach.agents.Identity code (6 teacher, 7 TA, 8 peer).")
    role_card: str = Field(description="The duty the manager agent reads when choosing.")
    persona: str = ""
    tags: list[str] = Field(default_factory=list)
    builtin: bool = True

    def instruction(self) -> str:
        """The system text the agent speaks with (persona + duty + tags)."""
        prompt = load_prompt("lmforge.classroom.web", "agent_card")
        tags = [f"{t} ({TAG_NAMES.get(t, t)})" for t in self.tags]
        text = prompt.render(
            persona=self.persona or f"{self.name}, one of the class.",
            role_card=self.role_card,
            tags=tags,
        )
        return " ".join(text.split())

    def state(self) -> AgentState:
        return AgentState(
            name=self.name,
            role=self.role,
            identity=self.identity,
            duty=self.role_card,
            instruction=self.instruction(),
        )


def builtin_cards() -> list[AgentCard]:
    """The six built-ins with their role cards (from `teach.agents`) and personas."""
    cards = []
    for agent in default_agents():
        persona, tags = PERSONAS[agent.role]
        cards.append(
            AgentCard(
                key=agent.role,
                name=agent.name,
                role=agent.role,
                identity=agent.identity,
                role_card=agent.duty,
                persona=persona,
                tags=list(tags),
            )
        )
    return cards


def check_key(key: str) -> str:
    """A custom agent's key: a lower-case slug that is not a built-in's."""
    key = key.strip().lower()
    if not _KEY.match(key):
        raise InputError(
            "an agent key is 1-63 lower-case letters, digits or '-' (starting with a letter "
            "or digit)",
            field="key",
        )
    if key in BUILTIN_KEYS:
        raise InputError(f"'{key}' is a built-in agent's key", field="key")
    return key


def custom_card(
    key: str, name: str, persona: str, role_card: str, identity: int = Identity.AI_CLASSMATE
) -> AgentCard:
    """A teacher's own agent (the fields of a `CourseAgent` row), checked."""
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise InputError("an agent needs a name of at most 100 characters", field="name")
    if name.lower() in _RESERVED:
        raise InputError(f"'{name}' is reserved in the classroom", field="name")
    if not role_card.strip():
        raise InputError("an agent needs a role card (what it does in class)", field="role_card")
    allowed = (Identity.AI_TEACHER, Identity.AI_ASSISTANT, Identity.AI_CLASSMATE)
    if int(identity) not in {int(i) for i in allowed}:
        raise InputError(
            "identity must be 6 (teacher), 7 (assistant) or 8 (classmate)", field="identity"
        )
    key = check_key(key)
    return AgentCard(
        key=key,
        name=name,
        role=f"custom-{key}",
        identity=int(identity),
        role_card=" ".join(role_card.split()),
        persona=" ".join(persona.split()),
        builtin=False,
    )


def course_cards(chosen: Sequence[str] | None, custom: Iterable[object] = ()) -> list[AgentCard]:
    """The cast of a course: the built-ins whose key is in `chosen` (the teacher always
    joins; None = all six) then the custom agents (objects with key, name, persona,
    role_card, identity: `CourseAgent` rows) whose key is chosen too. A custom name that
    clashes with one already cast gets its key appended, since the engine tells speakers
    apart by name."""
    picked = set(BUILTIN_KEYS if chosen is None else chosen) | {"teacher"}
    cards = [c for c in builtin_cards() if c.key in picked]
    for row in custom:
        key = str(getattr(row, "key", ""))
        if chosen is not None and key not in picked:
            continue
        card = custom_card(
            key,
            str(getattr(row, "name", "")),
            str(getattr(row, "persona", "") or ""),
            str(getattr(row, "role_card", "") or ""),
            int(getattr(row, "identity", Identity.AI_CLASSMATE)),
        )
        if any(c.name.lower() == card.name.lower() for c in cards):
            card.name = f"{card.name} ({card.key})"
        cards.append(card)
    return cards


def to_agent_states(cards: Sequence[AgentCard]) -> list[AgentState]:
    """Engine cards, teacher first (the engine needs one agent with role "teacher")."""
    if not any(c.role == "teacher" for c in cards):
        raise InputError("a course needs the teacher agent", field="agents")
    return [c.state() for c in cards]
