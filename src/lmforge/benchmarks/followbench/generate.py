"""Answering FollowBench with a model: one plain user turn per instruction, as officially."""

from __future__ import annotations

from typing import Any

from lmforge.benchmarks.followbench.data import FBItem
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig, Message, Request
from lmforge.pipeline.ask import ask_many

__all__ = ["generate_fb_responses"]


async def generate_fb_responses(
    items: list[FBItem],
    llm: LLM,
    config: GenerateConfig | None = None,
    *,
    limit: int | None = None,
    concurrency: int | None = None,
) -> list[dict[str, Any]]:
    """Rows ``{category, example_id, level, instruction, response}`` for levels 1..5.

    ``limit`` keeps the first ``limit`` groups of each category (all five levels of each,
    so CSL stays computable). A model error becomes a row with ``response`` None and the
    error under ``_meta``; scoring then reports that item as missing.
    """
    chosen = [i for i in items if i.level > 0]
    if limit is not None:
        firsts: dict[str, list[int]] = {}
        for item in chosen:
            ids = firsts.setdefault(item.category, [])
            if item.example_id not in ids and len(ids) < limit:
                ids.append(item.example_id)
        chosen = [i for i in chosen if i.example_id in firsts[i.category]]
    config = config or GenerateConfig(max_tokens=1024, temperature=0.0)
    requests = [
        Request(messages=[Message(role="user", content=i.instruction)], config=config)
        for i in chosen
    ]
    # the response is the product, not something to parse: one attempt, no guards
    results = await ask_many(llm, requests, str, concurrency=concurrency, attempts=1, guards=())
    rows = []
    for item, result in zip(chosen, results, strict=True):
        row: dict[str, Any] = {
            "category": item.category,
            "example_id": item.example_id,
            "level": item.level,
            "instruction": item.instruction,
            "response": result.value,
        }
        if not result.ok:
            row["_meta"] = {"error": result.error}
        rows.append(row)
    return rows
