"""LecEval as a registered benchmark (``leceval``): rate each slide script, then Spearman.

What is evaluated is a *scorer* of lecture scripts: ``solve`` rates one script (the cheap
proxies, which need no model, or the rubric judge, which is the model given to the run),
``score`` keeps those ratings, and ``aggregate`` is :func:`spearman_table` against the
annotators' means, the table ``lmforge classroom leceval`` prints. The system command's
``--limit`` (rows evenly spaced over all courses) is the ``sample`` option here; the runner's
``limit`` takes the first rows.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from lmforge.classroom.leceval.judge import judge_scripts
from lmforge.classroom.leceval.score import (
    LecRow,
    SpearmanRow,
    format_leceval,
    load_leceval,
    proxy_scores,
    sample_rows,
    spearman_table,
)
from lmforge.errors import InputError
from lmforge.evaluation.benchmark import Benchmark, benchmark
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.runner import StageContext

__all__ = ["DATA_ENV", "leceval_benchmark", "leceval_lines", "leceval_scores"]

DATA_ENV = "LMFORGE_LECEVAL_DATA"
"""Environment variable naming the default LecEval folder (``*_metadata.jsonl``)."""
PROXIES = "leceval-proxies"
"""The solver spec of the proxy scorers (they need no model)."""


def _rows(data: str | Path | None, sample: int | None) -> dict[str, LecRow]:
    found = data or os.environ.get(DATA_ENV)
    if not found:
        raise InputError(f"give options.data=FOLDER (LecEval *_metadata.jsonl) or {DATA_ENV}")
    rows = sample_rows(load_leceval(found), sample)
    by_id = {row.id: row for row in rows}
    if len(by_id) != len(rows):
        raise InputError("LecEval rows with the same id cannot be told apart", path=found)
    return by_id


def leceval_scores(rows: list[dict[str, Any]], by_id: dict[str, LecRow]) -> dict[str, Any]:
    """Per scorer: Spearman rho per rubric, the paper's overall, rho of the means, n, unscored;
    and ``<scorer>.overall`` at the top for a one-line read."""
    lec = [by_id[row["id"]] for row in rows]
    names = dict.fromkeys(name for row in rows for name in row["score"])
    table = spearman_table(lec, {n: [row["score"].get(n) for row in rows] for n in names})
    out: dict[str, Any] = {f"{t.name}.overall": t.overall for t in table}
    out["n"] = len(lec)
    out["table"] = [asdict(t) for t in table]
    return out


def leceval_lines(scores: dict[str, Any]) -> list[str]:
    """The Spearman table as ``lmforge classroom leceval`` prints it, paper rows included."""
    return format_leceval([SpearmanRow(**t) for t in scores["table"]])


def _clean(value: Any) -> Any:
    """Proxies may be NaN-free floats or None; keep JSON plain."""
    return None if isinstance(value, float) and math.isnan(value) else value


@benchmark("leceval")
def leceval_benchmark(
    data: str | Path | None = None,
    *,
    scorer: Literal["proxies", "judge"] = "proxies",
    sample: int | None = None,
    judge_max_tokens: int = 64,
    retries: int = 0,
) -> Benchmark:
    """LecEval (Lim et al., 2025): Spearman of script scorers vs human ratings, four rubrics.

    ``data``: folder of ``*_metadata.jsonl`` (default ``$LMFORGE_LECEVAL_DATA``); ``scorer``:
    "proxies" (length, sentences, engagement cues, slide overlap; no model) or "judge" (the
    run's model rates each script); ``sample``: N rows evenly spaced over the courses;
    ``judge_max_tokens``, ``retries``: the judge's answer budget and re-asks.
    """
    if scorer not in ("proxies", "judge"):
        raise InputError(f"scorer must be 'proxies' or 'judge', got {scorer!r}")
    if sample is not None and sample < 1:
        raise InputError(f"must be at least 1, got {sample}", field="sample")
    if retries < 0:
        raise InputError(f"must be at least 0, got {retries}", field="retries")
    by_id = _rows(data, sample)
    records = [
        {"id": r.id, "course": r.course, "transcript": r.transcript, "human": r.human}
        for r in by_id.values()
    ]
    config = GenerateConfig(max_tokens=judge_max_tokens, temperature=0.0)

    async def solve(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        row = by_id[record["id"]]
        if scorer == "proxies":
            ratings = {name: _clean(v[0]) for name, v in proxy_scores([row]).items()}
            return {**record, "ratings": ratings}
        (judged,) = await judge_scripts([row], ctx, config, retries=retries)
        name = f"judge {ctx.spec}"
        return {**record, "ratings": {name: judged.ratings}, "raw": judged.raw,
                "reasons": judged.reasons}  # fmt: skip

    return Benchmark(
        "leceval",
        lambda: records,
        solve,
        lambda row, ctx: dict(row["ratings"]),
        lambda rows: leceval_scores(rows, by_id),
        config=config,
        solve_prompts=[load_prompt("lmforge.classroom", "leceval_judge")]
        if scorer == "judge"
        else [],
        params={"scorer": scorer, "retries": retries},
        solver=PROXIES if scorer == "proxies" else None,
        lines=leceval_lines,
    )
