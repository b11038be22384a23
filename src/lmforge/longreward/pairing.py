"""``lmforge longreward pairs``: one DPO preference pair per query from its scored responses.

The official ``3_get_pairs.py``: group by query; skip a query with fewer than 5 scored
responses; sort by total reward, descending and stable; chosen = the highest (the first in
file order among ties), rejected = the lowest (the last in file order among ties). It has no
margin filter, so two equal scores can make a pair; ``--min-margin`` (default 0, the official
behaviour) skips queries whose best and worst totals are closer than that.

Output rows are TRL conversational preference rows (``id``, ``prompt``, ``chosen``,
``rejected``) whose prompt is the policy input x = long context + query (context, a blank
line, the query); ``_meta`` keeps the two response ids and totals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lmforge.inputs import JsonlPath
from lmforge.pipeline.records import preference, write_jsonl
from lmforge.pipeline.rundir import check_output_file, cleaned

from .rows import ScoredRow, load_scored

__all__ = ["MIN_RESPONSES", "PairsConfig", "build_pairs", "pair_prompt", "pairs"]

MIN_RESPONSES = 5
"""Scored responses a query needs before it makes a pair (official)."""


class PairsConfig(BaseModel):
    """Build preference pairs from scored responses."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    input: JsonlPath
    """Scored rows, as `lmforge longreward score` writes them."""
    output: Path
    """Where the preference rows go (JSONL)."""
    min_responses: int = Field(MIN_RESPONSES, ge=2)
    """Scored responses a query needs (official: 5)."""
    min_margin: float = Field(0.0, ge=0)
    """Skip a query whose chosen and rejected totals differ by less (official: 0, no filter)."""


def pair_prompt(context: str, query: str) -> str:
    """The policy input of a pair: the long context, a blank line, the query."""
    return f"{context}\n\n{query}"


def build_pairs(
    rows: list[ScoredRow], *, min_responses: int = MIN_RESPONSES, min_margin: float = 0.0
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """(preference rows, counts of skipped queries by reason) from rows in file order."""
    groups: dict[Any, list[ScoredRow]] = {}
    for row in rows:
        groups.setdefault(row.id, []).append(row)
    out: list[dict[str, Any]] = []
    skipped = {"too_few_responses": 0, "below_margin": 0}
    for qid, group in groups.items():
        if len(group) < min_responses:
            skipped["too_few_responses"] += 1
            continue
        ranked = sorted(group, key=lambda r: r.total, reverse=True)  # stable
        chosen = ranked[0]
        low = ranked[-1].total
        rejected = [r for r in group if r.total == low][-1]
        if chosen.total - rejected.total < min_margin:
            skipped["below_margin"] += 1
            continue
        row = {"id": qid}
        row.update(
            preference(
                pair_prompt(chosen.context, chosen.query), chosen.response, rejected.response
            )
        )
        row["_meta"] = {
            "chosen_id": chosen.response_id,
            "rejected_id": rejected.response_id,
            "chosen_total": chosen.total,
            "rejected_total": rejected.total,
            "responses": len(group),
        }
        out.append(row)
    return out, skipped


def pairs(cfg: PairsConfig) -> dict[str, Any]:
    """Build the preference pairs (``lmforge longreward pairs``); returns the counts."""
    check_output_file(cfg.output)
    rows = [row for _, row in load_scored(cfg.input)]
    built, skipped = build_pairs(rows, min_responses=cfg.min_responses, min_margin=cfg.min_margin)
    with cleaned(cfg.output):
        write_jsonl(cfg.output, built)
    return {
        "queries": len({r.id for r in rows}),
        "pairs": len(built),
        "skipped_too_few": skipped["too_few_responses"],
        "skipped_margin": skipped["below_margin"],
        "output": str(cfg.output),
    }
