"""OpenEP as a registered benchmark (``openep``): predict each question, then judge it.

``solve`` is the prediction method the options name (``stkfep``, ``rag`` or ``direct``, over
the local corpus built from the data unless ``corpus`` is given); ``score`` judges an open
question on the five dimensions (:mod:`lmforge.openep.judge`) or reads a time question's
period and compares it with the gold period of ``tar_time`` (or the English answer's leading
date); ``aggregate`` is :func:`lmforge.openep.scoring.aggregate`. ``lmforge openep evaluate``
scores a predictions file through the same benchmark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from lmforge.evaluation.benchmark import Benchmark, benchmark
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.runner import StageContext

from .data import Question, load_questions, question_record, target_time
from .judge import JUDGE_CONFIG, judge_open, judge_period
from .periods import gold_period
from .scoring import DIMENSIONS, ScoringOptions, aggregate, question_scores

__all__ = ["PredictionRow", "make_benchmark", "openep_benchmark", "openep_lines", "score_row"]


class PredictionRow(BaseModel):
    """A prediction as the official code writes it: the question's ``id`` and ``predictions``
    (the model's JSON reply as a string, or the object itself)."""

    model_config = ConfigDict(extra="allow")
    id: int | str
    predictions: str | dict[str, Any]


async def score_row(row: dict[str, Any], judge: Any, options: ScoringOptions) -> dict[str, Any]:
    """One question's scores (the ``score`` dict of its scored row)."""
    question = Question.model_validate(row)
    if question.question_type == "time":
        target = target_time(question)
        predicted, source = await judge_period(judge, row)
        gold = gold_period(question.day, target) if target else None
        hit: bool | None = None
        if gold is not None and predicted is not None:
            hit = gold in predicted if options.official_period_match else predicted == gold
        return {
            "gold_period": gold,
            "predicted_period": predicted,
            "period_source": source,
            "hit": hit,
        }
    if judge is None:
        return {**dict.fromkeys((*DIMENSIONS, "overall")), "judge_failed": list(DIMENSIONS)}
    judged, notes = await judge_open(judge, row)
    scores = question_scores(judged, options)
    return {
        **scores,
        "judged": judged,
        "judge_failed": sorted(notes["failed"]),
        "judge_raw": notes["raw"],
    }


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def openep_lines(scores: dict[str, Any]) -> list[str]:
    """``accuracy: 0.NNN`` ... one line per dimension, ``time_accuracy``, ``overall``, then the
    per-type table (time questions show their period accuracy in the overall column)."""
    lines = [f"{name}: {_fmt(scores.get(name))}" for name in DIMENSIONS]
    lines.append(f"time_accuracy: {_fmt(scores.get('time_accuracy'))}")
    lines.append(f"overall: {_fmt(scores.get('overall'))}")
    short = ("acc", "comp", "rel", "focus", "reason")
    lines.append(f"{'type':<18} {'n':>4} " + " ".join(f"{s:>6}" for s in (*short, "score")))
    for group in scores.get("by_type", []):
        if group["type"] == "time":
            cells = ["-"] * 5 + [_fmt(group.get("time_accuracy"))]
        else:
            cells = [_fmt(group.get(d)) for d in (*DIMENSIONS, "overall")]
        lines.append(f"{group['type']:<18} {group['n']:>4} " + " ".join(f"{c:>6}" for c in cells))
    failed = sum(len(r) for r in [scores.get("judge_failed_rows") or []])
    if failed:
        lines.append(f"note: the judge failed on {failed} dimension(s); left out of the means")
    return lines


def make_benchmark(
    questions: list[Question],
    *,
    options: ScoringOptions | None = None,
    solver: Any = None,
    name: str = "openep",
) -> Benchmark:
    """The benchmark over ``questions``; ``solver`` is a prediction stage function (None:
    scoring given predictions only)."""
    options = options or ScoringOptions()
    records = [question_record(q) for q in questions]

    async def solve(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        if solver is None:
            raise ValueError("this openep benchmark scores predictions only (no method given)")
        return await solver(record, ctx)

    async def score(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        judge = ctx if getattr(ctx, "llm", None) is not None else None
        return await score_row(row, judge, options)

    def table(rows: list[dict[str, Any]]) -> dict[str, Any]:
        out = aggregate(rows, options)
        failed = [
            r["score"]["judge_failed"] for r in rows if r.get("score", {}).get("judge_failed")
        ]
        out["judge_failed_rows"] = [f for group in failed for f in group]
        return out

    prompts = [
        load_prompt("lmforge.openep", n)
        for n in ("judge_accuracy", "judge_completeness", "judge_rating", "judge_period")
    ]
    return Benchmark(
        name,
        lambda: records,
        solve,
        score,
        table,
        description="OpenEP: open-ended event prediction judged on five dimensions",
        judge_config=JUDGE_CONFIG,
        score_prompts=prompts,
        params={"scoring": options.model_dump()},
        prediction_row=PredictionRow,
        lines=openep_lines,
    )


@benchmark("openep")
def openep_benchmark(
    data: str | Path,
    *,
    method: str = "stkfep",
    corpus: str | Path | None = None,
    retrieval: str = "bm25",
    official_normalisation: bool = False,
    official_time_count: bool = False,
    confidence: bool = True,
) -> Benchmark:
    """OpenEP (Guan et al. 2024): open-ended future event prediction, judged on 5 dimensions.

    ``data``: OpenEPBench questions (``en_valid_data.jsonl``); ``method``: stkfep, rag or
    direct; ``corpus``: a news JSONL (default: built from ``data``, own topic excluded);
    ``retrieval``: bm25 (default here: no MiniLM index to build), dense or hybrid; the
    ``official_*`` switches and ``confidence`` are those of
    :class:`~lmforge.openep.scoring.ScoringOptions`.
    """
    from .predict_run import build_solver
    from .settings import PredictSettings

    questions = load_questions(data, require_answer=True)
    options = ScoringOptions(
        confidence=confidence,
        official_normalisation=official_normalisation,
        official_time_count=official_time_count,
    )
    settings = PredictSettings(method=method, retrieval=retrieval)  # type: ignore[arg-type]
    solver = build_solver(settings, questions, corpus)
    bench = make_benchmark(questions, options=options, solver=solver)
    bench.params = {**bench.params, "method": method, "corpus": str(corpus), "retrieval": retrieval}
    return bench
