"""The director: who speaks next, chosen by an LLM from the role cards (spec §2.2).

Candidates are the session's agents minus whoever spoke last, plus the real learner, plus the
"continue class" pseudo-actor. The reply must be a name; anything else means continue class,
which is also what a failed call means, so a confused model turns the slide instead of looping.
"""

from __future__ import annotations

import re

from lmforge.classroom.teach.agents import (
    CONTINUE_CLASS,
    CONTINUE_DUTY,
    LEARNER,
    LEARNER_DUTY,
    group,
)
from lmforge.classroom.teach.state import AgentState, ChatMessage, SessionState
from lmforge.pipeline.prompts import load_prompt


def last_speaker(state: SessionState) -> str | None:
    chat = state.chat()
    return chat[-1].speaker_id if chat else None


def candidates(state: SessionState) -> list[AgentState]:
    """Agents that may be picked now: everyone but the last speaker (the learner and continue
    class are always offered besides these)."""
    last = last_speaker(state)
    return [a for a in state.agents if a.name != last]


def transcript(messages: list[ChatMessage]) -> list[dict[str, str]]:
    return [{"name": m.speaker_id, "content": m.content} for m in messages]


def director_messages(state: SessionState, window: int = 12) -> list[dict[str, str]]:
    """The director's prompt over the last `window` turns."""
    pool = candidates(state)
    groups: dict[str, list[dict[str, str]]] = {
        "teacher": [],
        "teaching assistant": [],
        "students": [],
    }
    for agent in pool:
        groups[group(agent)].append({"name": agent.name, "duty": agent.duty})
    return load_prompt("lmforge.classroom", "director").messages(
        teachers=groups["teacher"],
        assistants=groups["teaching assistant"],
        students=groups["students"],
        learner=LEARNER,
        learner_duty=LEARNER_DUTY,
        continue_name=CONTINUE_CLASS,
        continue_duty=CONTINUE_DUTY,
        transcript=transcript(state.chat()[-window:]),
    )


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def parse_director(reply: str | None, names: list[str], *, strict: bool = False) -> str:
    """The chosen name among `names` (+ learner, continue class); unknown -> CONTINUE_CLASS.

    Strict (official): the whole reply, stripped of quotes/markup/punctuation, must be a name.
    Lenient (default): otherwise the first line, and then a reply naming exactly one candidate.
    """
    if not reply:
        return CONTINUE_CLASS
    allowed = [*names, LEARNER, CONTINUE_CLASS]
    by_norm = {_norm(n): n for n in allowed}
    whole = _norm(reply)
    if whole in by_norm:
        return by_norm[whole]
    if strict:
        return CONTINUE_CLASS
    first = _norm(reply.strip().splitlines()[0]) if reply.strip() else ""
    if first in by_norm:
        return by_norm[first]
    found = [n for key, n in by_norm.items() if re.search(rf"\b{re.escape(key)}\b", whole)]
    # "Mind" would not match, but a name inside a longer found name is dropped
    found = [n for n in found if not any(n != m and _norm(n) in _norm(m) for m in found)]
    return found[0] if len(found) == 1 else CONTINUE_CLASS
