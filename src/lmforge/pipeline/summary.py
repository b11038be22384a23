"""What a run reports while it works (a rich progress bar), when it ends (a summary table), and
to the CLI that started it (:func:`watch_runs`: failed records, Ctrl-C)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..errors import ParseError, RecordsFailed
from ..llm.types import Usage

REASON_CHARS = 120
"""A failure reason longer than this is cut (a summary key, not the whole message)."""


def failure_reason(exc: BaseException) -> str:
    """What a run counts a failed record under: the exception class, plus the reason when it
    carries one, so three parse rejections read ``ParseFailure: echoed the prompt`` and
    ``ParseFailure: no JSON found`` rather than ``2 x ParseFailure``.

    The reason is the exception's ``reason`` (``ParseFailure``, ``KwargsError``), else, for
    another ``ParseError`` (its message is the reason), the first clause of its message.
    """
    name = type(exc).__name__
    reason = getattr(exc, "reason", None)
    if not isinstance(reason, str) or not reason.strip():
        lines = str(exc).strip().splitlines() if isinstance(exc, ParseError) else []
        reason = lines[0].split(": ", 1)[0] if lines else None
    if not reason:
        return name
    reason = " ".join(reason.split())
    if len(reason) > REASON_CHARS:
        reason = reason[: REASON_CHARS - 3].rstrip() + "..."
    return f"{name}: {reason}"


class UsageCounts:
    """How one model call adds to a run's figures: shared by :class:`RunSummary` and the Ray
    worker's per-record tally (``ray_adapter``), which holds the same five counters as plain
    attributes because a pydantic model per record costs ~10 us in the worker's critical path."""

    __slots__ = ()  # no annotations either: pydantic would take them as RunSummary's first fields

    def add_usage(self, usage: Usage, *, cached: bool) -> None:
        self.llm_calls += 1
        if cached:
            self.cached_calls += 1
            return
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens


class RunSummary(UsageCounts, BaseModel):
    """Counts of one stage run; written to ``summary.json`` and printed as a table."""

    stage: str = ""
    total: int = 0
    """Records in the input (after sharding)."""
    done: int = 0
    """Records finished in this run."""
    skipped: int = 0
    """Records already finished by an earlier run."""
    failed: int = 0
    """Records that became error rows (retried by the next run)."""
    dropped: int = 0
    """Records the stage left out on purpose (a ``Drop``), in this run or an earlier one; never
    retried, so ``total = done + skipped + dropped + failed`` once a run is complete."""
    drops: dict[str, int] = Field(default_factory=dict)
    """Drop reasons with counts."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_calls: int = 0
    cached_calls: int = 0
    retries: int = 0
    """Retries of transient model errors in this run, over all its records (each row's
    ``_meta.retries`` has its own)."""
    wall_s: float = 0.0
    errors: dict[str, int] = Field(default_factory=dict)
    """Failure reasons with counts: the exception class, plus the reason it carries
    (``ParseFailure: echoed the prompt``; see :func:`failure_reason`)."""
    error_rows: str | None = None
    """The file holding this run's error rows (``*.errors.jsonl``), when any record failed."""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add_drop(self, reason: str) -> None:
        self.dropped += 1
        self.drops[reason] = self.drops.get(reason, 0) + 1

    def rate(self) -> float:
        return self.done / self.wall_s if self.wall_s else 0.0


