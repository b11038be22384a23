"""AgentWrite, LongBench-Write and the ruler through real embedded models (no scripted doubles)."""

from __future__ import annotations

import pytest

from lmforge.llm.registry import get_llm
from lmforge.llm.types import GenerateConfig
from lmforge.longwriter import (
    AgentWriteConfig,
    AgentWriteOptions,
    RulerConfig,
    run_agentwrite,
    run_ruler,
)
from lmforge.pipeline.records import read_jsonl
from lmforge.pipeline.rundir import RunDir

DROPS = {"empty_plan", "too_many_steps", "empty_paragraph", "too_short"}


def check_run(run: RunDir, summary: dict) -> dict:
    """Whatever a small model writes, the run must be complete and consistent."""
    assert summary["failed"] == 0 and summary["done"] + sum(summary["dropped"].values()) == 1
    kept = read_jsonl(run / "agentwrite.jsonl", allow_empty=True)
    dropped_path = run / "agentwrite.dropped.jsonl"
    dropped = read_jsonl(dropped_path) if dropped_path.exists() else []
    assert len(kept) + len(dropped) == 1, (kept, dropped)
    row = (kept or dropped)[0]
    meta = row["_meta"]
    assert meta["steps"], meta["plan"]
    logged = read_jsonl(run / "paragraphs.jsonl")
    assert logged[0]["step"] == "plan"
    if kept:
        assert "dropped" not in meta and meta["words"] > 0
        assert len(logged) == 1 + len(meta["steps"])
        assert row["messages"][1]["content"].strip()
        assert read_jsonl(run / "final.jsonl") == [{"messages": row["messages"]}]
    else:
        assert row["reason"] in DROPS
    return row


async def test_agentwrite_runs_on_the_tiny_model_and_resumes_for_free(tmp_path):
    cfg = AgentWriteConfig(
        instruction="Write a 100-word note thanking a neighbour for watering the plants.",
        length=100,
        options=AgentWriteOptions(plan_max_tokens=64),
        generation=GenerateConfig(max_tokens=48, temperature=1.0),
    )
    llm = get_llm("embedded-tiny", cache=False)
    run = RunDir(tmp_path)
    summary = await run_agentwrite(cfg, llm, run, quiet=True)
    check_run(run, summary)
    assert summary["completion_tokens"] > 0
    again = await run_agentwrite(cfg, llm, run, quiet=True)
    assert again["llm_calls"] == 0 and again["skipped"] == 1


async def test_ruler_on_the_tiny_model(tmp_path):
    cfg = RulerConfig(lengths=[100], limit=2, generation=GenerateConfig(max_tokens=32))
    scores = await run_ruler(
        cfg, get_llm("embedded-tiny", cache=False), RunDir(tmp_path), quiet=True
    )
    assert scores["n"] == 2 and 0 < scores["max_output_length"] <= 32


@pytest.mark.slow
async def test_agentwrite_writes_about_100_words_with_the_default_model(tmp_path):
    cfg = AgentWriteConfig(
        instruction="Write a 100-word note thanking a neighbour for watering the plants.",
        length=100,
        options=AgentWriteOptions(plan_max_tokens=160, tokens_per_planned_word=2.0),
        generation=GenerateConfig(max_tokens=200, temperature=1.0),
    )
    run = RunDir(tmp_path)
    summary = await run_agentwrite(cfg, get_llm("embedded", cache=False), run, quiet=True)
    check_run(run, summary)


@pytest.mark.slow
async def test_agentwrite_end_to_end_on_a_1000_word_instruction(tmp_path):
    """The issue's bar: the default model plans and writes a 1,000-word piece end to end."""
    cfg = AgentWriteConfig(
        instruction="Write a 1000-word article on the history of the printing press.",
        length=1000,
        options=AgentWriteOptions(plan_max_tokens=512, tokens_per_planned_word=2.0),
        generation=GenerateConfig(max_tokens=1024, temperature=1.0),
    )
    run = RunDir(tmp_path)
    summary = await run_agentwrite(cfg, get_llm("embedded", cache=False), run, quiet=True)
    row = check_run(run, summary)
    assert len(row["_meta"]["steps"]) >= 2
    assert row["_meta"]["words"] >= 200
