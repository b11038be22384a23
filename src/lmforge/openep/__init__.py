"""OpenEP: open-ended future event prediction (OpenEPBench) and StkFEP, the paper's
stakeholder-enhanced predictor, with a judge that scores free-text outcomes.

Given a hot-topic question asked on ``date_question``, predict what happens in the next 15
days. Retrieval never sees the future: every search backend applies the question's date
cut-off, and it is checked again where news enters a prompt. See ``lmforge openep --help``,
:func:`predict`, :func:`evaluate` and :func:`corpus`.

Names resolve lazily (PEP 562): ``lmforge --help`` imports this package through its CLI and
must not pay for numpy, scikit-learn or torch.
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports
from lmforge.systems import System

_EXPORTS = export_table(
    """
data: QUESTION_TYPES HotTopic Question load_questions target_time question_lang
periods: PERIODS gold_period period_table
search: LocalSearch NewsHit NewsItem SearchBackend Window guard_hits load_corpus within
http_search: HttpSearch HttpSearchConfig
corpus_build: CorpusConfig build_corpus corpus
scoring: DIMENSIONS ScoringOptions aggregate normalise question_scores time_accuracy
judge: judge_open judge_period
benchmark: PredictionRow make_benchmark openep_benchmark openep_lines
cluster: choose_k cluster_snippets
replies: clean_items prediction_reader stakeholders_reader queries_reader
settings: PredictSettings
predict_run: PredictConfig build_solver make_backend predict prediction_stages
evaluate_run: EvaluateConfig evaluate load_predictions
"""
)

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

SYSTEM = System(
    name="openep",
    package="lmforge.openep",
    help="OpenEP: open-ended event prediction (StkFEP, RAG, direct), date-safe search, a judge.",
    cli="lmforge.openep.cli",
    benchmarks=("lmforge.openep.benchmark",),
    reports=("lmforge.openep.report",),
)
