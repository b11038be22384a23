"""prepare_lecture end to end: stages, progress, timing, saving/loading, and the shipped decks
through the embedded model checked by the validator."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import helpers
from lmforge.classroom.deck import Deck
from lmforge.classroom.prepare import (
    STAGES,
    PrepareConfig,
    load_agenda,
    prepare_lecture,
    prepare_with_report,
    save_agenda,
)
from lmforge.classroom.prepare.outline import OutlineConfig
from lmforge.classroom.prepare.plan import PlanConfig
from lmforge.classroom.prepare.validate import validate_agenda
from lmforge.errors import InputError
from lmforge.llm.registry import get_llm
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig

TITLES = ["Welcome", "Loops", "Loop syntax", "Loop examples", "Functions", "Function calls"]


def make_deck() -> Deck:
    return helpers.make_deck(TITLES, name="course", text="{title}\nWhy {lower} matter.")


async def test_prepare_with_a_model_that_only_says_ok_still_gives_a_valid_agenda():
    deck = make_deck()
    seen: list[tuple[str, int, int]] = []
    agenda, report = await prepare_with_report(
        deck, ScriptedLLM(["OK"], cycle=True), progress=lambda *a: seen.append(a)
    )
    assert validate_agenda(agenda, deck) == []
    assert [s.stage for s in report.stages] == list(STAGES)
    assert ("describe", 6, 6) in seen and ("scripts", 6, 6) in seen and ("outline", 6, 6) in seen
    outline = report.stages[1]
    # the cover and each section's second page are placed by the rules without a call; the
    # three pages left to the model fail three times each and fall back
    assert outline.fallbacks == 3 and outline.calls == 3 * 3
    assert report.stages[4].fallbacks == 1  # "OK" never parses as questions
    assert report.wall_s >= report.model_s >= 0
    assert all(s.other_s >= 0 for s in report.stages)


async def test_prepare_without_model_descriptions_or_outline_calls():
    deck = make_deck()
    llm = ScriptedLLM(["Let us begin. Really."], cycle=True)
    cfg = PrepareConfig(describe="extract", outline="rule")
    agenda = await prepare_lecture(deck, llm, config=cfg)
    assert len(llm.calls) == 6 + 4  # scripts + one section's questions (1 + 3 retries)
    assert agenda.page(2).description == "Loops: Why loops matter."
    assert validate_agenda(agenda, deck) == []


async def test_empty_deck_is_an_input_error():
    deck = Deck(name="x", source=Path("x.pdf"), kind="pdf", pages=[])
    with pytest.raises(InputError, match="x.pdf: the deck has no pages"):
        await prepare_lecture(deck, ScriptedLLM())


async def test_agenda_round_trips_through_json_and_bad_files_name_the_problem(tmp_path):
    deck = make_deck()
    agenda = await prepare_lecture(
        deck,
        ScriptedLLM(["OK"], cycle=True),
        config=PrepareConfig(describe="extract", outline="rule"),
    )
    path = save_agenda(agenda, tmp_path / "out" / "agenda.json")
    assert load_agenda(path) == agenda
    official = agenda.to_official()
    assert official["type"] == "node" and official["title"] == "course"
    (tmp_path / "broken.json").write_text('{\n  "deck": "x",\n  "root": \n}')
    with pytest.raises(InputError, match=r"broken.json(:4)?: invalid JSON") as info:
        load_agenda(tmp_path / "broken.json")
    assert "broken.json:4:" in str(info.value) or "at line 4" in str(info.value)
    (tmp_path / "wrong.json").write_text('{"deck": "x", "root": {"title": 3}}')
    with pytest.raises(InputError, match=r"wrong.json: field 'root.title'"):
        load_agenda(tmp_path / "wrong.json")
    with pytest.raises(InputError, match="missing.json: no such file"):
        load_agenda(tmp_path / "missing.json")


SHIPPED = [
    "py4e_umich/Pythonlearn-02-Expressions.pptx",
    "py4e_umich/Pythonlearn-04-Functions.pdf",
    "elte_nlp/nlp_3-tokenization.pdf",
]

# Short generations keep the whole shipped set within minutes on two shared cores; pages are
# described from their text without the model (descriptions are the stage this test does not
# exercise; test_classroom_read does).
REAL = PrepareConfig(
    describe="extract",
    outline_config=OutlineConfig(
        retries=0,
        give_up_after=1,
        lookahead=0,
        shown_pages=1,
        generation=GenerateConfig(max_tokens=40),
    ),
    plan=PlanConfig(
        script=GenerateConfig(max_tokens=12),
        page_chars=200,
        context_pages=0,
        questions=GenerateConfig(max_tokens=8),
        question_retries=0,
    ),
)
# The 90 pages of the three decks go through embedded-tiny (SmolLM2-135M, the fast embedded
# model) so the whole set stays within CI's budget; test_classroom_plan/read/outline run the
# stages through the 0.5B embedded model.


@pytest.mark.parametrize("name", SHIPPED)
async def test_every_shipped_deck_gives_a_valid_agenda(test_data, name):
    """The structure (coverage, order, sections, question placement) on all decks, with a
    model whose answers never parse, so every guard and fallback path is exercised."""
    from lmforge.classroom.ingest import load_deck

    deck = load_deck(test_data / "slides" / name)
    agenda, _ = await prepare_with_report(deck, ScriptedLLM(["OK"], cycle=True), config=REAL)
    assert validate_agenda(agenda, deck) == []
    assert [p.index for p in agenda.pages()] == [p.index for p in deck.pages]


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
async def test_every_shipped_deck_through_the_embedded_model_passes_the_validator(test_data, name):
    """All three decks (90 pages) end to end through a real embedded model: the model decides
    the outline and writes every script; the questions are asked with too few tokens to parse,
    so their fallback runs. No earlier pages as context, 200 characters per page and short
    generations keep the three within about four minutes on two cores (prompt evaluation is
    the cost; the official three pages of context and the model's own questions are tested
    through the 0.5B model in test_classroom_plan/read)."""
    from lmforge.classroom.ingest import load_deck

    deck = load_deck(test_data / "slides" / name)
    start = time.perf_counter()
    agenda, report = await prepare_with_report(deck, get_llm("embedded-tiny"), config=REAL)
    assert validate_agenda(agenda, deck) == []
    assert [p.index for p in agenda.pages()] == [p.index for p in deck.pages]
    outline = report.stages[1]
    assert outline.calls > 0 and outline.fallbacks <= len(deck.pages) // 2  # the model decided
    print(
        f"{name}: {len(deck.pages)} pages, {time.perf_counter() - start:.0f} s, "
        f"model {report.model_s:.0f} s, fallbacks "
        f"{[(s.stage, s.fallbacks) for s in report.stages]}"
    )
