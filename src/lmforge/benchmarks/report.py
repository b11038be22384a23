"""The IFEval and FollowBench headlines of ``lmforge report``: this run's row in CRAB's
columns, CRAB's published rows under it (:mod:`lmforge.benchmarks.references`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lmforge.evaluation.references import Headline, read_scores, run_label
from lmforge.evaluation.report import report_section

from .references import CRAB_SOURCE, followbench_rows, ifeval_rows

__all__ = ["followbench_headline", "ifeval_headline"]

LEVELS = (1, 2, 3, 4, 5)
IFEVAL = {
    "[S]P": "prompt_level_strict",
    "[S]I": "instruction_level_strict",
    "[L]P": "prompt_level_loose",
    "[L]I": "instruction_level_loose",
    "avg": "average",
}


@report_section("ifeval")
def ifeval_headline(run_dir: Path, summary: dict[str, Any]) -> Headline | None:
    """IFEval's four accuracies and their mean (CRAB's "IFEval AVG")."""
    scores = read_scores(run_dir)
    if scores is None:
        return None
    row = {"model": run_label(summary, run_dir), **{k: scores.get(v) for k, v in IFEVAL.items()}}
    return Headline(
        title="IFEval: accuracy (%), strict and loose, prompt and instruction level",
        columns=["model", *IFEVAL],
        rows=[row],
        references=ifeval_rows(),
        source=CRAB_SOURCE,
        text=(
            f"{scores.get('n', 0)} prompts. [S]P / [S]I: strict prompt / instruction level; "
            "[L]P / [L]I: loose (the response with its first or last line or its * marks "
            "removed); avg: the mean of the four, as CRAB reports it."
        ),
    )


@report_section("followbench")
def followbench_headline(run_dir: Path, summary: dict[str, Any]) -> Headline | None:
    """HSR and SSR per level (categories averaged per level), their means and the mean CSL."""
    scores = read_scores(run_dir)
    if scores is None:
        return None
    label = run_label(summary, run_dir)
    rows = [
        {
            "model": label,
            "metric": metric.upper(),
            **{f"L{n}": scores.get(f"{metric}_l{n}") for n in LEVELS},
            "avg": scores.get(f"{metric}_avg"),
            "CSL": scores.get("csl") if metric == "hsr" else None,
        }
        for metric in ("hsr", "ssr")
    ]
    report = scores.get("report") or {}
    cells = report.get("cells") or {}
    rated = [c for c, levels in cells.items() if any(x.get("scored") for x in levels.values())]
    notes = []
    totals = _totals(report)
    if totals.get("unjudged") or totals.get("missing"):
        notes.append(
            f"{totals.get('unjudged', 0)} items unjudged (no --judge) and "
            f"{totals.get('missing', 0)} without a response are left out: not comparable "
            "with a full FollowBench score."
        )
    return Headline(
        title="FollowBench: HSR and SSR (%) per constraint level, CSL",
        columns=["model", "metric", *(f"L{n}" for n in LEVELS), "avg", "CSL"],
        rows=rows,
        references=followbench_rows(),
        source=CRAB_SOURCE + "; CRAB publishes HSR only",
        notes=notes,
        text=(
            f"Categories scored: {', '.join(rated) or 'none'} (averaged per level). HSR: all of "
            "a level's constraints met; SSR: share of constraints met; CSL: levels met in a "
            "row from level 1 (mean over categories, in levels)."
        ),
    )


def _totals(report: dict[str, Any]) -> dict[str, int]:
    """Items scored by rule, by judge, unjudged, missing (the stored report's own count)."""
    from lmforge.benchmarks.followbench.metrics import FBReport

    return FBReport.model_validate(report).totals() if report else {}
