"""Run a stage function over a Ray Dataset (extra ``ray``): the pieces the Ray executor is made of.

The stage function is the same one ``run_stage`` runs, through the same ``process_record``. Each
Ray worker builds its own model (backends hold sockets, llama.cpp contexts and cache connections,
none of which pickle), runs its batch concurrently on its own event loop, and returns one row per
record: ``id``, ``kind`` (``done``, ``dropped`` or ``failed``), ``row`` (the output row, drop row
or error row exactly as ``run_stage`` would write it, as its JSON line), ``reason`` (a drop's or
a failure's, else empty) and ``figures`` (that record's calls, tokens and retries, as JSON, for
the run summary). JSON strings, because records rarely share one Arrow schema, and because the
JSON line of a row is what writing it needs anyway.

:mod:`lmforge.pipeline.executors` drives this from ``--executor ray`` (through
:mod:`lmforge.pipeline.ray_packed`, which streams the same outcomes a few hundred at a time);
the functions here are for Python users who hold a Ray Dataset of their own.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from ..llm.base import LLM
from .records import META, dumps, record_id
from .runner import DONE, DROPPED, FAILED, Stage, process_record
from .summary import UsageCounts

COLUMNS = ("id", "kind", "row", "reason", "figures")
"""What each mapped row holds (see the module docstring)."""
FIGURES = ("prompt_tokens", "completion_tokens", "llm_calls", "cached_calls", "retries")
"""The per-record figures a worker sends back; the driver adds them into the stage's summary."""
EVERY = 256
"""Finished records a worker hands on at a time (:func:`run_records`)."""
FLUSH_S = 0.5
"""...or what has finished after this long, so a slow stage's rows still reach the driver."""

Model = str | LLM | None
"""A model spec (each worker builds it with ``get_llm``, behind the call cache), a picklable
model object (a scripted model in tests), or None for stages that ask no model."""


def _build(model: Model) -> LLM | None:
    if model is None or isinstance(model, LLM):
        return model
    from ..llm.registry import get_llm

    return get_llm(model)


def keeps_warm(model: Model) -> bool:
    """Whether a worker may keep ``model`` built between tasks, stages and jobs.

    A client of a server (``openai:``) or a scripted model holds sockets at most. Any other
    spec (``embedded``, ``hf:``) holds weights, and llama.cpp keeps a GGUF loaded for the life
    of its process (``llm.embedded`` loads each once per process): such a stage runs on workers
    that exit after their task, so no more models are loaded than tasks run at once.
    """
    return not isinstance(model, str) or model.startswith(("openai:", "scripted"))


class _Tally(UsageCounts):
    """One record's figures: the two things ``process_record`` adds to (``add_usage``,
    ``retries``), without a pydantic ``RunSummary`` per record (10 us each, in the worker's
    critical path)."""

    __slots__ = FIGURES

    def __init__(self) -> None:
        for name in FIGURES:
            setattr(self, name, 0)


async def outcome(stage: Stage, llm: LLM | None, record: dict[str, Any]) -> dict[str, Any]:
    """One record through ``process_record``: its mapped row (``COLUMNS``; figures as a dict)."""
    rid = record_id(record)
    tally = _Tally()
    kind, row = await process_record(stage, rid, record, llm, tally)  # type: ignore[arg-type]
    reason = row["reason"] if kind == DROPPED else row[META]["reason"] if kind == FAILED else ""
    figures = {name: getattr(tally, name) for name in FIGURES}
    return {"id": rid, "kind": kind, "row": dumps(row), "reason": reason, "figures": figures}


def run_records(
    stage: Stage,
    llm: LLM | None,
    loop: asyncio.AbstractEventLoop,
    concurrency: int,
    texts: Iterable[str],
    *,
    every: int = EVERY,
    flush_s: float = FLUSH_S,
) -> Iterator[list[dict[str, Any]]]:
    """The outcomes of the records ``texts`` (JSON), in input order, handed on as they finish.

    ``concurrency`` records are in flight at once, started in input order, and records keep
    starting up to a few windows ahead of the oldest unfinished one, so a slow record holds
    back the hand-over, not the calls: no batch ends with its slots draining. The finished
    records at the head go on every ``every`` records or ``flush_s`` seconds, whichever is
    first. Closing the generator early cancels what is in flight.
    """
    limit = asyncio.Semaphore(max(1, concurrency))
    ahead = max(4 * concurrency, 2 * every)

    async def one(text: str) -> dict[str, Any]:
        async with limit:
            return await outcome(stage, llm, json.loads(text))

    todo = iter(texts)
    started: deque[asyncio.Task] = deque()
    try:
        while True:
            more = itertools.islice(todo, ahead - len(started))
            started.extend(loop.create_task(one(text)) for text in more)
            if not started:
                return
            head = list(itertools.islice(started, every))
            loop.run_until_complete(asyncio.wait(head, timeout=flush_s))
            ready = next((i for i, task in enumerate(head) if not task.done()), len(head))
            if ready:
                yield [started.popleft().result() for _ in range(ready)]
    finally:
        for task in started:
            task.cancel()
        if started:
            loop.run_until_complete(asyncio.gather(*started, return_exceptions=True))


