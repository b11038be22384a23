"""Plan: ShowFile, ReadScript (trimmed, with context), AskQuestion parsing, retries, fallback,
and regenerating one page."""

from __future__ import annotations

from pathlib import Path

import pytest

import helpers
from lmforge.classroom.agenda import (
    Agenda,
    AgendaPage,
    AskQuestion,
    ReadScript,
    ShowFile,
)
from lmforge.classroom.deck import Deck, Page
from lmforge.classroom.prepare.plan import (
    PlanConfig,
    ask_questions,
    attach_showfiles,
    fallback_questions,
    parse_questions,
    question_pages,
    regenerate_page,
    trim_script,
    write_scripts,
)
from lmforge.classroom.prepare.validate import validate_agenda
from lmforge.errors import InputError
from lmforge.llm.registry import get_llm
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig

GOOD = """Here are the questions.

Question 1 (single choice): What does the = operator do in Python?
A. Compares two values
B. Assigns a value to a variable
C. Prints a value
D. Deletes a variable
E. Imports a module
Answer: B
Reference: The equals sign stores a value in a variable.

Question 2 (multiple choice): Which are valid variable names?
A. spam
B. 23spam
C. _eggs
D. #sign
E. var.12
Answer: A, C
Reference: Names start with a letter or underscore.

Question 3 (single choice): Which operator gives the remainder?
A. /
B. //
C. %
D. **
E. *
Answer: C
Reference: The percent sign gives the remainder.
"""


TEXT = PlanConfig(question_format="text")  # the official marked-up layout


def make_deck(n: int = 7) -> Deck:
    return helpers.make_deck(n, text="{title}\nFact number {i}.")


def make_agenda() -> Agenda:
    """Cover, a section of 2 pages, a section of 4 pages (its last page gets questions)."""
    return helpers.make_agenda(
        [1, ("Start", [2, 3]), ("Core", [4, 5, 6, 7])],
        page=lambda i: AgendaPage(index=i, description=f"Page {i} explains fact {i}."),
    )


def test_trim_script_keeps_two_sentences_and_drops_labels():
    text = '**Script:** "Welcome back, everyone! Today we meet variables. They hold values."'
    assert trim_script(text) == "Welcome back, everyone! Today we meet variables."
    assert trim_script("Script: One idea.\n\nAnother idea. A third.", 1) == "One idea."
    assert trim_script("   \n**\n") == ""


def test_parse_questions_reads_the_format():
    questions = parse_questions(GOOD)
    assert [q.question_type for q in questions] == [
        "single choice",
        "multiple choice",
        "single choice",
    ]
    assert questions[0].selects[1] == "Assigns a value to a variable"
    assert questions[1].answer == [0, 2] and questions[1].answer_letters() == "AC"
    assert questions[2].reference == "The percent sign gives the remainder."


def test_parse_questions_skips_malformed_items_and_fixes_the_type():
    text = """Question 1: What is 2+2?
A) 3
B) 4
Answer: B
Question 2 (single choice): No options here
Answer: A
Question 3 (single choice): Answer out of range
A. x
B. y
Answer: D
Question 4 (multiple choice): Only one answer given
A. yes
B. no
Answer: A
"""
    questions = parse_questions(text)
    assert [q.question for q in questions] == ["What is 2+2?", "Only one answer given"]
    assert questions[1].question_type == "single choice"  # retyped from its answer
    assert [q.question for q in parse_questions(text, strict=True)] == ["What is 2+2?"]
    assert parse_questions("no questions at all") == []


def test_fallback_questions_are_valid_and_distinct():
    qs = fallback_questions(["S1.", "S2.", "S3."], ["O1.", "O2.", "O3.", "O4."])
    assert len(qs) == 3 and len({q.reference for q in qs}) == 3
    for q in qs:
        assert q.selects[q.answer[0]] == q.reference
    assert fallback_questions(["Only."], [])[0].selects == ["Yes", "No"]


async def test_scripts_follow_order_with_three_pages_of_context_and_are_trimmed():
    agenda, deck = make_agenda(), make_deck()
    attach_showfiles(agenda)
    answers = [f"Script {i}. Second sentence {i}. Third sentence." for i in range(1, 7)] + [""]
    llm = ScriptedLLM(answers)
    fallbacks = await write_scripts(agenda, deck, llm)
    pages = list(agenda.pages())
    assert [type(f) for f in pages[0].functions] == [ShowFile, ReadScript]
    assert pages[0].functions[1].script == "Script 1. Second sentence 1."
    assert fallbacks == 1 and pages[6].functions[1].script == "Let's look at Topic 7."
    call = llm.calls[5]  # page 6: system, 3 x (page, script), page
    assert [m.role for m in call.messages] == ["system"] + ["user", "assistant"] * 3 + ["user"]
    assert call.messages[-2].content == "Script 5. Second sentence 5."
    assert '<slide number="6" title="Topic 6">' in call.prompt


