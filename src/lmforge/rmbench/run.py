"""``lmforge rmbench run`` and ``score`` as library calls.

A run is a :class:`~lmforge.pipeline.jobs.Job`: one resumable stage over the samples
(``score-<signature>/records.jsonl``, one row per sample, written as it finishes) followed by
the metric. Rerunning into the same folder skips
the samples already scored; a killed run therefore costs only the records in flight. The run
folder also gets the official per-sample result fields in ``results.jsonl`` (``id``,
``domain``, ``score_chosen``/``score_rejected`` or a judge's ``correct``), ``scores.json``
(the table), ``summary.json`` and, unless asked not to, ``report.html``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from lmforge.errors import InputError, RecordsFailed, StageError
from lmforge.inputs import JsonlPath
from lmforge.pipeline.jobs import Job, JobConfig
from lmforge.pipeline.runner import Stage, StageContext

from .data import (
    SUBDOMAINS,
    Sample,
    default_data,
    iter_rows,
    load_samples,
    looks_truncated,
    subdomain_from_name,
)
from .metric import RMBenchScores, Truncated, compute_scores, format_lines, sample_comparisons
from .scorers import Scorer, ScorerOptions, get_scorer

__all__ = [
    "RMBenchConfig",
    "RMBenchRun",
    "limit_per_domain",
    "load_results",
    "run",
    "run_rmbench",
    "sample_record",
    "score_results",
    "score_sample",
]

#: Fields of ``results.jsonl``: the official result file's plus the domain.
RESULT_FIELDS = ("id", "domain", "score_chosen", "score_rejected", "correct")


class RMBenchConfig(JobConfig):
    """Everything a run depends on; written to ``config.yaml``. The scorer spec names the
    model (``judge:MODEL``, ``dpo:POLICY``), so the shared ``model`` option is not used."""

    uses_model: ClassVar[bool] = False

    scorer: str
    """Scorer spec: length, neg-length, markdown, hf-classifier:PATH, dpo:POLICY[,REF],
    judge:MODEL."""
    data: list[JsonlPath] = Field(default_factory=list)
    """Folders of ``<domain>_filtered.json`` files, or files (JSON array or JSONL); default
    $LMFORGE_RMBENCH_DATA."""
    domains: list[str] | None = None
    """Domains to run (chat, math, code, safety, or a safety subdomain); default all found."""
    limit: int | None = Field(None, ge=1)
    """Only the first N samples of each domain file (smoke tests)."""
    truncated: Truncated = "keep"
    """keep: the official metric; drop: leave out comparisons with a cut-off response."""
    concurrency: int | None = Field(None, ge=1)
    """Records in flight; default from the scorer."""
    report: bool = True
    """Render report.html into the run folder (--no-report skips it)."""
    scoring: ScorerOptions = Field(default_factory=ScorerOptions)


@dataclass
class RMBenchRun:
    """What a run leaves: its folder, the table and the counts."""

    path: Path
    scores: RMBenchScores
    samples: int
    failed: int

    def lines(self) -> list[str]:
        return format_lines(self.scores)


def limit_per_domain(samples: list[Sample], limit: int | None) -> list[Sample]:
    """The first ``limit`` samples of each subdomain (what ``--limit`` means here)."""
    if limit is None:
        return samples
    seen: Counter[str] = Counter()
    kept = []
    for sample in samples:
        seen[sample.subdomain] += 1
        if seen[sample.subdomain] <= limit:
            kept.append(sample)
    return kept


def sample_record(sample: Sample) -> dict[str, Any]:
    """The record a scorer sees: a run-wide ``id``, the domain, the prompt and six texts."""
    return {
        "id": sample.key,
        "sample_id": sample.id,
        "domain": sample.subdomain,
        "prompt": sample.prompt,
        "chosen": list(sample.chosen),
        "rejected": list(sample.rejected),
    }


async def score_sample(scorer: Scorer, record: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """One sample's result fields and truncation flags; the stage of ``run`` and the solve of
    the registered ``rmbench`` benchmark, so both give the metric the same rows."""
    result = await scorer.evaluate(record, ctx if scorer.llm is not None else None)
    scores = [*result.get("score_chosen", ()), *result.get("score_rejected", ())]
    if not all(math.isfinite(v) for v in scores):
        # a NaN compares as a loss everywhere: the sample fails instead of moving the average
        raise StageError(f"scorer gave a non-finite score: {scores}")
    flags = {f"truncated_{k}": v for k, v in _truncation(record).items()}
    return {"sample_id": record["sample_id"], "domain": record["domain"], **result, **flags}


def _stage(scorer: Scorer) -> Stage:
    async def score(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        return await score_sample(scorer, record, ctx)

    return Stage("score", score, version="1", prompts=scorer.prompts, params=scorer.params)


def _truncation(record: dict[str, Any]) -> dict[str, list[bool]]:
    return {side: [looks_truncated(r) for r in record[side]] for side in ("chosen", "rejected")}


async def run_rmbench(
    config: RMBenchConfig,
    *,
    out: str | Path | None = None,
    scorer: Scorer | None = None,
    quiet: bool = False,
    report: bool = True,
) -> RMBenchRun:
    """Score the samples, compute the table, write the run folder; ``out`` resumes a run.

    ``scorer`` overrides ``config.scorer`` with a ready object (tests, in-memory models); it
    stays open for the caller, while a scorer built here from the spec is closed at the end.
    """
    data = config.data or default_data()
    samples = limit_per_domain(load_samples(data, config.domains), config.limit)
    owned = scorer is None
    scorer = scorer or get_scorer(config.scorer, config.scoring)
    job = Job("rmbench", config, out=out, quiet=quiet, llm=scorer.llm)
    records = [sample_record(s) for s in samples]
    try:
        with contextlib.redirect_stdout(sys.stderr):  # progress is not the result
            concurrency = config.concurrency or scorer.concurrency
            await job.run([_stage(scorer)], records, concurrency=concurrency, limit=None)
    finally:
        if owned:
            await scorer.aclose()
    rows = job.rows()
    if not rows:
        failed = sum(s.failed for s in job.summaries)
        if not failed:
            raise InputError(f"no sample could be scored in {job.path}")
        errors = sorted(str(p) for p in job.path.glob("score-*/*.errors.jsonl"))
        raise RecordsFailed(failed, failed, errors=errors, runs=[str(job.path)])
    scores = compute_scores(rows, truncated=config.truncated, ci=True)
    _write_scores(job.path, scores)
    extra = _judge_summary(rows) if any("comparisons" in r for r in rows) else {}
    failed = len(records) - len(rows)
    counts = _summary(config, scorer, scores, samples, failed, extra)
    job.finish(rows=[_result_row(row) for row in rows], name="results.jsonl", counts=counts)
    if report:
        from lmforge.evaluation.report import render_report

        from . import report as _section  # noqa: F401  (registers the rmbench section)

        render_report(job.path)
    return RMBenchRun(job.path, scores, len(rows), failed)


def run(config: RMBenchConfig, *, out: Path | None = None, quiet: bool = False) -> RMBenchRun:
    """Score every sample, then print `DOMAIN: easy= normal= hard= avg=` lines and `overall:`."""
    return asyncio.run(run_rmbench(config, out=out, quiet=quiet, report=config.report))


def _result_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {"id": row["sample_id"], "domain": row["domain"]}
    out.update({k: row[k] for k in RESULT_FIELDS[2:] if k in row})
    return out


def _write_scores(run: Path, scores: RMBenchScores) -> None:
    text = json.dumps(scores.model_dump(mode="json"), indent=2, allow_nan=True)
    (run / "scores.json").write_text(text + "\n", encoding="utf-8")


def _judge_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from .judge import judge_stats

    return {"judge": judge_stats(rows).model_dump()}


def _summary(
    config: RMBenchConfig,
    scorer: Scorer,
    scores: RMBenchScores,
    samples: list[Sample],
    failed: int,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """RM-Bench's figures for ``summary.json`` (beside the job's counts): which domains ran,
    truncation, and the headline numbers; ``failed`` is samples left unscored."""
    per_domain = Counter(s.subdomain for s in samples)
    truncated = Counter(
        s.subdomain for s in samples for r in (*s.chosen, *s.rejected) if looks_truncated(r)
    )
    return {
        "report": ["rmbench"],
        "scorer": scorer.spec,
        "failed": failed,
        "domains_run": list(scores.domains),
        "domains_missing": scores.missing,
        "samples_per_domain": dict(per_domain),
        "truncated_responses": {d: f"{truncated[d]}/{6 * n}" for d, n in per_domain.items()},
        "truncated_mode": config.truncated,
        "scores": {
            "overall": scores.overall,
            "easy": scores.easy,
            "normal": scores.normal,
            "hard": scores.hard,
            **{name: d.avg for name, d in scores.domains.items()},
        },
        **extra,
    }


def load_results(
    path: str | Path, domain: str | None = None, *, truncated: Truncated = "keep"
) -> list[dict[str, Any]]:
    """Per-sample scores from an official result file (a JSON array of samples with
    ``score_chosen``/``score_rejected``) or a JSONL file (``results.jsonl`` of a run).

    A row's domain is its ``domain`` field, else ``domain``, else the file name's prefix (the
    official scripts name result files after the data file: ``chat_filtered_<model>_...``).
    Every row is checked as the metric will read it (three finite scores a side, or a 3x3
    ``correct`` of 0/1; with ``truncated="drop"`` the flags or texts); errors name the line.
    """
    path = Path(path)
    fallback = domain or subdomain_from_name(path)
    rows = []
    for line, row in iter_rows(path):
        if not isinstance(row, dict):
            got = "null" if row is None else type(row).__name__
            raise InputError(f"expected a JSON object, got {got}", path=path, line=line)
        row = {**row, "domain": row.get("domain") or fallback}
        if row["domain"] not in SUBDOMAINS:
            raise InputError(
                f"no domain: add a 'domain' field or pass --domain ({', '.join(SUBDOMAINS)})",
                path=path,
                line=line,
                field="domain",
            )
        if "correct" not in row and not ("score_chosen" in row and "score_rejected" in row):
            missing = "score_rejected" if "score_chosen" in row else "score_chosen"
            raise InputError(
                "missing: needs score_chosen and score_rejected (3 numbers each) or correct",
                path=path,
                line=line,
                field=missing,
            )
        try:
            sample_comparisons(row, truncated, located=True)
        except InputError as exc:
            raise _located(exc, path, line) from None
        rows.append(row)
    if not rows:
        raise InputError("no rows: expected per-sample scores (JSON array or JSONL)", path=path)
    return rows


def _located(exc: InputError, path: Path, line: int) -> InputError:
    """The metric's error for one row, now naming the file and line."""
    message = str(exc).removeprefix(f"field '{exc.field}': " if exc.field else "")
    return InputError(message, path=path, line=line, field=exc.field)


def score_results(
    path: str | Path, *, domain: str | None = None, truncated: Truncated = "keep"
) -> RMBenchScores:
    """The table recomputed from a file of per-sample scores (no model involved)."""
    rows = load_results(path, domain, truncated=truncated)
    try:
        return compute_scores(rows, truncated=truncated)
    except InputError as exc:
        raise InputError(str(exc), path=path) from None
