"""What ``--executor ray`` streams back: a stage's outcomes, packed a few dozen records a row.

Why packed: Ray Data cuts a map task's output into blocks by bytes
(``DataContext.target_max_block_size``, 128 MiB by default), so one row per record reaches the
driver only when its task ends. Batches small enough to stream that way cost a task each: a
scheduling round trip in which the worker sits idle (30 to 80 ms apiece on a loaded 2-core
machine), and each batch ends with its slots draining. Here a worker runs one task per stage
(``executors.WAVES``), hands on its finished records as they come
(:func:`~lmforge.pipeline.ray_adapter.run_records`), and each hand-over is one row: the JSON
lines for each file, ready to append, and the counts. The mapped dataset's block size is one
byte, so every row is a block of its own (Ray Data never splits a row), on its way to the
driver while the task goes on.

The driver appends each pack's lines with one write per file: the same lines, in the same order,
as one row at a time, so the files are byte for byte the local executor's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .ray_adapter import FIGURES, Model, task_options, task_outcomes
from .records import JsonlAppender
from .runner import DONE, DROPPED, FAILED, Stage
from .summary import Progress, RunSummary

KINDS = (DONE, DROPPED, FAILED)
"""A pack's columns of JSON lines, one per file; ``tally`` holds the rest (see :class:`Pack`)."""


def pack(outcomes: list[dict[str, Any]]) -> dict[str, list]:
    """One row (a batch of one) holding ``outcomes``: their lines by kind, and a tally."""
    lines: dict[str, list[str]] = {kind: [] for kind in KINDS}
    figures = dict.fromkeys(FIGURES, 0)
    drops, fails = [], []
    for one in outcomes:
        kind = one["kind"]
        lines[kind].append(one["row"] + "\n")
        if kind == DROPPED:
            drops.append(one["reason"])
        elif kind == FAILED:
            fails.append(one["reason"])
        for name, value in one["figures"].items():
            figures[name] += value
    tally = {"n": len(outcomes), "figures": figures, "drops": drops, "fails": fails}
    row: dict[str, list] = {kind: ["".join(lines[kind])] for kind in KINDS}
    row["tally"] = [json.dumps(tally)]
    return row


def map_packed(
    batch: dict[str, Any], *, stage: Stage, model: Model, concurrency: int
) -> Iterator[dict[str, list]]:
    """The executor's task: one pack per hand-over of the worker's outcomes."""
    for outcomes in task_outcomes(batch, stage=stage, model=model, concurrency=concurrency):
        yield pack(outcomes)


def map_stage_packed(dataset, stage: Stage, *, model: Model, actors: int, concurrency: int):
    """Lazily map ``stage`` over ``dataset`` (``records_to_dataset``), one task per block, at
    most ``actors`` at once, each with ``concurrency`` records in flight; rows are packs."""
    import ray.data

    dataset.context.target_max_block_size = 1  # every pack a block: streamed as it is made
    kwargs = {"stage": stage, "model": model, "concurrency": concurrency}
    return dataset.map_batches(
        map_packed, fn_kwargs=kwargs, batch_size=None,
        compute=ray.data.TaskPoolStrategy(size=actors), batch_format="numpy",
        **task_options(model),
    )  # fmt: skip


@dataclass
class Pack:
    """One pack, back on the driver."""

    lines: dict[str, str]
    """Each kind's JSON lines, newline-ended, in input order."""
    n: int = 0
    figures: dict[str, int] = field(default_factory=dict)
    drops: list[str] = field(default_factory=list)
    fails: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, row: dict[str, Any]) -> Pack:
        tally = json.loads(row["tally"])
        return cls({kind: str(row[kind]) for kind in KINDS}, **tally)

    def write(self, sinks: dict[str, JsonlAppender]) -> None:
        for kind, text in self.lines.items():
            if text:
                sinks[kind].write_lines(text)

    def count(self, summary: RunSummary, progress: Progress) -> None:
        """Add the pack's outcomes and figures to the stage's summary and progress."""
        summary.done += self.n - len(self.drops) - len(self.fails)
        for reason in self.drops:
            summary.add_drop(reason)
        summary.failed += len(self.fails)
        for name, value in self.figures.items():
            if value:
                setattr(summary, name, getattr(summary, name) + int(value))
        for reason in self.fails:
            progress.advance(failed_reason=reason)
        for _ in range(self.n - len(self.fails)):
            progress.advance()
