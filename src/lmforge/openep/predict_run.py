"""``lmforge openep predict``: StkFEP (or a baseline) over OpenEPBench questions.

Questions are checked before anything else; the news corpus (``--corpus``, else built from
the questions' own outcomes by :func:`~lmforge.openep.corpus_build.build_corpus`, every question
kept from its own topic) is indexed once; the stages run under a :class:`Job`, so a killed
run resumes where it stopped. The output rows are the official prediction format
(``id, question, date_question, question_type, predictions``) plus ``method`` and the steps
that failed; records whose final prediction never parsed are dropped and counted.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath
from lmforge.llm.base import LLM
from lmforge.pipeline.drops import Drop
from lmforge.pipeline.jobs import Job, JobConfig
from lmforge.pipeline.runner import Stage, StageContext

from .data import Question, load_questions, question_record
from .http_search import HttpSearchConfig
from .search import NewsItem, SearchBackend, load_corpus
from .settings import Method, PredictSettings

__all__ = ["PredictConfig", "build_solver", "make_backend", "predict", "prediction_stages"]


class PredictConfig(JobConfig):
    """Predict the outcome of OpenEPBench questions."""

    input: JsonlPath
    """OpenEPBench questions (id, question, question_type, date_question, hot_topic)."""
    output: Path | None = None
    """Where the prediction rows go (default: final.jsonl in the run folder)."""
    method: Method = "stkfep"
    """stkfep (stakeholder-enhanced, the paper), rag (retrieval only) or direct (no retrieval)."""
    corpus: JsonlPath | None = None
    """Dated news JSONL (date, title, text, url, lang) for the local search; default: built
    from the input's own outcomes (`lmforge openep corpus`), each question kept from its topic."""
    search: Literal["local", "http"] = "local"
    """local: the news corpus; http: the web API of --set http.base_url=... (off by default)."""
    http: HttpSearchConfig = Field(default_factory=HttpSearchConfig)
    """The web search API (base URL, key, field names) used with --search http."""
    settings: PredictSettings = Field(default_factory=PredictSettings)
    """Limits, windows and budgets (``--set settings.similar_gap_days=...``)."""


def make_backend(
    settings: PredictSettings,
    items: list[NewsItem] | None,
    *,
    search: str = "local",
    http: HttpSearchConfig | None = None,
) -> SearchBackend | None:
    """The search backend a method needs (None for ``direct``)."""
    if settings.method == "direct":
        return None
    if search == "http":
        from .http_search import HttpSearch

        return HttpSearch(http or HttpSearchConfig())
    from .search import LocalSearch

    return LocalSearch(items or [], mode=settings.retrieval)


def prediction_stages(settings: PredictSettings, backend: SearchBackend | None) -> list[Stage]:
    """StkFEP's six stages, or the baseline's one."""
    from .forecast import baseline_stage
    from .stkfep import stkfep_stages

    if settings.method == "stkfep":
        if backend is None:
            raise ValueError("stkfep needs a search backend")
        return stkfep_stages(settings, backend)
    return [baseline_stage(settings, backend)]


def _corpus_items(questions: list[Question], corpus: str | Path | None) -> list[NewsItem]:
    from .corpus_build import build_corpus

    return load_corpus(corpus) if corpus is not None else build_corpus(questions)


def build_solver(settings: PredictSettings, questions: list[Question], corpus: Any) -> Any:
    """One record through every stage in turn: the benchmark's ``solve`` (a stage that
    returns a ``Drop`` ends the record there)."""
    from .forecast import output_row

    backend = (
        None
        if settings.method == "direct"
        else make_backend(settings, _corpus_items(questions, corpus))
    )
    stages = prediction_stages(settings, backend)

    async def solve(record: dict[str, Any], ctx: StageContext) -> Any:
        for stage in stages:
            record = await stage.fn(record, ctx)
            if isinstance(record, Drop):
                return record
        return {**record, **output_row(record, settings.method)}

    return solve


def predict(
    cfg: PredictConfig, *, out: Path | None = None, quiet: bool = False, llm: LLM | None = None
) -> dict:
    """Predict every question; returns the counts (rows, dropped, failed steps). ``llm``: a
    ready model instead of ``cfg.model`` (Python callers, tests)."""
    from .forecast import output_row

    questions = load_questions(cfg.input)  # before any run folder or model
    settings = cfg.settings.model_copy(update={"method": cfg.method})
    if cfg.search == "http" and not cfg.http.base_url and cfg.method != "direct":
        raise InputError("--search http needs --set http.base_url=URL (off by default)")
    items = None
    if cfg.method != "direct" and cfg.search == "local":
        items = _corpus_items(questions, cfg.corpus)
    job = Job("openep-predict", cfg, out=out, quiet=quiet, llm=llm)
    backend = make_backend(settings, items, search=cfg.search, http=cfg.http)
    records = [question_record(q) for q in questions]
    summaries = asyncio.run(job.run(prediction_stages(settings, backend), records))
    rows = [output_row(r, cfg.method) for r in job.rows()]
    failed_steps: dict[str, int] = {}
    for row in rows:
        for step in row["openep_failed"]:
            failed_steps[step] = failed_steps.get(step, 0) + 1
    summary = job.finish(rows=rows, output=cfg.output, counts={"failed_steps": failed_steps})
    dropped = sum(s.dropped for s in summaries)
    return {
        "predicted": summary.get("rows", 0),
        "dropped": dropped,
        "failed_steps": ", ".join(f"{k}={v}" for k, v in sorted(failed_steps.items())) or "none",
        "output": summary.get("output"),
    }
