"""Read + Plan: a deck in, a teaching agenda out (``lmforge classroom prepare``).

Stages, in order (each one needs the previous one's output):

1. ``describe``  - one description per page (model, or extractive with ``describe="extract"``);
2. ``outline``   - the incremental outline builder, then flattening;
3. ``showfile``  - ShowFile on every page (no model);
4. ``scripts``   - ReadScript on every page, in order;
5. ``questions`` - AskQuestion x3 at the last page of each section with >= 3 pages.

Every stage draws the runner's progress bar (``quiet`` silences it), reports progress through
``progress(stage, done, total)`` and is timed: its :class:`StageReport` is the runner's
``RunSummary`` (pages, calls, tokens, wall time; printed in the same end table) plus the
seconds during which at least one model call was running (``model_s``; the runner has no such
figure, hence :class:`_TimedLLM`), the rest being ``other_s`` (prompt rendering, parsing,
guards, bookkeeping), and the pages filled without a usable answer (``fallbacks``). The
agenda is plain JSON (:func:`save_agenda`, :func:`load_agenda`) that a teacher may edit before
teaching; :mod:`.command` is the ``prepare`` verb around all this.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

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
from lmforge.inputs import DeckPath, read_json
from lmforge.llm.base import LLM, WrappedLLM
from lmforge.llm.types import Completion, GenerateConfig, Message
from lmforge.pipeline.jobs import JobConfig
from lmforge.pipeline.summary import Progress as Bar
from lmforge.pipeline.summary import RunSummary

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


class PrepareConfig(JobConfig):
    """Everything ``prepare`` can be told; ``model`` describes, outlines, writes and asks, and
    ``limit`` takes the first N pages of the deck (a deck is one job: it has no shards)."""

    deck: DeckPath | None = None
    """A .pptx or .pdf deck (``lmforge classroom prepare DECK``)."""
    images: Path | None = None
    """Render page PNGs here (default for a vision model: DECK.pages/)."""
    describe: Literal["model", "extract"] = "model"
    """``model``: the model describes each page from its text; ``extract``: title + first
    lines, no model (fast, deterministic)."""
    describe_generation: GenerateConfig = GenerateConfig(max_tokens=96)
    """Sampling for the descriptions."""
    describe_retries: int = Field(1, ge=0)
    """Extra attempts when a description is empty, echoes the prompt or is only markup."""
    outline: Literal["model", "rule"] = "model"
    """``model``: the incremental builder with guards and fallback; ``rule``: the fallback rule
    for every page."""
    outline_config: OutlineConfig = Field(default_factory=OutlineConfig)
    """Retries, give-up point, look-ahead and sampling of the outline builder."""
    plan: PlanConfig = Field(default_factory=PlanConfig)
    """Sampling and limits of scripts and questions."""
    run_dir: Path | None = None
    """Folder for this preparation's config.yaml and summary.json (default
    runs/classroom-prepare/TIMESTAMP); --out names the agenda file, not this folder."""

    cli_hidden: ClassVar[tuple[str, ...]] = ("shard",)

    @field_validator("shard")
    @classmethod
    def _no_shard(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None:
            raise ValueError("a deck is prepared as one job; shards do not apply")
        return value


class StageReport(RunSummary):
    """One stage's figures: the runner's summary (``total`` pages, ``llm_calls``, tokens,
    ``wall_s``) plus where the time went and how often the model's answer was not used."""

    model_s: float = 0.0
    """Seconds during which at least one model call of this stage was running."""
    fallbacks: int = 0
    """Pages (or sections, for questions) the stage filled without a usable model answer."""

    @property
    def calls(self) -> int:
        return self.llm_calls

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
    (overlapping calls of ``generate_many`` count once); calls and tokens go to the summary of
    the stage running now (stages run one after another)."""

    def __init__(self, inner: LLM) -> None:
        super().__init__(inner)
        self.busy_s = 0.0
        self.current: StageReport | None = None
        self._active = 0
        self._since = 0.0

    async def _generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        if self._active == 0:
            self._since = time.perf_counter()
        self._active += 1
        summary = self.current
        try:
            completion = await self.inner.generate(messages, config)
        except BaseException:
            if summary is not None:
                summary.llm_calls += 1  # a call that failed was still made
            raise
        finally:
            self._active -= 1
            if self._active == 0:
                self.busy_s += time.perf_counter() - self._since
        if summary is not None:
            summary.add_usage(completion.usage, cached=completion.cached)
        return completion


class _Stage:
    """One stage under the runner's progress bar: ticks per page, model seconds at the end."""

    def __init__(
        self,
        name: str,
        timed: _TimedLLM,
        report: PrepareReport,
        progress: Progress | None,
        quiet: bool,
    ) -> None:
        self.report = StageReport(stage=name, total=report.pages)
        report.stages.append(self.report)
        self.timed, self.progress = timed, progress
        self.bar = Bar(self.report, quiet=quiet)
        self.busy = 0.0

    def __enter__(self) -> _Stage:
        self.timed.current = self.report
        self.busy = self.timed.busy_s
        self.bar.__enter__()
        return self

    def tick(self, _page: int = 0) -> None:
        self.report.done += 1
        self.bar.advance()
        if self.progress is not None:
            self.progress(self.report.stage, self.report.done, self.report.total)

    def __exit__(self, *exc: object) -> None:
        """Stages without a per-page loop (showfile, questions) finish all their pages here."""
        while exc[0] is None and self.report.done < self.report.total:
            self.tick()
        self.bar.__exit__(*exc)
        self.report.model_s = self.timed.busy_s - self.busy
        self.timed.current = None


