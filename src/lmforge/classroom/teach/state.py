"""Everything a lecture session is, as pydantic models that round-trip through JSON.

Why one module: the store (`classroom/store/state_map.py`) maps these classes onto rows, so
their field names live in one place. Nothing here holds a live object (tasks, clocks, models):
a session saved in any phase can be loaded by another worker and stepped on. Field names follow
the store's preferred columns (`session_id`, `learner_id`, `cursor`, `functions`, ...).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Mode = Literal["continuous", "interactive"]
Activation = Literal["low", "middle", "high"]
ACTIVATION_PROBABILITY: dict[str, float] = {"low": 0.05, "middle": 0.1, "high": 0.2}
"""Chance of a forced Class Clown turn on a silent slide (MAIC-Core's values)."""

CHAT_ACTIONS = frozenset({"speak", "user_message"})
"""Actions that are conversation turns: the transcript, the speaker rotation and the 12-message
cap count only these (control rows such as showFile or quiz objects are not turns)."""


class AgentState(BaseModel):
    """One AI participant of the session: its display name, role and system prompt."""

    name: str
    role: str = Field(description="teacher, assistant, clown, inquisitive, notetaker, thinker")
    identity: int = Field(description="MAIC-Core identity code (6 teacher, 7 TA, 8 classmate).")
    duty: str = Field("", description="One-line role card shown to the director.")
    instruction: str = Field("", description="System prompt the agent speaks with.")


class ChatMessage(BaseModel):
    """One row of the session log (MAIC-Core's conv_msg)."""

    speaker_id: str
    speaker_type: int = Field(description="Identity code of the speaker (3 learner, 4 system...).")
    role: str = Field(description="learner, teacher, assistant, classmate or system.")
    action: str = Field(
        description="showFile, speak, user_message, question, user_answer, answer, error."
    )
    content: str = ""
    function_idx: int | None = None
    page_index: int | None = None
    created_at: datetime


class QuizAnswer(BaseModel):
    function_idx: int
    answer: str = Field(description="The learner's letters as typed ('' when it timed out).")
    correct: bool
    created_at: datetime


class FunctionState(BaseModel):
    """Status of one teaching function in this session (MAIC-Core's function_session)."""

    function_idx: int
    call: Literal["ShowFile", "ReadScript", "AskQuestion"]
    page_index: int
    value: dict[str, Any] = Field(default_factory=dict)
    phase: str = "UNREAD"
    is_done: bool = False
    wait_from: int = Field(0, description="Message count when the learner was last asked.")
    wait_since: datetime | None = None
    replied_this_round: bool = False
    speaker: str | None = Field(None, description="Agent whose reply is being generated.")
    director_reply: str | None = None
    result: str | None = Field(None, description="How the function ended (e.g. the phase).")


class SessionState(BaseModel):
    """A learner in a lecture: everything needed to resume it anywhere."""

    session_id: str
    lecture_id: str = ""
    learner_id: str
    mode: Mode = "continuous"
    activation: Activation = "middle"
    agents: list[AgentState] = Field(default_factory=list)
    cursor: int = Field(0, description="Index of the first function not yet done.")
    finished: bool = False
    functions: list[FunctionState] = Field(default_factory=list)
    messages: list[ChatMessage] = Field(default_factory=list)
    quiz_answers: list[QuizAnswer] = Field(default_factory=list)
    displayed_page: int | None = None
    input_enabled: bool = False
    continue_requested: bool = Field(False, description="The learner asked to move on.")
    steps: int = 0

    def current(self) -> FunctionState | None:
        return self.functions[self.cursor] if self.cursor < len(self.functions) else None

    def agent(self, name: str) -> AgentState | None:
        return next((a for a in self.agents if a.name == name), None)

    def chat(self) -> list[ChatMessage]:
        return [m for m in self.messages if m.action in CHAT_ACTIONS]
