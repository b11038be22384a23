"""The cast of a lecture: teacher, teaching assistant and four classmates, with role cards.

Role cards are the one-line duties the director reads when it picks the next speaker (spec
§2.2); the wording is ours. Identity codes are MAIC-Core's; the store imports them from here
(the engine must not need SQLAlchemy, so the dependency points this way).
"""

from __future__ import annotations

from enum import IntEnum

from lmforge.classroom.teach.state import AgentState


class Identity(IntEnum):
    """Speaker identity codes of MAIC-Core (spec §2.2); stored in `message.speaker_type`."""

    CREATOR = 0
    TEACHER = 1
    ASSISTANT = 2
    STUDENT = 3
    SYSTEM = 4
    AI = 5
    AI_TEACHER = 6
    AI_ASSISTANT = 7
    AI_CLASSMATE = 8
    SCRIPT_AGENT = 9


LEARNER = "Learner"
"""Name of the real learner in transcripts and director candidate lists."""
CONTINUE_CLASS = "Continue Class"
"""The pseudo-actor whose selection ends the discussion and turns the slide."""
LEARNER_DUTY = (
    "The real student: the whole class exists to help this person understand the "
    "lesson; pick them when it is their turn to answer or ask."
)
CONTINUE_DUTY = (
    "Not a person: pick this when the discussion is settled, so the teacher "
    "moves on to the next slide."
)

_CAST: list[tuple[str, str, Identity, str]] = [
    (
        "Teacher",
        "teacher",
        Identity.AI_TEACHER,
        "Gives the lecture and answers the learner's questions about it.",
    ),
    (
        "Teaching Assistant",
        "assistant",
        Identity.AI_ASSISTANT,
        "Keeps order: steps in when the learner is rude or keeps drifting away from the topic.",
    ),
    (
        "Class Clown",
        "clown",
        Identity.AI_CLASSMATE,
        "When the learner is silent for long or off topic, makes a light joke that leads the "
        "talk back to the lesson.",
    ),
    (
        "Inquisitive Mind",
        "inquisitive",
        Identity.AI_CLASSMATE,
        "Now and then asks a deep question that makes everyone think; not too often.",
    ),
    (
        "Note Taker",
        "notetaker",
        Identity.AI_CLASSMATE,
        "After a larger part of the lesson, shares a short summary of the notes; rarely.",
    ),
    (
        "Deep Thinker",
        "thinker",
        Identity.AI_CLASSMATE,
        "Reflects on the content and raises counter-examples or doubts.",
    ),
]


def default_agents(roles: list[str] | None = None) -> list[AgentState]:
    """The six standard agents (or those whose `role` is in `roles`), teacher first."""
    agents = [
        AgentState(name=name, role=role, identity=int(ident), duty=duty, instruction=duty)
        for name, role, ident, duty in _CAST
    ]
    if roles is not None:
        agents = [a for a in agents if a.role in roles or a.role == "teacher"]
    return agents


def role_name(identity: int) -> str:
    """The message `role` for an identity code."""
    return {
        Identity.AI_TEACHER: "teacher",
        Identity.AI_ASSISTANT: "assistant",
        Identity.AI_CLASSMATE: "classmate",
        Identity.STUDENT: "learner",
    }.get(Identity(identity), "system")


def group(agent: AgentState) -> str:
    """Director prompt grouping: teacher / teaching assistant / students."""
    return {"teacher": "teacher", "assistant": "teaching assistant"}.get(agent.role, "students")
