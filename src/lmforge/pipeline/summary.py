"""What a run reports while it works (a rich progress bar) and when it ends (a summary table)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

from ..errors import ParseError
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


class RunSummary(BaseModel):
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
    wall_s: float = 0.0
    errors: dict[str, int] = Field(default_factory=dict)
    """Failure reasons with counts: the exception class, plus the reason it carries
    (``ParseFailure: echoed the prompt``; see :func:`failure_reason`)."""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add_drop(self, reason: str) -> None:
        self.dropped += 1
        self.drops[reason] = self.drops.get(reason, 0) + 1

    def add_usage(self, usage: Usage, *, cached: bool) -> None:
        self.llm_calls += 1
        if cached:
            self.cached_calls += 1
            return
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens

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
        "prompt_tokens": sum(s.prompt_tokens for s in summaries),
        "completion_tokens": sum(s.completion_tokens for s in summaries),
        "tokens": sum(s.tokens for s in summaries),
        "wall_s": round(sum(s.wall_s for s in summaries), 3),
        "stages": [s.model_dump() for s in summaries],
    }
