"""IFEval as a registered benchmark (``ifeval``): answer each prompt, check it, reduce.

The same figures as ``lmforge crab ifeval``: ``score`` runs :func:`score_prompt` on one prompt
(strict and loose, every instruction) and ``aggregate`` reduces with :func:`report_of`, the
reduction :func:`score_ifeval` uses. Official response files are ``{prompt, response}`` rows
keyed by the prompt text, not by id; the benchmark's ``read_predictions`` maps them to the
records' ids (``key``), so the runner's join by id stays as it is.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lmforge.benchmarks.ifeval.io import IFEvalInput, load_ifeval_inputs, load_responses
from lmforge.benchmarks.ifeval.score import (
    IFEvalReport,
    PromptResult,
    TypeAccuracy,
    format_report,
    report_of,
    score_prompt,
)
from lmforge.errors import InputError
from lmforge.evaluation.benchmark import Benchmark, benchmark, prompt_solver
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.runner import StageContext

__all__ = ["DATA_ENV", "ifeval_benchmark", "ifeval_lines", "ifeval_scores"]

DATA_ENV = "LMFORGE_IFEVAL_DATA"
"""Environment variable naming the default IFEval ``input_data.jsonl``."""
HEADLINE = (
    "prompt_level_strict",
    "instruction_level_strict",
    "prompt_level_loose",
    "instruction_level_loose",
)


def _inputs(data: str | Path | None) -> dict[str, IFEvalInput]:
    """Inputs by record id (the row's ``key``); a repeated key could not be joined to."""
    found = data or os.environ.get(DATA_ENV)
    if not found:
        raise InputError(f"give options.data=PATH (IFEval input_data.jsonl) or {DATA_ENV}")
    by_id: dict[str, IFEvalInput] = {}
    for item in load_ifeval_inputs(found):
        rid = str(item.key)
        if rid in by_id:
            raise InputError(f"duplicate key {item.key!r}", path=found, field="key")
        by_id[rid] = item
    return by_id


def ifeval_scores(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The four percentages, CRAB's average and the per-type tables of scored rows."""
    results = [
        PromptResult(
            key=row["key"],
            prompt=row["prompt"],
            response=row["response"],
            instruction_id_list=row["instruction_id_list"],
            strict=row["score"]["strict"],
            loose=row["score"]["loose"],
        )
        for row in rows
    ]
    report = report_of(results)
    return {
        **{name: getattr(report, name) for name in HEADLINE},
        "average": report.average,
        "n": len(results),
        "by_instruction": [asdict(t) for t in report.by_instruction],
        "by_category": [asdict(t) for t in report.by_category],
    }


def ifeval_lines(scores: dict[str, Any]) -> list[str]:
    """What ``lmforge crab ifeval`` prints: the four ``name: NN.NN`` lines, then the tables."""
    report = IFEvalReport(
        **{name: scores[name] for name in HEADLINE},
        by_instruction=[TypeAccuracy(**t) for t in scores["by_instruction"]],
        by_category=[TypeAccuracy(**t) for t in scores["by_category"]],
    )
    return format_report(report)


@benchmark("ifeval")
def ifeval_benchmark(
    data: str | Path | None = None, *, official: bool = False, max_tokens: int = 1024
) -> Benchmark:
    """IFEval (Zhou et al., 2023): 25 verifiable instructions, strict and loose accuracy.

    ``data``: ``input_data.jsonl`` (default ``$LMFORGE_IFEVAL_DATA``); ``official``: keep the
    official checker bugs; ``max_tokens``: answer budget (greedy, as ``crab ifeval``).
    """
    inputs = _inputs(data)
    records = [
        {
            "id": rid,
            "key": item.key,
            "prompt": item.prompt,
            "instruction_id_list": item.instruction_id_list,
        }
        for rid, item in inputs.items()
    ]

    def score(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        result = score_prompt(inputs[row["id"]], row["response"], official=official)
        return {
            "strict": result.strict,
            "loose": result.loose,
            "follow_all_strict": all(result.strict),
            "follow_all_loose": all(result.loose),
        }

    def read_predictions(path: Path) -> list[dict[str, Any]]:
        """Official ``{prompt, response}`` rows -> ``{id, response}`` (a later row wins)."""
        responses = load_responses(path)
        return [
            {"id": rid, "response": responses[item.prompt]}
            for rid, item in inputs.items()
            if item.prompt in responses
        ]

    return Benchmark(
        "ifeval",
        lambda: records,
        prompt_solver("prompt"),
        score,
        ifeval_scores,
        config=GenerateConfig(max_tokens=max_tokens, temperature=0.0),
        params={"official": official},
        read_predictions=read_predictions,
        lines=ifeval_lines,
    )
