"""``lmforge mavenfact predict``: label every mention of a file, with any classifier.

``--classifier`` names what labels: a folder written by ``lmforge mavenfact train`` (the
encoder), ``llm:SPEC`` (the five-shot LLM classifier with any model spec, e.g.
``llm:embedded-tiny``), or a baseline (``majority``, ``cues``). The input is a MAVEN-Fact
document file or mention-level JSONL, checked before any run folder or model exists.

Every run is a :class:`~lmforge.pipeline.jobs.Job`: the LLM path runs as a resumable stage (a
killed run resumes with no mention lost or asked twice); the encoder and the baselines label
the whole file at once, batched. Output rows: ``id``, ``mention_id``, ``doc_id``, ``label``
(and ``gold`` when the input had labels), which ``evaluate`` reads as they are.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath
from lmforge.pipeline.jobs import Job, JobConfig

from .baselines import BASELINES, baseline_label
from .data import load_mentions
from .llm_classifier import LLMClassifierOptions, classify_stage
from .metrics import score_labels

__all__ = ["PredictConfig", "label_mentions", "open_job", "predict", "show_predict"]


class PredictConfig(JobConfig):
    """Label the mentions of a file."""

    uses_model: ClassVar[bool] = False
    cli_hidden: ClassVar[tuple[str, ...]] = ("model",)

    classifier: str
    """A folder from `mavenfact train`, llm:SPEC (e.g. llm:embedded-tiny), majority or cues."""
    input: JsonlPath
    """MAVEN-Fact document file or mention-level JSONL (mention_id or id, text with <e>...</e>)."""
    output: Path | None = None
    """Where the labelled rows go (default: final.jsonl in the run directory)."""
    batch_size: int = Field(32, ge=1)
    """Mentions per encoder forward pass."""
    llm: LLMClassifierOptions = Field(default_factory=LLMClassifierOptions)
    """Options of the LLM classifier (llm:SPEC only)."""


def _out_row(row: dict[str, Any], label: str, meta: dict | None = None) -> dict[str, Any]:
    out = {"id": row["id"], "mention_id": row["mention_id"], "doc_id": row.get("doc_id"),
           "label": label}  # fmt: skip
    if row.get("label") is not None:
        out["gold"] = row["label"]
    if meta:
        out["_meta"] = meta
    return out


def _kind(classifier: str) -> str:
    if classifier.startswith("llm:"):
        if not classifier[4:]:
            raise InputError("llm: needs a model spec (llm:embedded-tiny)", field="classifier")
        return "llm"
    if classifier in BASELINES:
        return "baseline"
    from .encoder import check_classifier_dir

    check_classifier_dir(classifier)
    return "encoder"


def _figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    fallback = sum(1 for r in rows if (r.get("_meta") or {}).get("fallback"))
    figures: dict[str, Any] = {"mentions": len(rows), "fallback_uu": fallback}
    gold = [r for r in rows if r.get("gold")]
    if gold and len(gold) == len(rows):
        scores = score_labels([r["gold"] for r in gold], [r["label"] for r in gold])
        figures.update(macro_f1=round(scores["macro_f1"], 4), accuracy=round(scores["accuracy"], 4))
    return figures


def open_job(what: str, cfg: Any, classifier: str, *, out: Path | None, quiet: bool) -> Job:
    """The Job of a labelling run, with the model built first when ``classifier`` is
    ``llm:SPEC`` (checked: an encoder folder must be one, before the run folder exists)."""
    llm = None
    if _kind(classifier) == "llm":
        from lmforge.llm.registry import get_llm

        llm = get_llm(classifier[4:])
    return Job(what, cfg, out=out, quiet=quiet, llm=llm)


def label_mentions(
    job: Job, classifier: str, rows: list[dict[str, Any]], *, batch_size: int = 32,
    llm: LLMClassifierOptions | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Output rows (``id``, ``mention_id``, ``doc_id``, ``label``, ``gold``) for mention rows."""
    kind = _kind(classifier)
    if kind == "llm":
        asyncio.run(job.run([classify_stage(llm or LLMClassifierOptions())], rows))
        by_id = {r["id"]: r for r in rows}
        return [_out_row(by_id[r["id"]], r["label"], r.get("_meta")) for r in job.rows()]
    if kind == "baseline":
        return [_out_row(r, baseline_label(classifier, r)) for r in rows]
    from .encoder import load_classifier

    labels = load_classifier(classifier).predict([r["text"] for r in rows], batch_size=batch_size)
    return [_out_row(r, lab) for r, lab in zip(rows, labels, strict=True)]


def predict(cfg: PredictConfig, *, out: Path | None = None, quiet: bool = False) -> dict:
    """Label every mention with the classifier; returns mentions, fallback_uu and, when the
    input has gold labels, macro_f1 and accuracy (``evaluate`` gives the full table)."""
    _kind(cfg.classifier)
    rows = load_mentions(cfg.input)
    if cfg.limit is not None:
        rows = rows[: cfg.limit]
    job = open_job("mavenfact-predict", cfg, cfg.classifier, out=out, quiet=quiet)
    labelled = label_mentions(job, cfg.classifier, rows, batch_size=cfg.batch_size, llm=cfg.llm)
    figures = _figures(labelled)
    summary = job.finish(rows=labelled, output=cfg.output, counts=figures)
    return {k: summary[k] for k in ("output", *figures) if k in summary}


def show_predict(result: dict[str, Any]) -> list[str]:
    """``key: value`` lines, and a note when mentions fell back to Uu."""
    lines = [f"{k}: {v}" for k, v in result.items()]
    if result.get("fallback_uu"):
        lines.append(f"note: {result['fallback_uu']} replies had no label and count as Uu "
                     "(_meta.fallback in the output rows)")  # fmt: skip
    return lines
