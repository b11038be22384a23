"""Simulated students that drive the lecture engine, and a driver that runs many at once.

The four personas of spec §5.2 (silent, on-topic asker, off-topic drifter, abusive) act only
when their session waits for them, which is how the regulation rules (cap, TA, clown) are
exercised without a person. The driver owns a manual clock: when nobody acts it jumps past the
continuous-mode wait window, so a simulated lecture takes no real waiting.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from lmforge.classroom.agenda import (
    Agenda,
    AgendaNode,
    AgendaPage,
    AskQuestion,
    Question,
    ReadScript,
    ShowFile,
)
from lmforge.classroom.teach.agents import LEARNER
from lmforge.classroom.teach.engine import LectureEngine, Scheduler, Session
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.classroom.teach.state import Activation, Mode
from lmforge.errors import InputError
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig, Message
from lmforge.registry import Registry

Action = tuple[str, str] | None
"""("message", text), ("answer", letters) or None (stay silent)."""


class ManualClock:
    """A clock tests move by hand (epoch seconds)."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class SimulatedStudent:
    """A persona: how often it talks on a slide, what it says, how it answers quizzes."""

    name: str
    talks_per_slide: int = 0
    quiz: str = "silent"  # "right", "wrong", "guess" or "silent"

    def utterance(self, session: Session, rng: random.Random) -> str:
        return ""

    def act(self, session: Session, rng: random.Random) -> Action:
        kind = session.waiting_for()
        fn = session.state.current()
        if kind is None or fn is None:
            return None
        if kind == "answer":
            return self._answer(Question.model_validate(fn.value["question"]), session, rng)
        said = sum(
            m.speaker_id == LEARNER
            and m.action == "user_message"
            and m.function_idx == fn.function_idx
            for m in session.state.messages
        )
        if said < self.talks_per_slide:
            return ("message", self.utterance(session, rng))
        return ("message", "") if session.state.mode == "interactive" else None

    def _answer(self, q: Question, session: Session, rng: random.Random) -> Action:
        options = [chr(ord("A") + i) for i in range(len(q.selects))]
        if self.quiz == "right":
            return ("answer", q.answer_letters())
        if self.quiz == "wrong":
            wrong = [o for o in options if o != q.answer_letters()]
            return ("answer", wrong[0])
        if self.quiz == "guess" or session.state.mode == "interactive":
            return ("answer", rng.choice(options))
        return None


class OnTopicAsker(SimulatedStudent):
    """Asks what a word of the current slide means."""

    def utterance(self, session: Session, rng: random.Random) -> str:
        script = next(
            (
                m.content
                for m in reversed(session.state.messages)
                if m.role == "teacher" and m.action == "speak"
            ),
            "",
        )
        words = [w for w in re.findall(r"[A-Za-z]{5,}", script)] or ["this"]
        return f"Could you explain a bit more what {rng.choice(words).lower()} means here?"


class OffTopicDrifter(SimulatedStudent):
    """Talks about football, games and lunch."""

    LINES = (
        "By the way, who do you think wins the football final on Sunday?",
        "I'd rather talk about my new video game, it's great.",
        "What's everyone having for lunch today?",
    )

    def utterance(self, session: Session, rng: random.Random) -> str:
        return rng.choice(self.LINES)


class AbusiveStudent(SimulatedStudent):
    """Insults the class."""

    LINES = (
        "This class is stupid and so are you.",
        "Shut up, nobody cares about this.",
        "You are all idiots.",
    )

    def utterance(self, session: Session, rng: random.Random) -> str:
        return rng.choice(self.LINES)


STUDENTS: Registry[SimulatedStudent] = Registry("simulated student", error=InputError)
"""The personas by name (``--student``); add one with ``STUDENTS.add(name, student)``."""

STUDENTS.add(
    "silent",
    SimulatedStudent("silent", 0, "silent"),
    help="never speaks up; skips quizzes (guesses in interactive mode)",
)
STUDENTS.add(
    "on_topic",
    OnTopicAsker("on_topic", 1, "right"),
    help="asks about a word of each slide once; answers quizzes right",
)
STUDENTS.add(
    "off_topic",
    OffTopicDrifter("off_topic", 1, "wrong"),
    help="drifts off topic once per slide; answers quizzes wrong",
)
STUDENTS.add(
    "abusive",
    AbusiveStudent("abusive", 2, "guess"),
    help="insults the class twice per slide; guesses quiz answers",
)


RUDE = re.compile(r"stupid|idiot|shut up|football|video game|lunch", re.I)


