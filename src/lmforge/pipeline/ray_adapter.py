"""Run a stage function over a Ray Dataset (extra ``ray``): the pieces the Ray executor is made of.

The stage function is the same one ``run_stage`` runs, through the same ``process_record``. Each
Ray actor builds its own model (backends hold sockets, llama.cpp contexts and cache connections,
none of which pickle), runs its batch concurrently on its own event loop, and returns one row per
record: ``id``, ``kind`` (``done``, ``dropped`` or ``failed``), ``row`` (the output row, drop row
or error row exactly as ``run_stage`` would write it, as JSON) and ``figures`` (that record's
calls, tokens and retries, as JSON, for the run summary). JSON strings, because records rarely
share one Arrow schema, and because a JSON round trip of a row is what writing it does anyway.

:mod:`lmforge.pipeline.executors` drives this from ``--executor ray``; the functions here are for
Python users who hold a Ray Dataset of their own.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from ..llm.base import LLM
from .records import dumps, record_id
from .runner import DONE, FAILED, Stage, process_record
from .summary import RunSummary

COLUMNS = ("id", "kind", "row", "figures")
"""What each mapped row holds (see the module docstring)."""
FIGURES = ("prompt_tokens", "completion_tokens", "llm_calls", "cached_calls", "retries")
"""The per-record figures an actor sends back; the driver adds them into the stage's summary."""

Model = str | LLM | None
"""A model spec (each actor builds it with ``get_llm``, behind the call cache), a picklable
model object (a scripted model in tests), or None for stages that ask no model."""


def _build(model: Model) -> LLM | None:
    if model is None or isinstance(model, LLM):
        return model
    from ..llm.registry import get_llm

    return get_llm(model)


class StageActor:
    """One Ray actor of a mapped stage: its own model and event loop, reused batch after batch."""

    def __init__(self, stage: Stage, model: Model, concurrency: int) -> None:
        self.stage = stage
        self.llm = _build(model)
        self.concurrency = max(1, concurrency)
        self.loop = asyncio.new_event_loop()

    async def _one(self, record: dict[str, Any], limit: asyncio.Semaphore) -> dict[str, Any]:
        rid = record_id(record)
        figures = RunSummary()
        async with limit:
            kind, row = await process_record(self.stage, rid, record, self.llm, figures)
        counts = {name: getattr(figures, name) for name in FIGURES}
        return {"id": rid, "kind": kind, "row": dumps(row), "figures": json.dumps(counts)}

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        records = [json.loads(text) for text in batch["record"]]

        async def run_all() -> list[dict[str, Any]]:
            limit = asyncio.Semaphore(self.concurrency)
            return await asyncio.gather(*(self._one(r, limit) for r in records))

        rows = self.loop.run_until_complete(run_all())
        return {key: [row[key] for row in rows] for key in COLUMNS}


_WARM: dict[tuple, tuple[LLM | None, asyncio.AbstractEventLoop]] = {}
"""Per worker process: each model spec's built model and the event loop it runs on, kept
between batches, stages and jobs. Ray reuses its worker processes, so a task-mapped stage
builds its model (client, cache connection, GGUF) once per worker, not once per batch."""


def _warm(model: Model) -> tuple[LLM | None, asyncio.AbstractEventLoop]:
    """This worker's model for ``model`` and its loop; a model object (scripted) as shipped."""
    if not isinstance(model, str):
        loop = _WARM.setdefault(("", ()), (None, asyncio.new_event_loop()))[1]
        return model, loop
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("LMFORGE_")))
    key = (model, env)
    if key not in _WARM:
        _WARM[key] = (_build(model), asyncio.new_event_loop())
    return _WARM[key]


def map_batch(
    batch: dict[str, Any], *, stage: Stage, model: Model, concurrency: int
) -> dict[str, list]:
    """The task form of :class:`StageActor`: one batch, on this worker's warm model and loop.

    Why tasks rather than an actor pool: Ray Data starts a fresh actor pool for every
    ``map_batches`` (new processes, each importing lmforge and building its model), about a
    second per stage on one node; its task workers are reused, so a warm run pays neither.
    """
    llm, loop = _warm(model)
    actor = StageActor.__new__(StageActor)
    actor.stage, actor.llm, actor.concurrency, actor.loop = stage, llm, max(1, concurrency), loop
    return actor(batch)


def records_to_dataset(records: list[dict[str, Any]], *, blocks: int | None = None):
    """A Ray Dataset with one JSON column, so any record shape survives the trip."""
    import ray.data

    items = [{"record": json.dumps(r, ensure_ascii=False)} for r in records]
    if blocks is None:
        return ray.data.from_items(items)
    return ray.data.from_items(items, override_num_blocks=max(1, min(blocks, len(items) or 1)))


def map_stage(
    dataset,
    stage: Stage,
    *,
    model: Model = None,
    actors: int = 1,
    concurrency: int = 8,
    batch_size: int = 16,
    env: dict[str, str] | None = None,
    tasks: bool = False,
):
    """Lazily map ``stage`` over a dataset made by ``records_to_dataset``.

    ``actors`` model-holding actors (with ``tasks``: at most that many tasks at once, on
    reused workers that keep their model, see :func:`map_batch`), each with ``concurrency``
    records in flight; ``env``
    (``LMFORGE_*`` settings), if given, is set in each actor's process (the executor sets it
    once for the whole Ray job instead, which starts no extra workers).
    """
    import ray.data

    extra: dict[str, Any] = {"runtime_env": {"env_vars": env}} if env else {}
    kwargs = {"stage": stage, "model": model, "concurrency": concurrency}
    if tasks:
        return dataset.map_batches(
            map_batch, fn_kwargs=kwargs, batch_size=batch_size,
            compute=ray.data.TaskPoolStrategy(size=actors), batch_format="numpy", **extra,
        )  # fmt: skip
    return dataset.map_batches(
        StageActor,
        fn_constructor_kwargs=kwargs,
        batch_size=batch_size,
        compute=ray.data.ActorPoolStrategy(size=actors),
        batch_format="numpy",
        **extra,
    )


def parse_row(row: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, int]]:
    """(kind, row, figures) of one mapped row."""
    return str(row["kind"]), json.loads(row["row"]), json.loads(row["figures"])


def dataset_to_records(dataset) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(output records, error rows) from a mapped dataset; dropped records are in neither, as
    they are not in a stage's output."""
    done, errors = [], []
    for mapped in dataset.take_all():
        kind, row, _ = parse_row(mapped)
        if kind == DONE:
            done.append(row)
        elif kind == FAILED:
            errors.append(row)
    return done, errors
