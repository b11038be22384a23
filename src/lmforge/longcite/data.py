"""Reading LongBench-Cite: the published ``LongBench-Cite.json`` and prediction files.

``LongBench-Cite.json`` (THUDM/LongCite, ``LongBench-Cite/``; not shipped: 1,000 instances) is
one JSON list of ``{idx, dataset, query, answer (list), few_shot_scores, context}``. A
prediction row is the official record ``{idx, dataset, query, answer, few_shot_scores,
prediction, statements}``; ``statements`` (each ``{statement, citation: [{..., cite}]}``) may
be left out when the row (or the data file, joined by ``idx``) has the ``context``, and is
then parsed from ``prediction`` by the official walk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from lmforge.errors import InputError
from lmforge.pipeline.records import check_row, iter_jsonl, read_json_list

from .numbering import number_context
from .parse import parse_answer
from .scoring import DATASETS

__all__ = [
    "CiteSource",
    "DataRow",
    "PredictionRow",
    "load_longbench_cite",
    "load_prediction_rows",
]


class CiteSource(BaseModel):
    """One citation of a statement: only ``cite`` is scored (official)."""

    model_config = ConfigDict(extra="allow")
    cite: str


class StatementRow(BaseModel):
    model_config = ConfigDict(extra="allow")
    statement: str
    citation: list[CiteSource] | None = None


class FewShot(BaseModel):
    model_config = ConfigDict(extra="allow")
    answer: str
    score: int | float


class DataRow(BaseModel):
    """One LongBench-Cite instance."""

    model_config = ConfigDict(extra="allow")
    idx: int | str
    dataset: str
    query: str
    answer: list[str] | str
    context: str
    few_shot_scores: list[FewShot] | None = None


class PredictionRow(BaseModel):
    """One prediction to score (the official prediction record)."""

    model_config = ConfigDict(extra="allow")
    idx: int | str
    prediction: str
    dataset: str | None = None
    query: str | None = None
    answer: list[str] | str | None = None
    statements: list[StatementRow] | None = None
    context: str | None = None
    few_shot_scores: list[FewShot] | None = None


def _check_dataset(name: str, path: Path, line: int | None) -> None:
    if name not in DATASETS:
        known = ", ".join(DATASETS)
        raise InputError(f"unknown dataset {name!r} (known: {known})", path=path, line=line)


def load_longbench_cite(path: str | Path) -> list[dict[str, Any]]:
    """The instances of ``LongBench-Cite.json`` (or a file of the same shape), each checked,
    with ``id`` = ``idx``; errors name the file, the item (as line) and the field."""
    path = Path(path)
    rows = read_json_list(path, what="LongBench-Cite instances")
    out, seen = [], set()
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise InputError(f"item {n}: expected an object", path=path)
        check_row(DataRow, row, path=path, line=n)
        _check_dataset(row["dataset"], path, n)
        if str(row["idx"]) in seen:
            raise InputError(f"duplicate idx {row['idx']!r}", path=path, line=n, field="idx")
        seen.add(str(row["idx"]))
        out.append({**row, "id": str(row["idx"])})
    if not out:
        raise InputError("no instances", path=path)
    return out


def _statements(row: dict[str, Any], path: Path, line: int) -> list[dict[str, Any]]:
    if row.get("statements") is not None:
        return [
            {"statement": s["statement"], "citation": list(s.get("citation") or [])}
            for s in row["statements"]
        ]
    if row.get("context") is None:
        raise InputError(
            "no statements and no context to parse the prediction against (give --data)",
            path=path,
            line=line,
            field="statements",
        )
    parsed = parse_answer(row["prediction"], number_context(row["context"]))
    return [s.as_dict() for s in parsed.statements]


_NEEDED = ("dataset", "query")


def load_prediction_rows(
    path: str | Path, data: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Prediction rows, each checked and completed from ``data`` (joined by ``idx``), with
    ``statements`` (parsed from ``prediction`` when absent) and ``id`` = ``idx``."""
    path = Path(path)
    by_idx = {str(r["idx"]): r for r in data or []}
    out, seen = [], set()
    for line, row in iter_jsonl(path):
        check_row(PredictionRow, row, path=path, line=line)
        key = str(row["idx"])
        if data is not None and key not in by_idx:
            raise InputError(f"idx {key!r} not in the data file", path=path, line=line)
        merged = {**by_idx.get(key, {}), **{k: v for k, v in row.items() if v is not None}}
        for name in _NEEDED:
            if merged.get(name) is None:
                raise InputError("missing (and no --data to take it from)", path=path,
                                 line=line, field=name)  # fmt: skip
        _check_dataset(merged["dataset"], path, line)
        if key in seen:
            raise InputError(f"duplicate idx {key!r}", path=path, line=line, field="idx")
        seen.add(key)
        merged["statements"] = _statements(merged, path, line)
        out.append({**merged, "id": key})
    if not out:
        raise InputError("no predictions", path=path)
    return out
