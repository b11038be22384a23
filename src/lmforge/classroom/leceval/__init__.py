"""LecEval: lecture-script scorers calibrated against human ratings.

:mod:`.score` loads the rows, computes the proxies and builds the Spearman table; :mod:`.judge`
is the LLM rubric judge. Names resolve lazily (PEP 562).
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports

_EXPORTS = export_table(
    """
score: PAPER_BASELINES RUBRICS LecRow SpearmanRow evaluate_leceval format_leceval load_leceval
score: proxy_scores sample_rows spearman_table
judge: LecJudgement judge_scorer judge_scripts parse_rubric_ratings
"""
)

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
