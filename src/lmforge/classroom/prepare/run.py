"""Read + Plan: a deck in, a teaching agenda out (``lmforge classroom prepare``).

Stages, in order (each one needs the previous one's output):

1. ``describe``  - one description per page (model, or extractive with ``describe="extract"``);
2. ``outline``   - the incremental outline builder, then flattening;
3. ``showfile``  - ShowFile on every page (no model);
4. ``scripts``   - ReadScript on every page, in order;
5. ``questions`` - AskQuestion x3 at the last page of each section with >= 3 pages.

Every stage reports progress through ``progress(stage, done, total)`` and is timed: the report
splits wall time into seconds during which at least one model call was running (``model_s``)
and the rest (``other_s``: prompt rendering, parsing, guards, bookkeeping), so the benchmark
can say where a preparation's time goes. The agenda is plain JSON (:func:`save_agenda`,
:func:`load_agenda`) that a teacher may edit before teaching.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from lmforge.classroom.agenda import Agenda
from lmforge.classroom.deck import Deck
from lmforge.classroom.prepare.outline import OutlineConfig, build_outline, rule_outline
from lmforge.classroom.prepare.plan import (
    PlanConfig,
    ask_questions,
    attach_showfiles,
    write_scripts,
)
from lmforge.classroom.prepare.read import describe_pages
from lmforge.errors import InputError
from lmforge.llm.base import LLM, WrappedLLM
from lmforge.llm.types import Completion, GenerateConfig, Message

__all__ = [
    "STAGES",
    "PrepareConfig",
    "PrepareReport",
    "StageReport",
    "load_agenda",
    "prepare_lecture",
    "prepare_with_report",
    "save_agenda",
]

STAGES = ("describe", "outline", "showfile", "scripts", "questions")

Progress = Callable[[str, int, int], None]


class PrepareConfig(BaseModel):
    """Everything ``prepare`` can be told."""

    describe: Literal["model", "extract"] = "model"
    """``model``: the model describes each page from its text; ``extract``: title + first
    lines, no model (fast, deterministic)."""
    describe_generation: GenerateConfig = GenerateConfig(max_tokens=96)
    """Sampling for the descriptions."""
    outline: Literal["model", "rule"] = "model"
    """``model``: the incremental builder with guards and fallback; ``rule``: the fallback rule
    for every page."""
    outline_config: OutlineConfig = Field(default_factory=OutlineConfig)
    """Retries, give-up point, look-ahead and sampling of the outline builder."""
    plan: PlanConfig = Field(default_factory=PlanConfig)
    """Sampling and limits of scripts and questions."""


class StageReport(BaseModel):
    stage: str
    wall_s: float = 0.0
    model_s: float = 0.0
    """Seconds during which at least one model call of this stage was running."""
    calls: int = 0
    fallbacks: int = 0
    """Pages (or sections, for questions) the stage filled without a usable model answer."""

    @property
    def other_s(self) -> float:
        return max(0.0, self.wall_s - self.model_s)


class PrepareReport(BaseModel):
    pages: int
    stages: list[StageReport] = Field(default_factory=list)
    outline_retries: int = 0
    outline_problems: list[str] = Field(default_factory=list)

    @property
    def wall_s(self) -> float:
        return sum(s.wall_s for s in self.stages)

    @property
    def model_s(self) -> float:
        return sum(s.model_s for s in self.stages)


class _TimedLLM(WrappedLLM):
    """Forwards to a backend and measures the wall time during which any call is running
    (overlapping calls of ``generate_many`` count once)."""

    def __init__(self, inner: LLM) -> None:
        super().__init__(inner)
        self.busy_s = 0.0
        self.calls = 0
        self._active = 0
        self._since = 0.0

    async def _generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        if self._active == 0:
            self._since = time.perf_counter()
        self._active += 1
        self.calls += 1
        try:
            return await self.inner.generate(messages, config)
        finally:
            self._active -= 1
            if self._active == 0:
                self.busy_s += time.perf_counter() - self._since


class _Stage:
    """Times one stage (wall and model seconds, calls) and ticks its progress per page."""

    def __init__(
        self, name: str, timed: _TimedLLM, report: PrepareReport, progress: Progress | None
    ) -> None:
        self.report = StageReport(stage=name)
        report.stages.append(self.report)
        self.timed, self.progress, self.total, self.count = timed, progress, report.pages, 0
        self.start = (time.perf_counter(), timed.busy_s, timed.calls)

    def tick(self, _page: int) -> None:
        self.count += 1
        if self.progress is not None:
            self.progress(self.report.stage, self.count, self.total)

    def done(self) -> None:
        wall, busy, calls = self.start
        self.report.wall_s = time.perf_counter() - wall
        self.report.model_s = self.timed.busy_s - busy
        self.report.calls = self.timed.calls - calls


async def prepare_with_report(
    deck: Deck,
    llm: LLM,
    *,
    progress: Progress | None = None,
    config: PrepareConfig | None = None,
) -> tuple[Agenda, PrepareReport]:
    """The agenda and where the time went."""
    config = config or PrepareConfig()
    if not deck.pages:
        raise InputError("the deck has no pages", path=deck.source)
    timed = _TimedLLM(llm)
    report = PrepareReport(pages=len(deck.pages))

    stage = _Stage("describe", timed, report, progress)
    describer = timed if config.describe == "model" else None
    descriptions, stage.report.fallbacks = await describe_pages(
        deck,
        describer,
        config.describe_generation,
        on_page=stage.tick,
        images=config.plan.images,
        page_chars=config.plan.page_chars,
        context_pages=config.plan.context_pages,
    )
    stage.done()

    stage = _Stage("outline", timed, report, progress)
    if config.outline == "rule":
        root = rule_outline(deck, descriptions, config.outline_config)
    else:
        root, stats = await build_outline(
            deck, descriptions, timed, config.outline_config, on_page=stage.tick
        )
        stage.report.fallbacks = stats.fallback_pages
        report.outline_retries, report.outline_problems = stats.retries, stats.problems
    agenda = Agenda(deck=str(deck.source), root=root)
    stage.done()

    stage = _Stage("showfile", timed, report, progress)
    attach_showfiles(agenda)
    stage.done()

    stage = _Stage("scripts", timed, report, progress)
    stage.report.fallbacks = await write_scripts(
        agenda, deck, timed, config.plan, on_page=stage.tick
    )
    stage.done()

    stage = _Stage("questions", timed, report, progress)
    stage.report.fallbacks = await ask_questions(agenda, timed, config.plan)
    stage.done()
    return agenda, report


async def prepare_lecture(
    deck: Deck,
    llm: LLM,
    *,
    progress: Progress | None = None,
    config: PrepareConfig | None = None,
) -> Agenda:
    """Deck -> agenda (Read + Plan). ``progress(stage, done, total)`` is called per page."""
    agenda, _ = await prepare_with_report(deck, llm, progress=progress, config=config)
    return agenda


def save_agenda(agenda: Agenda, path: str | Path) -> Path:
    """Write the agenda as indented JSON (meant to be read and edited by a teacher)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(agenda.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def load_agenda(path: str | Path) -> Agenda:
    """Read a saved (maybe hand-edited) agenda; a broken file is an InputError naming the
    line or the field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read agenda: {exc.strerror}", path=path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    try:
        return Agenda.model_validate(data)
    except ValidationError as exc:
        raise InputError.from_validation(exc, path=path) from None