async def test_questions_only_at_marked_pages_retry_on_wrong_count():
    agenda, deck = make_agenda(), make_deck()
    attach_showfiles(agenda)
    await write_scripts(agenda, deck, ScriptedLLM(["Fact said here."], cycle=True))
    assert question_pages(agenda) == [7]
    two = GOOD.split("Question 3")[0]
    llm = ScriptedLLM([two, GOOD + "\nQuestion 4 (single choice): extra\nA. a\nB. b\nAnswer: A"])
    fallbacks = await ask_questions(agenda, llm, TEXT)
    assert fallbacks == 0 and len(llm.calls) == 2
    assert llm.calls[1].config.sample_index == 1
    asks = [f for f in agenda.page(7).functions if isinstance(f, AskQuestion)]
    assert len(asks) == 3 and asks[2].question.answer == [2]
    assert "Current teaching content:" in llm.calls[0].prompt
    assert validate_agenda(agenda, deck) == []


async def test_questions_fall_back_after_the_retries():
    agenda, deck = make_agenda(), make_deck()
    attach_showfiles(agenda)
    await write_scripts(agenda, deck, ScriptedLLM(["A script sentence."], cycle=True))
    llm = ScriptedLLM(["nonsense"], cycle=True)
    fallbacks = await ask_questions(agenda, llm, PlanConfig(question_retries=3))
    assert fallbacks == 1 and len(llm.calls) == 4  # 1 + 3 retries
    assert validate_agenda(agenda, deck) == []


async def test_regenerate_page_changes_one_page_only():
    agenda, deck = make_agenda(), make_deck()
    attach_showfiles(agenda)
    await write_scripts(agenda, deck, ScriptedLLM(["Old words."], cycle=True))
    await ask_questions(agenda, ScriptedLLM([GOOD]), TEXT)
    agenda.page(4).functions[1] = ReadScript(script="Edited by the teacher.")
    llm = ScriptedLLM(["New words for five. More."])
    new = await regenerate_page(agenda, deck, 5, "script", llm)
    assert new.page(5).functions[1].script == "New words for five. More."
    assert agenda.page(5).functions[1].script == "Old words."  # the input is untouched
    assert new.page(4).functions[1].script == "Edited by the teacher."
    assert llm.calls[0].messages[-2].content == "Edited by the teacher."
    again = await regenerate_page(new, deck, 7, "questions", ScriptedLLM([GOOD]), TEXT)
    assert len([f for f in again.page(7).functions if isinstance(f, AskQuestion)]) == 3
    with pytest.raises(InputError, match="no questions there"):
        await regenerate_page(new, deck, 5, "questions", llm)
    with pytest.raises(InputError, match="page 9"):
        await regenerate_page(new, deck, 9, "script", llm)


@pytest.mark.slow
async def test_scripts_and_questions_through_the_embedded_model():
    agenda, deck = make_agenda(), make_deck()
    core = agenda.root.children[2]
    agenda.root.children = [core]  # one section of 4 pages: 4 scripts + 1 question call
    attach_showfiles(agenda)
    llm = get_llm("embedded", cache=False)
    cfg = PlanConfig(script=GenerateConfig(max_tokens=48), question_retries=1)
    await write_scripts(agenda, deck, llm, cfg)
    fallbacks = await ask_questions(agenda, llm, cfg)  # JSON questions under the schema
    for page in agenda.pages():
        assert page.functions[1].script.strip()
    asks = [f for f in agenda.page(7).functions if isinstance(f, AskQuestion)]
    assert len(asks) == 3 and fallbacks == 0  # written by the model, not the fallback
    assert all(len(a.question.selects) == 5 for a in asks)