async def prepare_with_report(
    deck: Deck,
    llm: LLM,
    *,
    progress: Progress | None = None,
    config: PrepareConfig | None = None,
    quiet: bool = True,
) -> tuple[Agenda, PrepareReport]:
    """The agenda and where the time went; ``quiet=False`` draws a progress bar per stage."""
    config = config or PrepareConfig()
    if not deck.pages:
        raise InputError("the deck has no pages", path=deck.source)
    if config.limit is not None:
        deck = deck.model_copy(update={"pages": deck.pages[: config.limit]})
    timed = _TimedLLM(llm)
    report = PrepareReport(pages=len(deck.pages))

    def stage(name: str) -> _Stage:
        return _Stage(name, timed, report, progress, quiet)

    with stage("describe") as describe:
        describer = timed if config.describe == "model" else None
        descriptions, describe.report.fallbacks = await describe_pages(
            deck,
            describer,
            config.describe_generation,
            on_page=describe.tick,
            images=config.plan.images,
            page_chars=config.plan.page_chars,
            context_pages=config.plan.context_pages,
            retries=config.describe_retries,
        )
    with stage("outline") as outline:
        if config.outline == "rule":
            root = rule_outline(deck, descriptions, config.outline_config)
        else:
            root, stats = await build_outline(
                deck, descriptions, timed, config.outline_config, on_page=outline.tick
            )
            outline.report.fallbacks = stats.fallback_pages
            report.outline_retries, report.outline_problems = stats.retries, stats.problems
        agenda = Agenda(deck=str(deck.source), root=root)
    with stage("showfile"):
        attach_showfiles(agenda)
    with stage("scripts") as scripts:
        scripts.report.fallbacks = await write_scripts(
            agenda, deck, timed, config.plan, on_page=scripts.tick
        )
    with stage("questions") as questions:
        questions.report.fallbacks = await ask_questions(agenda, timed, config.plan)
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
    """Read a saved (maybe hand-edited) agenda through the input gate (a regular file or a pipe,
    UTF-8 with or without a BOM, strict JSON of bounded depth); a broken file is one
    InputError naming the line or the field."""
    data = read_json(path, what="agenda (lecture.json)")
    if not isinstance(data, dict):
        got = "null" if data is None else type(data).__name__
        raise InputError(f"expected a JSON object (an agenda), got {got}", path=path)
    try:
        return Agenda.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _field_path(first["loc"])
        raise InputError(first["msg"], path=path, field=field or None) from None


_TAGS = frozenset({"node", "ppt", "ShowFile", "ReadScript", "AskQuestion"})


def _field_path(loc: tuple[int | str, ...]) -> str:
    """``root.children.0.index`` from pydantic's location, without the union tags it adds
    (``root.children.0.ppt.index``)."""
    parts: list[str] = []
    for i, part in enumerate(loc):
        if part in _TAGS and i > 0 and isinstance(loc[i - 1], int):
            continue
        parts.append(str(part))
    return ".".join(parts)
