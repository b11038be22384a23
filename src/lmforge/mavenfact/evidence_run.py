"""``lmforge mavenfact evidence``: tag the cue words of non-factual mentions and score the spans.

Reads a MAVEN-Fact document file (mention rows carry no tokens), takes the evidence subset
(:func:`~lmforge.mavenfact.evidence_tags.evidence_subset`), tags each sentence with ``--tagger
cues``, a trained tagger folder (``mavenfact train-evidence``, batched) or ``llm:SPEC`` (a
resumable Job stage) and prints span-level precision, recall and F1. The trained and the LLM
taggers are given each mention's gold label, as the official ``trainSW`` evaluation is, or with
``--labels`` the labels a classifier predicted (the official pipeline variant,
``load_from_file``): a mention labelled wrongly is then tagged for the wrong label.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath
from lmforge.pipeline.jobs import Job, JobConfig

from .evidence_model import check_tagger_dir, load_tagger
from .evidence_tags import EvidenceOptions, bio_tags, cue_positions, evidence_stage, span_scores
from .evidence_training import evidence_rows
from .labels import normalise_label
from .scoring import read_predictions

__all__ = ["EvidenceConfig", "evidence"]


class EvidenceConfig(JobConfig):
    """Tag supporting (cue) words and score them against the gold evidence."""

    uses_model: ClassVar[bool] = False
    cli_hidden: ClassVar[tuple[str, ...]] = ("model",)

    input: JsonlPath
    """A MAVEN-Fact document file with evidence_word / evidence_offset."""
    tagger: str = "cues"
    """cues (the cue lexicon before the trigger), a folder from `mavenfact train-evidence`,
    or llm:SPEC."""
    output: Path | None = None
    """Where the tagged rows go (default: final.jsonl in the run directory)."""
    labels: JsonlPath | None = None
    """Predicted labels to tag with instead of the gold ones (`mavenfact predict` output: id,
    label): the official pipeline variant."""
    batch_size: int = Field(32, ge=1)
    """Sentences per forward pass of a trained tagger."""
    llm: EvidenceOptions = Field(default_factory=EvidenceOptions)
    """Options of the LLM tagger."""


def _kind(tagger: str) -> str:
    if tagger == "cues":
        return "cues"
    if tagger.startswith("llm:"):
        if not tagger[4:]:
            raise InputError("llm: needs a model spec (llm:embedded-tiny)", field="tagger")
        return "llm"
    check_tagger_dir(tagger)
    return "trained"


def _static_tags(kind: str, tagger: str, rows: list[dict], batch_size: int) -> dict[str, dict]:
    """Tags of the cue rule or of a trained tagger, by mention id."""
    if kind == "cues":
        tags = [bio_tags(len(r["tokens"]), cue_positions(r["tokens"], r["offset"][0]))
                for r in rows]  # fmt: skip
    else:
        tags = load_tagger(tagger).tag(rows, batch_size=batch_size)
    return {r["id"]: {"id": r["id"], "tags": t} for r, t in zip(rows, tags, strict=True)}


def _with_labels(rows: list[dict], path: Path) -> list[dict]:
    """The rows with ``label`` from the predictions file (the gold one kept as ``gold_label``);
    a mention without a predicted label, or with an unknown one, is refused."""
    predicted = read_predictions(path)
    out = []
    for row in rows:
        if row["id"] not in predicted:
            raise InputError(f"no predicted label for mention {row['id']!r}", path=path)
        label = normalise_label(predicted[row["id"]])
        if label is None:
            raise InputError(f"mention {row['id']!r}: unknown label {predicted[row['id']]!r} "
                             "(expected CT+ CT- PS+ PS- Uu)", path=path, field="label")  # fmt: skip
        out.append({**row, "label": label, "gold_label": row["label"]})
    return out


def evidence(cfg: EvidenceConfig, *, out: Path | None = None, quiet: bool = False) -> dict:
    """Tag the evidence subset and print span-level precision, recall and F1."""
    kind = _kind(cfg.tagger)
    rows = evidence_rows(cfg.input)[: cfg.limit]
    if cfg.labels is not None:
        rows = _with_labels(rows, cfg.labels)
    llm = None
    if kind == "llm":
        from lmforge.llm.registry import get_llm

        llm = get_llm(cfg.tagger[4:])
    job = Job("mavenfact-evidence", cfg, out=out, quiet=quiet, llm=llm)
    if llm is not None:
        asyncio.run(job.run([evidence_stage(cfg.llm)], rows))
        tagged = {r["id"]: r for r in job.rows()}
    else:
        tagged = _static_tags(kind, cfg.tagger, rows, cfg.batch_size)
    done = [r for r in rows if r["id"] in tagged]
    scores = span_scores([r["gold_tags"] for r in done], [tagged[r["id"]]["tags"] for r in done])
    keep = ("gold_tags", "label", "gold_label")
    out_rows = [{**tagged[r["id"]], **{k: r[k] for k in keep if k in r}} for r in done]
    fallback = sum(1 for r in out_rows if (r.get("_meta") or {}).get("fallback"))
    figures = {"mentions": len(done), "span_precision": round(scores["precision"], 4),
               "span_recall": round(scores["recall"], 4), "span_f1": round(scores["f1"], 4),
               "fallback": fallback}  # fmt: skip
    job.finish(rows=out_rows, output=cfg.output, counts=figures)
    return figures
