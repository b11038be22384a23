"""FollowBench as a registered benchmark (``followbench``): answer, rule-check or judge, reduce.

``score`` decides one item as :func:`score_followbench` does (rule programs where the official
code has them, else the evolution-path judge, else "unjudged") and ``aggregate`` reduces the
outcomes with :func:`report_of`, so the HSR/SSR/CSL figures are those of ``lmforge crab
followbench``. Predictions go through ``read_predictions`` (official rows are keyed by
category/example_id/level or by the instruction, not by id).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lmforge.benchmarks.followbench.data import (
    CATEGORIES,
    FBItem,
    FBResponse,
    Key,
    evolution_path,
    load_fb_responses,
    load_followbench,
)
from lmforge.benchmarks.followbench.judge import judge_one
from lmforge.benchmarks.followbench.metrics import (
    LEVELS,
    FailurePolicy,
    FBOutcome,
    FBReport,
    decide_without_judge,
    judged_outcome,
    report_of,
)
from lmforge.benchmarks.followbench.report import format_fb_report
from lmforge.errors import InputError
from lmforge.evaluation.benchmark import Benchmark, benchmark, prompt_solver
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.runner import StageContext

__all__ = ["DATA_ENV", "followbench_benchmark", "followbench_lines", "followbench_scores"]

DATA_ENV = "LMFORGE_FOLLOWBENCH_DATA"
"""Environment variable naming the default FollowBench folder."""


def record_id(key: Key) -> str:
    """``category-example_id-level``: the ids ``crab followbench`` gives its answers."""
    return f"{key[0]}-{key[1]}-{key[2]}"


def _categories(categories: str | Sequence[str] | None) -> tuple[str, ...]:
    if categories is None:
        return CATEGORIES
    if isinstance(categories, str):
        categories = [c.strip() for c in categories.split(",") if c.strip()]
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        raise InputError(f"unknown FollowBench categories {unknown} (known: {CATEGORIES})")
    return tuple(categories)


def _items(data: str | Path | None, categories: tuple[str, ...]) -> list[FBItem]:
    found = data or os.environ.get(DATA_ENV)
    if not found:
        raise InputError(f"give options.data=FOLDER (FollowBench JSON files) or {DATA_ENV}")
    return load_followbench(found, categories)


def _record(item: FBItem) -> dict[str, Any]:
    return {
        "id": record_id(item.key),
        "category": item.category,
        "example_id": item.example_id,
        "level": item.level,
        "instruction": item.instruction,
    }


def followbench_scores(rows: list[dict[str, Any]], failures: FailurePolicy) -> dict[str, Any]:
    """CRAB's row (HSR L1..L5, mean, level-weighted), the same for SSR, the mean CSL, and the
    whole report (cells, CSL per category, outcomes without the judges' raw answers)."""
    report = report_of([FBOutcome(**row["score"]) for row in rows], failures)
    csl = [v for v in report.csl.values() if v is not None]
    out: dict[str, Any] = {}
    for metric in ("hsr", "ssr"):
        row = report.level_row(metric)  # type: ignore[arg-type]
        out.update({f"{metric}_l{level}": row[level] for level in LEVELS})
        out[f"{metric}_avg"] = report.average(metric)  # type: ignore[arg-type]
        out[f"{metric}_wavg"] = report.weighted(None, metric)  # type: ignore[arg-type]
    out["csl"] = sum(csl) / len(csl) if csl else None
    out["report"] = report.model_dump(mode="json", exclude={"outcomes": {"__all__": {"raw"}}})
    return out


def followbench_lines(scores: dict[str, Any]) -> list[str]:
    """What ``lmforge crab followbench`` prints, from the stored report."""
    return format_fb_report(FBReport.model_validate(scores["report"]))


@benchmark("followbench")
def followbench_benchmark(
    data: str | Path | None = None,
    *,
    categories: str | Sequence[str] | None = None,
    failures: FailurePolicy = "zero",
    official_rules: bool = False,
    max_tokens: int = 1024,
    judge_max_tokens: int = 1024,
) -> Benchmark:
    """FollowBench (Jiang et al., ACL 2024): HSR/SSR/CSL over five constraint levels.

    ``data``: folder of ``<category>_constraints.json`` (default ``$LMFORGE_FOLLOWBENCH_DATA``);
    ``categories``: a subset (list or comma text); ``failures``: unusable judge answers count
    as "zero", are "exclude"d, or are -1 ("official"); ``official_rules``: the official rule
    checkers' quirks. Items without a rule checker need ``--judge``.
    """
    items = _items(data, _categories(categories))
    by_id = {record_id(i.key): i for i in items if i.level > 0}
    records = [_record(i) for i in by_id.values()]
    judge_config = GenerateConfig(max_tokens=judge_max_tokens, temperature=0.0)

    async def score(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        item = by_id[row["id"]]
        text = row.get("response")
        response = None if text is None else FBResponse(item.key, text)
        judge = ctx if ctx.llm is not None else None
        decided = decide_without_judge(item, response, judge, official_rules)
        if decided is None:
            path = evolution_path(items, item)
            verdict = await judge_one(ctx, item.category, path, text, item.level, judge_config)
            decided = judged_outcome(item, verdict)
        return decided.model_dump()

    def read_predictions(path: Path) -> list[dict[str, Any]]:
        """Rows keyed by category/example_id/level or by the instruction -> ``{id, response}``;
        an unanswered item of an answered category gets ``response`` None, so it is counted
        "missing" as ``crab followbench`` counts it (other categories are left out)."""
        responses = load_fb_responses(path, items)
        answered = {key[0] for key in responses}
        return [
            {"id": rid, "response": responses[i.key].response if i.key in responses else None}
            for rid, i in by_id.items()
            if i.category in answered
        ]

    return Benchmark(
        "followbench",
        lambda: records,
        prompt_solver("instruction"),
        score,
        lambda rows: followbench_scores(rows, failures),
        config=GenerateConfig(max_tokens=max_tokens, temperature=0.0),
        judge_config=judge_config,
        score_prompts=[load_prompt("lmforge.benchmarks.followbench", "followbench_judge")],
        params={"official_rules": official_rules},
        read_predictions=read_predictions,
        lines=followbench_lines,
    )
