"""Teach: the in-class runtime that turns an agenda into a regulated multi-agent lecture.

One `Session.step()` per session per tick (spec §2.2, §4.2): executors are explicit state
machines whose phase lives in the session state, so any worker can resume any session and a
`Scheduler` shares few workers fairly among many learners.
"""

from lmforge.classroom.teach.agents import CONTINUE_CLASS, LEARNER, Identity, default_agents
from lmforge.classroom.teach.engine import LectureEngine, Scheduler, Session, TeachConfig
from lmforge.classroom.teach.simulated import STUDENTS, SimulatedStudent, simulate_lectures
from lmforge.classroom.teach.state import (
    AgentState,
    ChatMessage,
    FunctionState,
    QuizAnswer,
    SessionState,
)
from lmforge.classroom.teach.terminal import run_terminal_lecture

__all__ = [
    "CONTINUE_CLASS",
    "LEARNER",
    "STUDENTS",
    "AgentState",
    "ChatMessage",
    "FunctionState",
    "Identity",
    "LectureEngine",
    "QuizAnswer",
    "Scheduler",
    "Session",
    "SessionState",
    "SimulatedStudent",
    "TeachConfig",
    "default_agents",
    "run_terminal_lecture",
    "simulate_lectures",
]
