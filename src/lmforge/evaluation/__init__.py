"""Shared evaluation machinery: benchmarks, judges, metrics and run reports.

The report and the benchmark core are imported eagerly; judge and metrics names resolve on
first use (PEP 562), so ``import lmforge.evaluation`` does not pull in numpy. The benchmark
names must be eager: the decorator ``benchmark`` shares its name with its module, and importing
the submodule later would rebind ``lmforge.evaluation.benchmark`` to the module.
"""

from __future__ import annotations

from lmforge._lazy import lazy_exports
from lmforge.evaluation.benchmark import (
    Benchmark,
    benchmark,
    get_benchmark,
    list_benchmarks,
    mean_scores,
    run_benchmark,
)
from lmforge.evaluation.report import (
    Section,
    SectionFn,
    figure_to_data_uri,
    new_figure,
    register_section,
    registered_sections,
    render_report,
    report_section,
)

_LAZY = {
    "JudgeResult": "judge",
    "JudgeStats": "judge",
    "PairwiseResult": "judge",
    "Verdict": "judge",
    "pairwise": "judge",
    "rate": "judge",
    "swap_verdict": "judge",
    "verdict_outcome": "judge",
    "Averages": "metrics",
    "ClassScores": "metrics",
    "ClassificationReport": "metrics",
    "ConfidenceInterval": "metrics",
    "ConfusionMatrix": "metrics",
    "accuracy": "metrics",
    "bootstrap_ci": "metrics",
    "classification_report": "metrics",
    "confusion_matrix": "metrics",
    "macro_f1": "metrics",
    "micro_f1": "metrics",
    "pearson": "metrics",
    "per_class": "metrics",
    "rankdata": "metrics",
    "spearman": "metrics",
}

__all__ = [
    "Benchmark",
    "benchmark",
    "get_benchmark",
    "list_benchmarks",
    "mean_scores",
    "run_benchmark",
    "Section",
    "SectionFn",
    "figure_to_data_uri",
    "new_figure",
    "register_section",
    "registered_sections",
    "render_report",
    "report_section",
    *sorted(_LAZY),
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
