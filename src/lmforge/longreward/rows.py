"""The row formats of ``lmforge longreward score`` and ``pairs``, checked before any model.

Input of ``score``: one row per query with a ``responses`` list, or one row per response with
``response`` and ``response_id`` (rows of one query share ``id``, ``query`` and ``context``).
A list's responses get the ids ``<id>-0``, ``<id>-1``, ... (the official sampled-response ids).
Output of ``score`` (= input of ``pairs``): one row per response (:class:`ScoredRow`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

from lmforge.errors import InputError
from lmforge.pipeline.records import check_row, iter_jsonl

__all__ = ["QueryRow", "ScoredRow", "Scores", "load_queries", "load_scored"]

Id = StrictStr | StrictInt


class QueryRow(BaseModel):
    """A query, its long context, and the responses to score."""

    model_config = ConfigDict(extra="allow")

    id: Id
    """The query id (shared by all its responses)."""
    context: StrictStr
    query: StrictStr
    responses: list[StrictStr] | None = Field(None, min_length=1)
    response: StrictStr | None = None
    response_id: Id | None = None

    @model_validator(mode="after")
    def _one_form(self) -> QueryRow:
        if (self.responses is None) == (self.response is None):
            raise ValueError("give either responses (a list) or response with response_id")
        if self.response is not None and self.response_id is None:
            raise ValueError("a row with response needs response_id")
        return self


class Scores(BaseModel):
    """The four dimension scores, each 0-10."""

    model_config = ConfigDict(extra="allow")

    helpfulness: StrictFloat | StrictInt
    logicality: StrictFloat | StrictInt
    faithfulness: StrictFloat | StrictInt
    completeness: StrictFloat | StrictInt


class ScoredRow(BaseModel):
    """One scored response (what ``score`` writes and ``pairs`` reads)."""

    model_config = ConfigDict(extra="allow")

    id: Id
    response_id: Id
    query: StrictStr
    context: StrictStr
    response: StrictStr
    scores: Scores
    total: StrictFloat | StrictInt
    """Mean of the four scores (the paper's reward; ``total_sum`` keeps the official sum)."""


def load_queries(path: str | Path) -> list[dict[str, Any]]:
    """One record per query ``{id, query, context, responses: [{response_id, response}]}``,
    in first-seen order; a row that breaks the format is an InputError with file and line."""
    queries: dict[Any, dict[str, Any]] = {}
    for line, raw in iter_jsonl(path):
        row = check_row(QueryRow, raw, path=path, line=line)
        seen = queries.get(row.id)
        if row.responses is not None:
            if seen is not None:
                raise InputError(f"query id {row.id!r} given twice", path=path, line=line)
            items = [(f"{row.id}-{k}", text) for k, text in enumerate(row.responses)]
        else:
            items = [(row.response_id, row.response)]
        if seen is None:
            seen = queries[row.id] = {
                "id": row.id,
                "query": row.query,
                "context": row.context,
                "responses": [],
                "_line": line,
            }
        elif seen["query"] != row.query or seen["context"] != row.context:
            raise InputError(
                f"query id {row.id!r}: query or context differs from line {seen['_line']}",
                path=path,
                line=line,
            )
        known = {r["response_id"] for r in seen["responses"]}
        for rid, text in items:
            if rid in known:
                raise InputError(f"response_id {rid!r} given twice", path=path, line=line)
            known.add(rid)
            seen["responses"].append({"response_id": rid, "response": text})
    for record in queries.values():
        record.pop("_line")
    return list(queries.values())


def load_scored(path: str | Path) -> list[tuple[int, ScoredRow]]:
    """(line, row) of every scored row, checked."""
    return [
        (line, check_row(ScoredRow, raw, path=path, line=line)) for line, raw in iter_jsonl(path)
    ]
