"""ReadScript: the regulation core of the lecture, as an explicit state machine (spec §2.2).

Phases (stored in `FunctionState.phase`)::

    UNREAD --teacher reads the script--> WAITING_USER_INPUT (yield)
    WAITING_USER_INPUT --learner wrote--> NEED_CALL_DIRECTOR
                       --silence / "continue"--> FORCE_AGENT_TO_HEATUP_TALK (activation roll,
                         nobody spoke yet under this function) or CONTINUE_FINISHED (done)
    NEED_CALL_DIRECTOR --last `cap` turns all on this function--> TOO_MUCH_ROUND_FINISHED (done)
                       --else: start director call--> WAITING_DIRECTOR_RETURN
    WAITING_DIRECTOR_RETURN --agent--> WAITING_AGENT_REPLY --> NEED_CALL_DIRECTOR (a failed
                              or empty reply: WAITING_USER_INPUT)
                            --learner--> WAITING_USER_INPUT (teacher instead if the learner
                              just spoke)
                            --continue class / unknown--> WAITING_USER_INPUT if an agent
                              replied this round, else FINISHED (done)
    FORCE_AGENT_TO_HEATUP_TALK --Class Clown's reply--> WAITING_USER_INPUT

WAITING_AGENT_REPLY is ours: the agent's answer is an LLM call too, and the worker must not
wait for it. A phase whose call was lost (reloaded elsewhere) redoes its call.
"""

from __future__ import annotations

from lmforge.classroom.teach.agents import CONTINUE_CLASS, LEARNER
from lmforge.classroom.teach.director import (
    candidates,
    director_messages,
    last_speaker,
    parse_director,
    transcript,
)
from lmforge.classroom.teach.runtime import Runtime
from lmforge.classroom.teach.state import ACTIVATION_PROBABILITY, FunctionState, SessionState
from lmforge.pipeline.prompts import load_prompt

CLOWN_ROLE = "clown"


def learner_wrote(state: SessionState, fn: FunctionState) -> bool:
    return any(m.action == "user_message" for m in state.messages[fn.wait_from :])


def agent_messages(state: SessionState, name: str, rt: Runtime) -> list[dict[str, str]]:
    agent = state.agent(name)
    duty = agent.instruction if agent else ""
    return load_prompt("lmforge.classroom", "agent_reply").messages(
        name=name,
        duty=duty,
        lecture=rt.agenda.root.title,
        transcript=transcript(state.chat()[-rt.config.cap :]),
    )


def _start_reply(
    state: SessionState,
    fn: FunctionState,
    rt: Runtime,
    name: str,
    phase: str = "WAITING_AGENT_REPLY",
) -> bool:
    fn.speaker, fn.phase = name, phase
    rt.start(
        f"reply:{fn.function_idx}:{name}", agent_messages(state, name, rt), rt.config.max_tokens
    )
    return True


def _collect_reply(state: SessionState, fn: FunctionState, rt: Runtime) -> str:
    """Post the agent's reply once ready; returns the call status (see `Runtime.take`)."""
    name = fn.speaker or ""
    status, text = rt.take(f"reply:{fn.function_idx}:{name}")
    if status == "lost":
        _start_reply(state, fn, rt, name, fn.phase)
    if status in ("lost", "running"):
        return status
    text = (text or "").strip().removeprefix(f"<!-- {name} -->").strip()
    text = text.removeprefix(f"{name}:").strip()  # small models echo the speaker tag
    if not text:
        rt.post(state, fn, "system", "error", f"{name} could not answer")
        return "failed"
    rt.post(state, fn, name, "speak", text)
    fn.replied_this_round = True
    return status


def _on_waiting(state: SessionState, fn: FunctionState, rt: Runtime) -> bool:
    if learner_wrote(state, fn):
        state.input_enabled = False
        fn.phase = "NEED_CALL_DIRECTOR"
        return True
    if not (state.continue_requested or rt.waited_out(state, fn)):
        return False
    # the teacher's script is the one turn allowed before a forced heat-up talk
    spoken = sum(m.function_idx == fn.function_idx for m in state.chat()) > 1
    clown = next((a for a in state.agents if a.role == CLOWN_ROLE), None)
    if clown and not spoken and rt.roll(state, fn) < ACTIVATION_PROBABILITY[state.activation]:
        state.input_enabled = False
        return _start_reply(state, fn, rt, clown.name, "FORCE_AGENT_TO_HEATUP_TALK")
    return rt.finish(state, fn, "CONTINUE_FINISHED")