def class_responder(messages: list[Message], config: GenerateConfig) -> str:
    """A rule-based stand-in for the model (spec §4.2's offline provider): a keyword director
    (rude or off-topic learner -> TA, question -> teacher, else continue class), short agent
    replies and quiz feedback. Pass it to `ScriptedLLM` for tests and benchmarks."""
    user = messages[-1].content if messages else ""
    if user.rstrip().endswith("Who speaks next?"):
        lines = [ln for ln in user.splitlines() if ln.startswith("<!-- ")]
        last = lines[-1] if lines else ""
        if not last.startswith(f"<!-- {LEARNER} -->"):
            return "Continue Class"
        return "Teaching Assistant" if RUDE.search(last) else "Teacher"
    if user.rstrip().endswith("Your feedback:"):
        return "Good effort, and well done for answering!"
    return "Good point. Let us keep going with the lesson."


def sample_agenda(pages: int = 3, quiz: bool = True) -> Agenda:
    """A small built-in lecture: one section of `pages` pages, a quiz at its last page."""
    children: list[AgendaPage] = []
    for i in range(1, pages + 1):
        fns: list = [
            ShowFile(page=i),
            ReadScript(
                script=f"On slide {i} we learn that plants turn sunlight into sugar, step {i}."
            ),
        ]
        children.append(AgendaPage(index=i, description=f"photosynthesis step {i}", functions=fns))
    if quiz:
        children[-1].functions.append(
            AskQuestion(
                question=Question(
                    question="What do plants make from sunlight?",
                    question_type="single choice",
                    selects=["Sugar", "Salt", "Sand", "Steel"],
                    answer=[0],
                )
            )
        )
    return Agenda(
        deck="photosynthesis.pptx",
        root=AgendaNode(
            title="photosynthesis", children=[AgendaNode(title="Basics", children=children)]
        ),
    )


class LectureReport(BaseModel):
    """Regulation figures of one simulated session (spec §5.2)."""

    session_id: str
    student: str
    finished: bool
    steps: int
    turns_per_function: float
    closed_by_cap: int
    ta_turns: int
    clown_turns: int
    quiz_total: int
    quiz_correct: int
    simulated_s: float


def report(session: Session, student: str, started: float, clock: ManualClock) -> LectureReport:
    st = session.state
    chat = st.chat()
    reads = [f for f in st.functions if f.call == "ReadScript"]
    roles = {a.name: a.role for a in st.agents}
    return LectureReport(
        session_id=st.session_id,
        student=student,
        finished=st.finished,
        steps=st.steps,
        turns_per_function=len([m for m in chat if m.function_idx is not None])
        / max(1, len({m.function_idx for m in chat})),
        closed_by_cap=sum(f.result == "TOO_MUCH_ROUND_FINISHED" for f in reads),
        ta_turns=sum(roles.get(m.speaker_id) == "assistant" for m in chat),
        clown_turns=sum(roles.get(m.speaker_id) == "clown" for m in chat),
        quiz_total=len(st.quiz_answers),
        quiz_correct=sum(a.correct for a in st.quiz_answers),
        simulated_s=clock() - started,
    )


async def simulate_lectures(
    agenda: Agenda,
    llm: LLM,
    students: Sequence[str],
    *,
    mode: Mode = "continuous",
    activation: Activation = "middle",
    config: TeachConfig | None = None,
    workers: int = 4,
    seed: int = 0,
    max_rounds: int = 2000,
    think_s: float = 1.0,
) -> tuple[list[Session], list[LectureReport]]:
    """Run one session per entry of `students` (persona names) to the end, all at once."""
    config = config or TeachConfig(seed=seed)
    clock = ManualClock()
    start = clock()
    engine = LectureEngine(agenda, llm, config=config, clock=clock)
    sched = Scheduler(workers)
    sessions = [
        engine.new_session(
            f"sim-{i}-{name}", mode=mode, activation=activation, session_id=f"s{i:04d}"
        )
        for i, name in enumerate(students)
    ]
    for s in sessions:
        sched.add(s)
    rng = random.Random(seed)
    for _ in range(max_rounds):
        await sched.run_until_idle()
        if sched.finished():
            break
        acted = False
        for session, name in zip(sessions, students, strict=True):
            action = STUDENTS.get(name).act(session, rng)
            if action is None:
                continue
            acted = True
            post = sched.post_quiz_answer if action[0] == "answer" else sched.post_learner_message
            post(session.id, action[1])
        clock.advance(think_s if acted else config.wait_s + think_s)
    return sessions, [report(s, n, start, clock) for s, n in zip(sessions, students, strict=True)]