async def test_context_pages_and_page_chars_bound_the_script_prompt():
    from lmforge.classroom.deck import Deck
    from lmforge.classroom.prepare import PrepareConfig, prepare_with_report
    from lmforge.classroom.prepare.plan import PlanConfig, write_scripts

    pages = [Page(index=i, title=f"T{i}", text=f"T{i}\n" + "lorem " * 150) for i in range(1, 6)]
    deck = Deck(name="d", source=Path("d.pptx"), kind="pptx", pages=pages)
    agenda, _ = await prepare_with_report(
        deck, ScriptedLLM(["S."], cycle=True), config=PrepareConfig(describe="extract")
    )
    llm = ScriptedLLM(["S."], cycle=True)
    await write_scripts(agenda, deck, llm, PlanConfig(context_pages=1, page_chars=200))

    def slide(message) -> str:
        return message.text.split("<slide", 1)[1].split("</slide>", 1)[0]

    last = llm.calls[-1].messages
    assert [m.role for m in last] == ["system", "user", "assistant", "user"]
    assert 190 < len(slide(last[-1])) < 230  # 200 characters, the tag and " ..."
    default = ScriptedLLM(["S."], cycle=True)
    await write_scripts(agenda, deck, default)
    assert len(default.calls[-1].messages) == 8
    assert len(slide(default.calls[-1].messages[-1])) > 900


def _json_item(q: str, answer: list[str], kind: str = "single choice") -> dict:
    return {
        "question": q,
        "type": kind,
        "options": ["one", "two", "three", "four", "five"],
        "answer": answer,
        "reference": "Fact said here.",
    }


async def test_json_questions_are_requested_under_a_schema_and_checked():
    import json

    agenda, deck = make_agenda(), make_deck()
    attach_showfiles(agenda)
    await write_scripts(agenda, deck, ScriptedLLM(["Fact said here."], cycle=True))
    bad = json.dumps({"questions": [_json_item("Q1?", ["B"]), _json_item("Q2?", ["F"])]})
    good = json.dumps(
        {
            "questions": [
                _json_item("Q1?", ["B"]),
                _json_item("Q2?", ["A", "C"]),
                _json_item("Q3?", ["E"], "multiple choice"),
            ]
        }
    )
    llm = ScriptedLLM([bad, good])
    assert await ask_questions(agenda, llm) == 0
    schema = llm.calls[0].config.json_schema
    assert schema["properties"]["questions"]["minItems"] == 3
    assert "Reply with JSON only" in llm.calls[0].messages[0].text
    asks = [f.question for f in agenda.page(7).functions if isinstance(f, AskQuestion)]
    assert [(q.answer, q.question_type) for q in asks] == [
        ([1], "single choice"),
        ([0, 2], "multiple choice"),
        ([4], "single choice"),
    ]
    strict = PlanConfig(strict_questions=True, question_retries=0)
    assert await ask_questions(agenda, ScriptedLLM([good]), strict) == 1  # Q3's type is wrong
    assert validate_agenda(agenda, deck) == []


def test_items_with_repeated_options_are_rejected():
    from lmforge.classroom.prepare.quiz_format import make_question

    assert make_question("Q?", None, ["a", "b", "c"], ["A"]) is not None
    assert make_question("Q?", None, ["Same", "same ", "c"], ["A"]) is None
    assert make_question("Q?", None, ["<A>", "<B>", "<C>"], ["A"]) is None
    assert make_question("Q?", None, ["A", "B", "C"], ["A"]) is None
    repeated = GOOD.replace("D. **", "D. *")  # question 3's options D and E now match
    assert len(parse_questions(repeated)) == len(parse_questions(GOOD)) - 1


async def test_rejected_scripts_are_asked_again_then_fall_back():
    agenda, deck = make_agenda(), make_deck()
    attach_showfiles(agenda)
    llm = ScriptedLLM(["**Script:**", "Fixed words. Sure."] + ["Fine."] * 6)
    assert await write_scripts(agenda, deck, llm) == 0
    assert agenda.page(1).functions[1].script == "Fixed words. Sure."
    first, again = llm.calls[0].config, llm.calls[1].config
    assert first == PlanConfig().script  # the first request is the direct call it replaced
    assert (again.sample_index, again.seed, again.temperature) == (1, first.seed + 1, 0.7)
    assert llm.calls[1].messages == llm.calls[0].messages

    def echo(messages, config):  # repeats the slide it was shown: the echo guard rejects it
        return messages[-1].text

    echoing = ScriptedLLM(echo)
    fallbacks = await write_scripts(agenda, deck, echoing, PlanConfig(script_retries=2))
    assert fallbacks == 7 and len(echoing.calls) == 7 * 3
    assert agenda.page(2).functions[1].script == "Let's look at Topic 2."