class Progress:
    """A rich progress bar with records, rate, failures and tokens; silent when ``quiet``."""

    def __init__(
        self, summary: RunSummary, *, quiet: bool = False, todo: int | None = None
    ) -> None:
        self.summary = summary
        self.todo = summary.total - summary.skipped if todo is None else todo
        self.quiet = quiet
        self._bar = None
        self._task = None
        self._start = time.perf_counter()
        self._reasons: Counter[str] = Counter()

    def __enter__(self) -> Progress:
        if not self.quiet:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(
                    "{task.fields[rate]} rec/s · failed {task.fields[failed]}"
                    " · dropped {task.fields[dropped]}"
                ),
                TextColumn("· {task.fields[tokens]} tok"),
                TimeElapsedColumn(),
                transient=False,
                console=Console(stderr=True),  # stdout stays for results a script can read
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(
                self.summary.stage,
                total=self.todo,
                rate="0.0",
                failed=0,
                dropped=self.summary.dropped,
                tokens=0,
            )
        return self

    def advance(self, *, failed_reason: str | None = None) -> None:
        if failed_reason:
            self._reasons[failed_reason] += 1
        self.summary.wall_s = time.perf_counter() - self._start
        if self._bar is not None:
            self._bar.update(
                self._task,
                advance=1,
                rate=f"{self.summary.rate():.1f}",
                failed=self.summary.failed,
                dropped=self.summary.dropped,
                tokens=self.summary.tokens,
            )

    def __exit__(self, *exc: object) -> None:
        self.summary.wall_s = time.perf_counter() - self._start
        self.summary.errors = dict(self._reasons)
        if self._bar is not None:
            self._bar.__exit__(*exc)


def print_summaries(summaries: list[RunSummary], *, title: str = "summary") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in (
        "stage",
        "total",
        "done",
        "skipped",
        "dropped",
        "failed",
        "calls",
        "cached",
        "retries",
        "tokens",
        "wall s",
    ):
        table.add_column(col, justify="left" if col == "stage" else "right")
    for s in summaries:
        table.add_row(
            s.stage,
            str(s.total),
            str(s.done),
            str(s.skipped),
            str(s.dropped),
            str(s.failed),
            str(s.llm_calls),
            str(s.cached_calls),
            str(s.retries),
            str(s.tokens),
            f"{s.wall_s:.2f}",
        )
    console = Console(stderr=True)
    console.print(table)
    for s in summaries:
        for reason, count in s.errors.items():
            console.print(f"  {s.stage}: {count} x {reason}")
        for reason, count in s.drops.items():
            console.print(f"  {s.stage}: {count} dropped: {reason}")


