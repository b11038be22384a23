"""MAVEN-Fact as a registered benchmark (``mavenfact``): label every mention, score the table.

``lmforge eval mavenfact --set options.data=test.jsonl`` with ``-m MODEL`` asks the five-shot
LLM classifier (:mod:`.llm_classifier`, JSON replies under a schema unless
``options.official_format=true``); with ``--set options.classifier=DIR|majority|cues`` the
encoder folder or a baseline labels the mentions (no model); with ``--predictions F`` a file of
``id`` + ``label`` rows is scored. ``score`` compares one mention; ``aggregate`` is
:func:`~lmforge.mavenfact.metrics.score_labels` over all of them (macro-F1 headline, per-class
P/R/F1, confusion matrix with the ``invalid`` bucket, micro-F1, accuracy) plus the count of LLM
replies that fell back to Uu.

Data: ``options.data`` (a MAVEN-Fact document file or labelled mention JSONL), default
``$LMFORGE_MAVENFACT_DATA``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from lmforge.errors import InputError
from lmforge.evaluation.benchmark import Benchmark, benchmark
from lmforge.pipeline.runner import StageContext

from .baselines import BASELINES, baseline_label
from .data import load_mentions
from .labels import INVALID, normalise_label
from .llm_classifier import LLMClassifierOptions, classify_stage
from .metrics import format_table, score_labels

__all__ = ["DATA_ENV", "PredictionRow", "mavenfact_benchmark", "mavenfact_scores"]

DATA_ENV = "LMFORGE_MAVENFACT_DATA"


class PredictionRow(BaseModel):
    """A ``--predictions`` row: ``id`` (the mention id) and ``label`` (a bad one is wrong)."""

    model_config = ConfigDict(extra="allow")
    id: str | int


def _records(data: str | Path | None) -> list[dict[str, Any]]:
    path = data or os.environ.get(DATA_ENV)
    if not path:
        raise InputError(f"give --set options.data=FILE (or set {DATA_ENV})", field="data")
    rows = load_mentions(path)
    if any(r.get("label") is None for r in rows):
        raise InputError("every mention needs a gold label", path=path, field="label")
    keep = ("id", "mention_id", "doc_id", "text", "arguments", "causes", "preconditions")
    return [{**{k: r[k] for k in keep if k in r}, "gold": r["label"]} for r in rows]


def _score(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
    label = normalise_label(row.get("label")) or INVALID
    fallback = bool(row.get("fallback"))  # solve's _meta stays in its own file
    return {"correct": label == row["gold"], "label": label, "gold": row["gold"],
            "fallback": fallback}  # fmt: skip


def mavenfact_scores(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The table of scored rows, plus ``fallback_uu`` (LLM replies without a label)."""
    if not rows:
        return {"n": 0}
    gold = [r["score"]["gold"] for r in rows]
    scores = score_labels(gold, [r["score"]["label"] for r in rows])
    return {**scores, "fallback_uu": sum(bool(r["score"].get("fallback")) for r in rows)}


def _lines(scores: dict[str, Any]) -> list[str]:
    if not scores.get("n"):
        return ["mentions: 0"]
    lines = format_table(scores)
    if scores.get("fallback_uu"):
        lines.insert(6, f"fallback_uu: {scores['fallback_uu']}")
    return lines


def _fixed_solver(classifier: str, records: list[dict[str, Any]]) -> Any:
    """A solve for a baseline or an encoder folder; the encoder labels every record in one
    batched pass the first time it is asked (then answers from that)."""
    if classifier in BASELINES:

        async def solve_baseline(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
            return {**record, "label": baseline_label(classifier, record)}

        return solve_baseline
    from .encoder import check_classifier_dir

    check_classifier_dir(classifier)
    labels: dict[str, str] = {}

    async def solve_encoder(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        if not labels:
            from .encoder import load_classifier

            got = load_classifier(classifier).predict([r["text"] for r in records])
            labels.update(zip((r["id"] for r in records), got, strict=True))
        return {**record, "label": labels[record["id"]]}

    return solve_encoder


@benchmark("mavenfact")
def mavenfact_benchmark(
    *,
    data: str | Path | None = None,
    classifier: str | None = None,
    cot: bool = False,
    official_format: bool = False,
    shots: str | Path | None = None,
    max_tokens: int = 16,
) -> Benchmark:
    """MAVEN-Fact (Li et al., 2024): event factuality, macro-F1 over CT+/CT-/PS+/PS-/Uu.

    ``data``: a document or labelled mention file (default ``$LMFORGE_MAVENFACT_DATA``);
    ``classifier``: an encoder folder, ``majority`` or ``cues`` (else ``-m MODEL`` answers
    with the five-shot prompt); ``cot``, ``official_format``, ``shots``, ``max_tokens``: the
    LLM classifier's options.
    """
    records = _records(data)
    opts = LLMClassifierOptions(cot=cot, official_format=official_format, shots=shots)
    opts.generation = opts.generation.model_copy(update={"max_tokens": max_tokens})
    params: dict[str, Any] = {"data": str(data), "classifier": classifier}
    if classifier is None:
        stage = classify_stage(opts)

        async def solve(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
            got = await stage.fn(record, ctx)
            meta = got.pop("_meta", {})
            return {**record, **got, "fallback": meta.get("fallback"), "_meta": meta}

        extra: dict[str, Any] = {"solve_prompts": stage.prompts, "config": stage.config}
        params.update(stage.params)
    else:
        solve = _fixed_solver(classifier, records)
        extra = {"solver": classifier}
    return Benchmark(
        "mavenfact",
        lambda: records,
        solve,
        _score,
        mavenfact_scores,
        params=params,
        prediction_row=PredictionRow,
        lines=_lines,
        **extra,
    )