def _columns(outcomes: list[dict[str, Any]]) -> dict[str, list]:
    columns: dict[str, list] = {key: [o[key] for o in outcomes] for key in COLUMNS}
    columns["figures"] = [json.dumps(figures) for figures in columns["figures"]]
    return columns


class StageActor:
    """One Ray actor of a mapped stage: its own model and event loop, reused batch after batch."""

    def __init__(self, stage: Stage, model: Model, concurrency: int) -> None:
        self.stage = stage
        self.llm = _build(model)
        self.concurrency = max(1, concurrency)
        self.loop = asyncio.new_event_loop()

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        chunks = run_records(self.stage, self.llm, self.loop, self.concurrency, batch["record"])
        return _columns([o for chunk in chunks for o in chunk])


_WARM: dict[tuple, tuple[LLM | None, asyncio.AbstractEventLoop]] = {}
"""Per worker process: each model spec's built model and the event loop it runs on, kept
between batches, stages and jobs (only models that :func:`keeps_warm` allows). Ray reuses its
worker processes, so a task-mapped stage builds its client and cache connection once per
worker, not once per batch."""


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


def _freeze_heap() -> None:
    """In a Ray worker, at its first task: collect, then move what the process holds (Ray,
    pyarrow, lmforge and their imports, ~150k objects) out of the collector's sight, so a full
    collection no longer walks it (0.3 to 0.7 s of a 2,000-record stage on a loaded machine,
    5 to 15 ms after). A worker's heap is what it imported, never freed anyway. Not in the
    driver, nor when the functions here run outside Ray (tests)."""
    import ray

    if gc.get_freeze_count() or not ray.is_initialized():
        return
    if ray.get_runtime_context().get_task_id() is None:  # the driver
        return
    gc.collect()
    gc.freeze()


def task_outcomes(
    batch: dict[str, Any], *, stage: Stage, model: Model, concurrency: int
) -> Iterator[list[dict[str, Any]]]:
    """A task's outcomes, as :func:`run_records` hands them on: on this worker's warm model
    and loop, or, for a model that holds weights, on one built for this task and closed after
    it (its worker exits after the task, see :func:`keeps_warm`)."""
    _freeze_heap()
    if keeps_warm(model):
        llm, loop = _warm(model)
        yield from run_records(stage, llm, loop, concurrency, batch["record"])
        return
    llm, loop = _build(model), asyncio.new_event_loop()
    try:
        yield from run_records(stage, llm, loop, concurrency, batch["record"])
    finally:
        if llm is not None:
            loop.run_until_complete(llm.aclose())
        loop.close()


def map_batch(
    batch: dict[str, Any], *, stage: Stage, model: Model, concurrency: int
) -> dict[str, list]:
    """The task form of :class:`StageActor`: one batch, on this worker's warm model and loop.

    Why tasks rather than an actor pool: Ray Data starts a fresh actor pool for every
    ``map_batches`` (new processes, each importing lmforge and building its model), about a
    second per stage on one node; its task workers are reused, so a warm run pays neither.
    """
    chunks = task_outcomes(batch, stage=stage, model=model, concurrency=concurrency)
    return _columns([o for chunk in chunks for o in chunk])


def task_options(model: Model) -> dict[str, Any]:
    """Ray options of a task mapping a stage with ``model``: a worker that loaded weights exits
    after its task (``max_calls=1``), see :func:`keeps_warm`."""
    return {} if keeps_warm(model) else {"max_calls": 1}


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
    records in flight; ``env`` (``LMFORGE_*`` settings), if given, is set in each actor's
    process (the executor sets it once for the whole Ray job instead, which starts no extra
    workers).
    """
    import ray.data

    extra: dict[str, Any] = {"runtime_env": {"env_vars": env}} if env else {}
    kwargs = {"stage": stage, "model": model, "concurrency": concurrency}
    if tasks:
        return dataset.map_batches(
            map_batch, fn_kwargs=kwargs, batch_size=batch_size,
            compute=ray.data.TaskPoolStrategy(size=actors), batch_format="numpy",
            **task_options(model), **extra,
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
