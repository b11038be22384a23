"""AskQuestion: quiz the learner and give feedback, as a state machine (spec §2.2).

Phases: UNREAD (teacher announces the quiz, posts the question without its answer, forces
learner input) -> WAITING_USER_ANSWER (yield until a `user_answer` newer than the question)
-> the answer is scored and the answer object posted -> WAITING_FEEDBACK (teacher's LLM
feedback on question, correct answer, learner answer, right/wrong) -> FINISHED.

Scoring: official compares the typed letters with the sorted answer letters, so "BA" or "b" is
wrong for "AB"; by default we upper-case, de-duplicate and sort first (`official_exact` keeps
the official rule). In continuous mode a learner silent for `wait_s` gets no answer recorded
as wrong, so an unattended lecture still ends (official waits for ever).
"""

from __future__ import annotations

from lmforge.classroom.agenda import Question
from lmforge.classroom.teach.readscript import rt_teacher
from lmforge.classroom.teach.runtime import Runtime
from lmforge.classroom.teach.state import FunctionState, QuizAnswer, SessionState
from lmforge.errors import InputError
from lmforge.pipeline.prompts import load_prompt

ANNOUNCE = "Quiz time! Choose your answer to the question below."


def letters(question: Question) -> list[str]:
    return [chr(ord("A") + i) for i in range(len(question.selects))]


def pure_text(question: Question) -> str:
    """The question as the learner sees it: no answer, no reference."""
    kind = "several answers" if question.question_type == "multiple choice" else "one answer"
    options = [f"{k}. {s}" for k, s in zip(letters(question), question.selects, strict=True)]
    return "\n".join([f"{question.question} ({kind})", *options])


def normalise_answer(question: Question, given: str) -> str:
    """The learner's letters upper-cased, de-duplicated and sorted; InputError for a letter
    that is not an option."""
    picked = sorted({c for c in given.upper() if c.isalpha()})
    bad = [c for c in picked if c not in letters(question)]
    if bad:
        raise InputError(
            f"'{bad[0]}' is not an option (choose from {', '.join(letters(question))})",
            field="answer",
        )
    return "".join(picked)


def is_correct(question: Question, given: str, *, official_exact: bool = False) -> bool:
    if official_exact:
        return given == question.answer_letters()
    try:
        return normalise_answer(question, given) == question.answer_letters()
    except InputError:
        return False


def _latest_answer(state: SessionState, fn: FunctionState) -> str | None:
    for msg in reversed(state.messages[fn.wait_from :]):
        if msg.action == "user_answer" and msg.function_idx == fn.function_idx:
            return msg.content
    return None


def _score(state: SessionState, fn: FunctionState, rt: Runtime, given: str) -> bool:
    question = Question.model_validate(fn.value["question"])
    right = bool(given) and is_correct(question, given, official_exact=rt.config.official_exact)
    state.quiz_answers.append(
        QuizAnswer(function_idx=fn.function_idx, answer=given, correct=right, created_at=rt.now())
    )
    state.input_enabled = False
    rt.post(state, fn, "system", "answer", f"Correct answer: {question.answer_letters()}")
    return _start_feedback(state, fn, rt)


def _start_feedback(state: SessionState, fn: FunctionState, rt: Runtime) -> bool:
    question = Question.model_validate(fn.value["question"])
    last = next(a for a in reversed(state.quiz_answers) if a.function_idx == fn.function_idx)
    options = [f"{k}. {s}" for k, s in zip(letters(question), question.selects, strict=True)]
    fn.phase = "WAITING_FEEDBACK"
    rt.start(
        f"feedback:{fn.function_idx}",
        load_prompt("lmforge.classroom", "quiz_feedback").messages(
            question=question.question,
            options=options,
            correct=question.answer_letters(),
            given=last.answer,
            is_right=last.correct,
        ),
        rt.config.max_tokens,
    )
    return True


def _on_feedback(state: SessionState, fn: FunctionState, rt: Runtime) -> bool:
    status, text = rt.take(f"feedback:{fn.function_idx}")
    if status == "running":
        return True
    if status == "lost":
        return _start_feedback(state, fn, rt)
    last = next(a for a in reversed(state.quiz_answers) if a.function_idx == fn.function_idx)
    fallback = "Well done!" if last.correct else "Not quite; see the correct answer above."
    rt.post(state, fn, rt_teacher(state), "speak", (text or "").strip() or fallback)
    return rt.finish(state, fn, "FINISHED")


async def step_askquestion(state: SessionState, fn: FunctionState, rt: Runtime) -> bool:
    """One step of an AskQuestion function; True = step again now, False = wait."""
    if fn.phase == "UNREAD":
        question = Question.model_validate(fn.value["question"])
        rt.post(state, fn, rt_teacher(state), "speak", ANNOUNCE)
        rt.post(state, fn, rt_teacher(state), "question", pure_text(question))
        return rt.wait_for_learner(state, fn, "WAITING_USER_ANSWER")
    if fn.phase == "WAITING_USER_ANSWER":
        given = _latest_answer(state, fn)
        if given is not None:
            return _score(state, fn, rt, given)
        if rt.waited_out(state, fn):
            return _score(state, fn, rt, "")
        return False
    if fn.phase == "WAITING_FEEDBACK":
        return _on_feedback(state, fn, rt)
    raise ValueError(f"AskQuestion in unknown phase {fn.phase!r}")
