"""LecEval: lecture-script scorers calibrated against human ratings.

:mod:`.score` loads the rows, computes the proxies and builds the Spearman table; :mod:`.judge`
is the LLM rubric judge. Names resolve lazily (PEP 562).
"""

from __future__ import annotations

from lmforge._lazy import lazy_exports

_EXPORTS = {
    **dict.fromkeys(
        [
            "PAPER_BASELINES",
            "RUBRICS",
            "LecRow",
            "SpearmanRow",
            "evaluate_leceval",
            "format_leceval",
            "load_leceval",
            "proxy_scores",
            "sample_rows",
            "spearman_table",
        ],
        "score",
    ),
    **dict.fromkeys(
        ["LecJudgement", "judge_scorer", "judge_scripts", "parse_rubric_ratings"], "judge"
    ),
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
