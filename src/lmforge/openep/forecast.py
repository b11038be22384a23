"""The prediction passes (official ``event_prediction.py``) and the two baselines.

StkFEP, open questions: (a) background + relevant perspectives, (b) one forecast per
perspective, combined, (c) background + similar events; then the ensemble sees all of the
evidence and the drafts. Time questions: the relevant, similar and ensemble passes, each a
probability over the four periods (days 0-4, 5-9, 10-14 after the question date, other) that
sums to 1. A draft pass that fails is left out and counted; a record whose final pass fails
is a ``Drop`` ("no usable prediction"), never a made-up answer.

Baselines: ``direct`` (one pass, background only) and ``rag`` (one pass over the question's
top retrieved news, no stakeholders, no clustering).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from lmforge.pipeline.drops import Drop
from lmforge.pipeline.guards import echoes, empty
from lmforge.pipeline.runner import Stage, StageContext

from .evidence import articles_text, prompt_articles, search_all
from .periods import period_table
from .replies import prediction_reader
from .search import SearchBackend, Window
from .settings import PredictSettings
from .steps import Step, background, day_of, prompt

__all__ = ["baseline_stage", "forecast_stage", "output_row"]

OUTPUT_FIELDS = ("id", "question", "date_question", "question_type")


def output_row(record: dict[str, Any], method: str) -> dict[str, Any]:
    """The official prediction row (``predictions`` is the JSON text), plus the method and
    what failed on the way."""
    out = {k: record[k] for k in OUTPUT_FIELDS if k in record}
    out["predictions"] = json.dumps(record["prediction"], ensure_ascii=False)
    out["method"] = method
    out["openep_failed"] = record.get("openep_failed", {})
    return out


def _material(inputs: dict[str, Any]) -> list[str]:
    """What the prompt hands the model to ground its forecast on: quoting it is not an echo."""
    texts = [inputs.get("background") or ""] + list(inputs.get("evidence") or [])
    texts += [d["text"] for d in inputs.get("drafts") or []]
    return [t for t in texts if t]


async def _pass(step: Step, record: dict[str, Any], angle: str, **inputs: Any) -> Any:
    time = record["question_type"] == "time"
    periods = period_table(day_of(record)) if time else None
    return await step.ask(
        f"predict_{angle}",
        "predict",
        prediction_reader(time),
        schema="time" if time else "open",
        guards=(empty, echoes(quoted=_material(inputs))),
        question=record["question"],
        date=record["date_question"],
        angle=angle,
        periods=periods,
        **inputs,
    )


def _draft_text(draft: dict[str, Any]) -> str:
    if "period_1" in draft:
        probs = ", ".join(
            f"{k}={draft[k]:.2f}" for k in ("period_1", "period_2", "period_3", "period_4")
        )
        return f"{probs}; {draft['analysis']}"
    return "; ".join(draft["answer"])


def _finish(record: dict[str, Any], step: Step, final: Any, drafts: list) -> Any:
    calls = int(record.get("openep_calls", 0)) + step.calls
    if final is None:
        return Drop("no usable prediction", failed=step.failed, calls=calls)
    return {
        **record,
        "drafts": drafts,
        "prediction": final,
        "openep_failed": step.failed,
        "openep_calls": calls,
    }


def forecast_stage(s: PredictSettings) -> Stage:
    """StkFEP's last stage: the drafts and the ensemble."""

    async def run(record: dict[str, Any], ctx: StageContext) -> Any:
        step = Step(ctx, s, record)
        bg = background(record)
        relevant = record.get("nodes_relevant", [])
        similar = record.get("similar_summaries", []) + record.get("nodes_similar", [])
        drafts: list[dict[str, Any]] = []
        passes = [("relevant", {"background": bg, "evidence": relevant})]
        if record["question_type"] != "time" and relevant:
            passes.append(("perspectives", {"evidence": relevant}))
        if similar:
            passes.append(("similar", {"background": bg, "evidence": similar}))
        for angle, inputs in passes:
            got = await _pass(step, record, angle, **inputs)
            if got is not None:
                drafts.append({"angle": angle, **got})
        evidence = relevant + similar
        shown = [{"angle": d["angle"], "text": _draft_text(d)} for d in drafts]
        final = await _pass(
            step, record, "ensemble", background=bg, evidence=evidence, drafts=shown
        )
        return _finish(record, step, final, drafts)

    params = s.model_dump(mode="json", exclude={"generation"})
    return Stage("predict", run, "1", [prompt("predict")], params, s.generation)


def baseline_stage(s: PredictSettings, backend: SearchBackend | None) -> Stage:
    """``direct`` (no retrieval) or ``rag`` (the question's top ``rag_k`` news, window
    [D - window_days, D], own topic excluded) as one stage."""

    async def run(record: dict[str, Any], ctx: StageContext) -> Any:
        step = Step(ctx, s, record)
        inputs: dict[str, Any] = {"background": background(record)}
        if s.method == "rag" and backend is not None:
            day = day_of(record)
            topic = record.get("hot_topic") or {}
            own = str(topic.get("topic_id") or topic.get("topic"))
            window = Window(until=day, since=day - timedelta(days=s.window_days), exclude_topic=own)
            counts = dict(record.get("openep_counts") or {})
            found = prompt_articles(
                await search_all(backend, [(record["question"], window, s.rag_k)]), day, counts
            )
            text = articles_text(found, s.relevant_tokens)
            inputs["evidence"] = [text] if text else None
            record = {**record, "rag_news": found, "openep_counts": counts}
        final = await _pass(step, record, "direct", **inputs)
        return _finish(record, step, final, [])

    params = s.model_dump(mode="json", exclude={"generation"})
    return Stage(s.method, run, "1", [prompt("predict")], params, s.generation)
