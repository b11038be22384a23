"""Scoring given predictions instead of a model's answers: read them, check their ids against
the data set, and join them onto the records where the solve stage would have written its rows.

Apart from :mod:`lmforge.evaluation.benchmark`, which runs them (``run_benchmark`` with
``predictions=``) and checks them up front (``check_predictions``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lmforge.errors import InputError
from lmforge.pipeline.records import META, check_row, dumps, iter_jsonl, record_id, write_jsonl
from lmforge.pipeline.rundir import RunDir
from lmforge.pipeline.shards import in_shard, shard_path

__all__ = ["check_ids", "join_predictions", "read_predictions"]


def read_predictions(
    predictions: str | Path | Iterable[dict[str, Any]], schema: type[BaseModel] | None = None
) -> dict[str, dict]:
    """Predictions by id. Each needs an explicit ``id``: a content hash would match nothing;
    a ``response``, when there is one, must be text or ``null`` (what ``null`` means is the
    benchmark's: FollowBench counts it missing; a stricter benchmark checks its rows in its
    ``read_predictions``)."""
    path = str(predictions) if isinstance(predictions, str | Path) else None
    rows = iter_jsonl(predictions) if path else enumerate(predictions, start=1)  # type: ignore[arg-type]
    out: dict[str, dict] = {}
    for line, row in rows:
        if row.get("id") in (None, ""):
            raise InputError("prediction without an id", path=path, line=line, field="id")
        if schema is not None:
            check_row(schema, row, path=path, line=line)
        if not isinstance(row.get("response", ""), str | None):
            kind = "null" if row["response"] is None else type(row["response"]).__name__
            raise InputError(f"expected text, got {kind}", path=path, line=line, field="response")
        rid = str(row["id"])
        if rid in out:
            raise InputError(f"duplicate prediction id {rid!r}", path=path, line=line)
        out[rid] = {k: v for k, v in row.items() if k != META}
    return out


def check_ids(by_id: dict[str, dict], records: list[dict[str, Any]], predictions: Any) -> None:
    """InputError naming the first few prediction ids that are not in ``records``."""
    unknown = sorted(set(by_id) - {record_id(r) for r in records})
    if unknown:
        path = str(predictions) if isinstance(predictions, str | Path) else None
        raise InputError(
            f"{len(unknown)} prediction id(s) not in the data set: {unknown[:5]}", path=path
        )


def join_predictions(
    run: RunDir,
    records: list[dict[str, Any]],
    predictions: Any,
    shard: tuple[int, int] | None = None,
    schema: type[BaseModel] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """Write record+prediction rows where solve would have; returns (signature, rows).

    The folder is named for the content, so scoring new predictions never reuses old scores.
    ``records`` is the whole (limited) data set, so a prediction of another shard is known;
    only the shard's records are joined.
    """
    by_id = read_predictions(predictions, schema)
    check_ids(by_id, records, predictions)
    ids = [record_id(r) for r in records]
    joined = [
        {**rec, **by_id[rid]}
        for rid, rec in zip(ids, records, strict=True)
        if rid in by_id and in_shard(rid, shard)
    ]
    blob = "\n".join(dumps(row) for row in joined).encode("utf-8")
    signature = f"predictions-{hashlib.sha256(blob).hexdigest()[:10]}"
    write_jsonl(shard_path(run / signature / "records.jsonl", shard), joined)
    return signature, joined
