"""Run a stage function over a Ray Dataset (extra ``ray``), for users who already have a cluster.

The stage function is the same one ``run_stage`` runs. Each Ray actor builds its own model from a
spec (backends do not pickle), runs its batch concurrently on its own event loop, and returns
one row per record: ``id``, and either ``output`` (the stage's row as JSON) or ``error`` (the
same error row ``run_stage`` writes, as JSON), or ``dropped`` (the drop row of a record the stage
left out on purpose, as JSON). JSON strings, because records rarely share one Arrow schema.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from .records import record_id
from .runner import DONE, DROPPED, FAILED, Stage, process_record
from .summary import RunSummary


class _StageActor:
    def __init__(self, stage: Stage, model: str | None, concurrency: int) -> None:
        from ..llm.registry import get_llm

        self.stage = stage
        self.llm = get_llm(model) if model else None
        self.concurrency = concurrency
        self.loop = asyncio.new_event_loop()

    async def _one(self, record: dict[str, Any], limit: asyncio.Semaphore) -> dict[str, Any]:
        rid = record_id(record)
        async with limit:
            kind, row = await process_record(self.stage, rid, record, self.llm, RunSummary())
        text = json.dumps(row, ensure_ascii=False, default=str)
        columns = {"output": DONE, "error": FAILED, "dropped": DROPPED}
        return {"id": rid, **{col: text if kind == k else None for col, k in columns.items()}}

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        records = [json.loads(text) for text in batch["record"]]

        async def run_all() -> list[dict[str, Any]]:
            limit = asyncio.Semaphore(self.concurrency)
            return await asyncio.gather(*(self._one(r, limit) for r in records))

        rows = self.loop.run_until_complete(run_all())
        return {key: [row[key] for row in rows] for key in ("id", "output", "error", "dropped")}


def records_to_dataset(records: list[dict[str, Any]]):
    """A Ray Dataset with one JSON column, so any record shape survives the trip."""
    import ray.data

    return ray.data.from_items([{"record": json.dumps(r, ensure_ascii=False)} for r in records])


def map_stage(
    dataset,
    stage: Stage,
    *,
    model: str | None = None,
    actors: int = 1,
    concurrency: int = 8,
    batch_size: int = 16,
):
    """Lazily map ``stage`` over a dataset made by ``records_to_dataset``."""
    return dataset.map_batches(
        _StageActor,
        fn_constructor_kwargs={"stage": stage, "model": model, "concurrency": concurrency},
        batch_size=batch_size,
        concurrency=actors,
        batch_format="numpy",
    )


def dataset_to_records(dataset) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(output records, error rows) from a mapped dataset; dropped records are in neither, as
    they are not in a stage's output."""
    done, errors = [], []
    for row in dataset.take_all():
        if row["output"] is not None:
            done.append(json.loads(row["output"]))
        elif row["error"] is not None:
            errors.append(json.loads(row["error"]))
    return done, errors
