"""What an executor may touch besides the state: the model, the clock, the knobs, and the one
LLM call in flight.

Why a separate object: the state must stay plain JSON, while a step needs live things. An LLM
call is started as an asyncio task and the step returns at once ("if an LLM job is still
streaming the session is simply re-queued"), so no worker ever waits on a model.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from lmforge.classroom.agenda import Agenda
from lmforge.classroom.teach.agents import LEARNER, Identity, role_name
from lmforge.classroom.teach.state import ChatMessage, FunctionState, SessionState
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig, Message

Clock = Callable[[], float]


class TeachConfig(BaseModel):
    """Knobs of the in-class runtime; defaults are MAIC-Core's where it has one."""

    cap: int = Field(12, ge=2)
    """Discussion stops when the last `cap` turns all belong to the current function."""
    wait_s: float = Field(20.0, ge=0)
    """Continuous mode: seconds of learner silence after which the lecture moves on."""
    seed: int = 0
    """Seed of the activation rolls (each roll is derived from seed, session and function)."""
    max_tokens: int = Field(160, ge=8)
    """Reply length of agents and feedback."""
    director_max_tokens: int = Field(12, ge=2)
    strict_director: bool = False
    """True: only an exact name counts (official). False: also accept a reply that contains
    exactly one candidate name, since small models wrap the name in words."""
    official_exact: bool = False
    """True: quiz answers must equal the sorted answer letters as typed (official, so "BA" or
    "a" is wrong). False: letters are upper-cased, de-duplicated and sorted first."""


@dataclass
class Runtime:
    """Live helpers for one session's steps."""

    agenda: Agenda
    llm: LLM
    config: TeachConfig
    clock: Clock
    pending: asyncio.Task[str] | None = None
    pending_for: str = ""
    errors: list[str] = field(default_factory=list)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def post(
        self, state: SessionState, fn: FunctionState | None, speaker: str, action: str, content: str
    ) -> ChatMessage:
        """Append one log row spoken by `speaker` (an agent name, the learner or 'system')."""
        if speaker == LEARNER:
            ident = Identity.STUDENT
        else:
            agent = state.agent(speaker)
            ident = Identity(agent.identity) if agent else Identity.SYSTEM
        msg = ChatMessage(
            speaker_id=speaker,
            speaker_type=int(ident),
            role=role_name(ident),
            action=action,
            content=content,
            function_idx=fn.function_idx if fn else None,
            page_index=fn.page_index if fn else None,
            created_at=self.now(),
        )
        state.messages.append(msg)
        return msg

    def start(self, tag: str, messages: list[Message] | list[dict], max_tokens: int) -> None:
        """Start an LLM call in the background; `take(tag)` collects it on a later step."""
        cfg = GenerateConfig(max_tokens=max_tokens, temperature=0.0, seed=self.config.seed)

        async def call() -> str:
            completion = await self.llm.generate(messages, cfg)
            return completion.text

        self.pending = asyncio.ensure_future(call())
        self.pending_for = tag

    def busy(self) -> bool:
        return self.pending is not None and not self.pending.done()

    def take(self, tag: str) -> tuple[str, str | None]:
        """(status, text) of the call started under `tag`: "running", "ok", "failed" (the error
        is kept in `errors`) or "lost" (no such call here, e.g. the session was reloaded in
        another process: the caller starts it again)."""
        task = self.pending
        if task is None or self.pending_for != tag:
            return "lost", None
        if not task.done():
            return "running", None
        self.pending, self.pending_for = None, ""
        exc = None if task.cancelled() else task.exception()
        if task.cancelled() or exc is not None:
            self.errors.append(f"{tag}: {type(exc).__name__}: {exc}")
            return "failed", None
        return "ok", task.result()

    def roll(self, state: SessionState, fn: FunctionState) -> float:
        """A uniform draw that depends only on (seed, session, function): reproducible and the
        same after a reload."""
        rng = random.Random(f"{self.config.seed}:{state.session_id}:{fn.function_idx}")
        return rng.random()

    def waited_out(self, state: SessionState, fn: FunctionState) -> bool:
        """Continuous mode only: has the learner been silent for `wait_s`?"""
        if state.mode != "continuous" or fn.wait_since is None:
            return False
        return (self.now() - fn.wait_since).total_seconds() >= self.config.wait_s

    def wait_for_learner(self, state: SessionState, fn: FunctionState, phase: str) -> bool:
        """Enable input and yield: the learner's turn."""
        fn.phase = phase
        fn.wait_from = len(state.messages)
        fn.wait_since = self.now()
        fn.replied_this_round = False if phase == "WAITING_USER_INPUT" else fn.replied_this_round
        state.input_enabled = True
        state.continue_requested = False
        return False

    def finish(self, state: SessionState, fn: FunctionState, result: str) -> bool:
        """Mark the function done and move the cursor: continue at once."""
        fn.phase, fn.result, fn.is_done = result, result, True
        state.input_enabled = False
        state.continue_requested = False
        state.cursor = fn.function_idx + 1
        return True