def _merged(counts: list[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for one in counts:
        total.update(one)
    return dict(total.most_common())


def summaries_dict(summaries: list[RunSummary]) -> dict[str, Any]:
    """A chain of stage runs as one set of figures: records in (first stage), through to the
    end (last stage), dropped and failed anywhere, by reason, and the cost of it all."""
    first = summaries[0] if summaries else RunSummary()
    last = summaries[-1] if summaries else RunSummary()
    return {
        "total": first.total,
        "done": last.done + last.skipped,
        "skipped": first.skipped,
        "dropped": sum(s.dropped for s in summaries),
        "failed": sum(s.failed for s in summaries),
        "drops": _merged([s.drops for s in summaries]),
        "failures": _merged([s.errors for s in summaries]),
        "llm_calls": sum(s.llm_calls for s in summaries),
        "cached_calls": sum(s.cached_calls for s in summaries),
        "retries": sum(s.retries for s in summaries),
        "prompt_tokens": sum(s.prompt_tokens for s in summaries),
        "completion_tokens": sum(s.completion_tokens for s in summaries),
        "tokens": sum(s.tokens for s in summaries),
        "wall_s": round(sum(s.wall_s for s in summaries), 3),
        "error_rows": [s.error_rows for s in summaries if s.error_rows],
        "stages": [s.model_dump() for s in summaries],
    }


COSTS = (
    "llm_calls",
    "cached_calls",
    "retries",
    "prompt_tokens",
    "completion_tokens",
    "tokens",
    "wall_s",
)
"""The figures of a summary that count one command's work only (a resume's ``llm_calls`` are
its own): :func:`with_history` adds them up over the commands run into one folder."""


def _costs(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: summary[k] for k in COSTS if isinstance(summary.get(k), int | float)}


def with_history(
    summary: dict[str, Any], previous: dict[str, Any], *, invocation: str, started: str
) -> dict[str, Any]:
    """What the whole run cost, not only this command (a resume): the ``whole_run`` and
    ``history`` keys to write beside ``summary``'s own, given the ``previous`` summary.

    ``history`` has one entry per command run into the folder (the first and each resume:
    when it started, the records it found finished, those that failed, its costs); writing the
    summary again in the same command replaces that command's entry, so it is never counted
    twice. ``whole_run`` is the costs added up over ``history`` plus ``invocations``. A
    previous summary written before histories existed counts as one earlier entry. The
    top-level figures stay this command's own (a rerun of a finished run reports 0 calls).
    """
    history = previous.get("history")
    if not isinstance(history, list):
        history = [{"id": "earlier", **_costs(previous)}] if _costs(previous) else []
    entry = {
        "id": invocation,
        "started": started,
        "skipped": summary.get("skipped", 0),
        "failed": summary.get("failed", 0),
        **_costs(summary),
    }
    history = [h for h in history if isinstance(h, dict) and h.get("id") != invocation]
    history.append(entry)
    whole: dict[str, Any] = {"invocations": len(history)}
    for key in COSTS:
        total = sum(h.get(key, 0) for h in history if isinstance(h.get(key, 0), int | float))
        whole[key] = round(total, 3) if key == "wall_s" else total
    return {"whole_run": whole, "history": history}


# --------------------------------------------------------------------------- the CLI's view


@dataclass
class RunWatch:
    """What the runs of one command told the CLI that started it (:func:`watch_runs`): the
    run folders, each stage's live counts, and each summary as written.

    With it the CLI ends honestly: :meth:`failures` turns a finished run with failed records
    into :class:`~lmforge.errors.RecordsFailed` (exit 3), and :meth:`interrupted` says what a
    Ctrl-C kept and how to resume.
    """

    folders: list[Path] = field(default_factory=list)
    stages: list[RunSummary] = field(default_factory=list)
    summaries: dict[Path, dict[str, Any]] = field(default_factory=dict)

    def failures(self) -> RecordsFailed | None:
        """The failed records of the summaries written (the last one of each file), if any."""
        failed = [(p, s) for p, s in self.summaries.items() if _count(s.get("failed"))]
        if not failed:
            return None
        errors = [e for _, s in failed for e in s.get("error_rows") or []]
        totals = [s.get("total") for _, s in failed]
        return RecordsFailed(
            sum(_count(s["failed"]) for _, s in failed),
            sum(totals) if all(isinstance(t, int) for t in totals) else None,
            errors=errors or [f"{p.parent}/**/*.errors.jsonl" for p, _ in failed],
            runs=list(dict.fromkeys(str(p.parent) for p, _ in failed)),
        )

    def interrupted(self) -> list[str]:
        """The lines a Ctrl-C prints: the records finished and kept, and the way to resume."""
        lines = [
            f"  {s.stage}: {s.done + s.skipped} of {s.total} records finished and kept"
            f" ({s.done} in this run)" + (f", {s.failed} failed" if s.failed else "")
            for s in self.stages
        ]
        folders = list(dict.fromkeys(str(f) for f in self.folders))
        if not folders:
            return ["interrupted before any run folder was made: nothing to resume", *lines]
        head = f"interrupted: what finished is kept in {', '.join(folders)}"
        resume = f"resume: rerun the same command with --out {folders[-1]}"
        return [head, *(lines or ["  no record had finished"]), resume]


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


_WATCH: ContextVar[RunWatch | None] = ContextVar("lmforge_run_watch", default=None)


@contextmanager
def watch_runs() -> Iterator[RunWatch]:
    """Collect what the runs made in this context report (tasks and threads they start
    included); the CLI wraps every command that owns a run folder in one."""
    watch = RunWatch()
    token = _WATCH.set(watch)
    try:
        yield watch
    finally:
        _WATCH.reset(token)


def watching() -> RunWatch | None:
    """The watch of the command running now, if the CLI started it (None from Python)."""
    return _WATCH.get()
