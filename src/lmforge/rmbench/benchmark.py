"""RM-Bench as a registered benchmark (``rmbench``): the reward model is the solver.

There is no evaluated LLM here: ``solve`` is the scorer that the ``scorer=`` option names
(``length``, ``hf-classifier:PATH``, ``dpo:POLICY[,REF]``, ``judge:MODEL``), scoring a sample's
three chosen and three rejected responses, exactly as ``lmforge rmbench run`` does
(:func:`~lmforge.rmbench.run.score_sample`). ``score`` reads one sample's 3x3 outcomes, and
``aggregate`` is :func:`~lmforge.rmbench.metric.compute_scores` over the solved rows in data
order, so ``scores.json`` and the printed lines are those of ``rmbench run``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lmforge.evaluation.benchmark import Benchmark, benchmark
from lmforge.pipeline.runner import StageContext

from .data import default_data, load_samples
from .metric import RMBenchScores, Truncated, compute_scores, format_lines, sample_comparisons
from .run import limit_per_domain, sample_record, score_sample
from .scorers import ScorerOptions, get_scorer

__all__ = ["rmbench_benchmark", "rmbench_lines", "rmbench_scores"]


def _paths(data: str | Path | Sequence[str | Path] | None) -> list[Path]:
    if data is None:
        return default_data()
    if isinstance(data, str | Path):
        return [Path(data)]
    return [Path(p) for p in data]


def _domains(domains: str | Sequence[str] | None) -> list[str] | None:
    if isinstance(domains, str):
        return [d.strip() for d in domains.split(",") if d.strip()]
    return list(domains) if domains else None


def rmbench_scores(rows: list[dict[str, Any]], truncated: Truncated = "keep") -> dict[str, Any]:
    """The RM-Bench table (per domain easy/normal/hard/avg with the bootstrap interval, the
    overall row, the domains not run), as ``scores.json`` of ``rmbench run`` holds it."""
    return compute_scores(rows, truncated=truncated, ci=True).model_dump(mode="json")


def rmbench_lines(scores: dict[str, Any]) -> list[str]:
    """``DOMAIN: easy= normal= hard= avg=`` lines and ``overall:``, then what was not run."""
    table = RMBenchScores.model_validate(scores)
    lines = format_lines(table)
    if table.missing:
        lines.append(
            f"note: not run: {', '.join(table.missing)}; overall averages the domains above only"
        )
    return lines


def _outcomes(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
    """One sample's 3x3 outcomes (1 correct, 0 wrong) and its share correct. ``truncated``
    is applied by the aggregate from the row's flags, so changing it rescores nothing."""
    cells = [[int(v) for v in line] for line in sample_comparisons(row).tolist()]
    return {"correct": cells, "accuracy": sum(map(sum, cells)) / 9}


@benchmark("rmbench")
def rmbench_benchmark(
    scorer: str,
    *,
    data: str | Path | Sequence[str | Path] | None = None,
    domains: str | Sequence[str] | None = None,
    per_domain: int | None = None,
    truncated: Truncated = "keep",
    scoring: dict[str, Any] | None = None,
) -> Benchmark:
    """RM-Bench (Liu et al., ICLR 2025): reward models against subtle errors and style bias.

    ``scorer``: the spec (``lmforge rmbench scorers``); ``data``: folders or files of
    ``*_filtered.json`` (default ``$LMFORGE_RMBENCH_DATA``); ``domains``: chat, math, code,
    safety or a safety subdomain; ``per_domain``: first N samples of each; ``truncated``:
    "keep" (official) or "drop" cut-off responses' pairs; ``scoring``: model scorer settings.
    """
    samples = limit_per_domain(load_samples(_paths(data), _domains(domains)), per_domain)
    records = [sample_record(s) for s in samples]
    built = get_scorer(scorer, ScorerOptions.model_validate(scoring or {}))

    async def solve(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        return {"id": record["id"], **await score_sample(built, record, ctx)}

    async def close() -> None:
        await built.aclose()

    return Benchmark(
        "rmbench",
        lambda: records,
        solve,
        _outcomes,
        lambda rows: rmbench_scores(rows, truncated),
        solve_prompts=built.prompts,
        params=built.params,
        solver=built.spec,
        solver_llm=built.llm,
        lines=rmbench_lines,
        close=close,
    )
