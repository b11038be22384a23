"""``lmforge mavenfact evidence``: tag the cue words of non-factual mentions and score the spans.

Reads a MAVEN-Fact document file (mention rows carry no tokens), takes the evidence subset
(:func:`~lmforge.mavenfact.evidence.evidence_subset`), tags each sentence with ``--tagger cues``
or ``llm:SPEC`` (a resumable Job stage) and prints span-level precision, recall and F1.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath
from lmforge.pipeline.jobs import Job, JobConfig

from .data import document_mentions, load_documents
from .evidence_tags import (
    EvidenceOptions,
    bio_tags,
    cue_positions,
    evidence_stage,
    evidence_subset,
    span_scores,
)

__all__ = ["EvidenceConfig", "evidence"]


class EvidenceConfig(JobConfig):
    """Tag supporting (cue) words and score them against the gold evidence."""

    uses_model: ClassVar[bool] = False
    cli_hidden: ClassVar[tuple[str, ...]] = ("model",)

    input: JsonlPath
    """A MAVEN-Fact document file with evidence_word / evidence_offset."""
    tagger: str = "cues"
    """cues (the cue lexicon before the trigger) or llm:SPEC."""
    output: Path | None = None
    """Where the tagged rows go (default: final.jsonl in the run directory)."""
    llm: EvidenceOptions = Field(default_factory=EvidenceOptions)
    """Options of the LLM tagger."""


def _rows(path: Path) -> list[dict[str, Any]]:
    rows = evidence_subset(document_mentions(load_documents(path)))
    if not rows:
        raise InputError("no CT-/PS+/PS- mention with evidence in its own sentence "
                         "(MEANTIME has no evidence annotation)", path=path)  # fmt: skip
    return rows


def evidence(cfg: EvidenceConfig, *, out: Path | None = None, quiet: bool = False) -> dict:
    """Tag the evidence subset and print span-level precision, recall and F1."""
    if cfg.tagger != "cues" and not (cfg.tagger.startswith("llm:") and cfg.tagger[4:]):
        raise InputError("expected cues or llm:SPEC", field="tagger")
    rows = _rows(cfg.input)[: cfg.limit]
    llm = None
    if cfg.tagger.startswith("llm:"):
        from lmforge.llm.registry import get_llm

        llm = get_llm(cfg.tagger[4:])
    job = Job("mavenfact-evidence", cfg, out=out, quiet=quiet, llm=llm)
    if llm is not None:
        asyncio.run(job.run([evidence_stage(cfg.llm)], rows))
        tagged = {r["id"]: r for r in job.rows()}
    else:
        tagged = {r["id"]: {"id": r["id"], "tags": bio_tags(len(r["tokens"]),
                  cue_positions(r["tokens"], r["offset"][0]))} for r in rows}  # fmt: skip
    done = [r for r in rows if r["id"] in tagged]
    scores = span_scores([r["gold_tags"] for r in done], [tagged[r["id"]]["tags"] for r in done])
    out_rows = [{**tagged[r["id"]], "gold_tags": r["gold_tags"], "label": r["label"]}
                for r in done]  # fmt: skip
    fallback = sum(1 for r in out_rows if (r.get("_meta") or {}).get("fallback"))
    figures = {"mentions": len(done), "span_precision": round(scores["precision"], 4),
               "span_recall": round(scores["recall"], 4), "span_f1": round(scores["f1"], 4),
               "fallback": fallback}  # fmt: skip
    job.finish(rows=out_rows, output=cfg.output, counts=figures)
    return figures