def rt_teacher(state: SessionState) -> str:
    return next((a.name for a in state.agents if a.role == "teacher"), "Teacher")


def _on_director(state: SessionState, fn: FunctionState, rt: Runtime) -> bool:
    chat = state.chat()[-rt.config.cap :]
    if len(chat) >= rt.config.cap and all(m.function_idx == fn.function_idx for m in chat):
        return rt.finish(state, fn, "TOO_MUCH_ROUND_FINISHED")
    fn.phase = "WAITING_DIRECTOR_RETURN"
    rt.start(
        f"director:{fn.function_idx}",
        director_messages(state, rt.config.cap),
        rt.config.director_max_tokens,
    )
    return True


def _on_director_return(state: SessionState, fn: FunctionState, rt: Runtime) -> bool:
    status, reply = rt.take(f"director:{fn.function_idx}")
    if status == "running":
        return True
    if status == "lost":
        fn.phase = "NEED_CALL_DIRECTOR"
        return True
    fn.director_reply = reply
    names = [a.name for a in candidates(state)]
    choice = parse_director(reply, names, strict=rt.config.strict_director)
    if choice == LEARNER:
        if last_speaker(state) == LEARNER:
            return _start_reply(state, fn, rt, rt_teacher(state))
        return rt.wait_for_learner(state, fn, "WAITING_USER_INPUT")
    if choice == CONTINUE_CLASS and _unanswered(state, reply, rt):
        return _start_reply(state, fn, rt, rt_teacher(state))
    if choice == CONTINUE_CLASS:
        if fn.replied_this_round:
            return rt.wait_for_learner(state, fn, "WAITING_USER_INPUT")
        return rt.finish(state, fn, "FINISHED")
    return _start_reply(state, fn, rt, choice)


def _unanswered(state: SessionState, reply: str | None, rt: Runtime) -> bool:
    """The learner spoke last and the director's reply names no one (not even "Continue
    Class"): the teacher answers instead of the slide turning. Official MAIC reads an
    unparsable choice as Continue Class, which leaves a small model's learners unanswered; the
    official reading stays with ``strict_director``."""
    if reply is None or rt.config.strict_director or last_speaker(state) != LEARNER:
        return False  # None: the call failed (an error row); the class goes on as before
    return "continue class" not in " ".join(reply.lower().split())


async def step_readscript(state: SessionState, fn: FunctionState, rt: Runtime) -> bool:
    """One step of a ReadScript function; True = step again now, False = wait for the learner."""
    if fn.phase == "UNREAD":
        rt.post(state, fn, rt_teacher(state), "speak", str(fn.value.get("script", "")))
        return rt.wait_for_learner(state, fn, "WAITING_USER_INPUT")
    if fn.phase == "WAITING_USER_INPUT":
        return _on_waiting(state, fn, rt)
    if fn.phase == "NEED_CALL_DIRECTOR":
        return _on_director(state, fn, rt)
    if fn.phase == "WAITING_DIRECTOR_RETURN":
        return _on_director_return(state, fn, rt)
    if fn.phase in ("WAITING_AGENT_REPLY", "FORCE_AGENT_TO_HEATUP_TALK"):
        status = _collect_reply(state, fn, rt)
        if status in ("lost", "running"):
            return True
        # a failed reply hands the turn back rather than asking the director again, so a
        # model that keeps failing cannot loop (error rows do not count towards the cap)
        if fn.phase == "FORCE_AGENT_TO_HEATUP_TALK" or status == "failed":
            return rt.wait_for_learner(state, fn, "WAITING_USER_INPUT")
        fn.phase = "NEED_CALL_DIRECTOR"
        return True
    raise ValueError(f"ReadScript in unknown phase {fn.phase!r}")
