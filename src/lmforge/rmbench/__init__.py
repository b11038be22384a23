"""RM-Bench: do reward models notice subtle errors, and do they prefer style over substance?

Each sample has three chosen and three rejected responses (concise, detailed plain text,
detailed Markdown) that differ only by a small error; a reward model is scored on all nine
chosen/rejected style pairings. See ``lmforge rmbench --help`` and :func:`run_rmbench`.

Names resolve lazily (PEP 562): ``lmforge --help`` imports this package through its CLI and
must not pay for numpy, torch or transformers.
"""

from __future__ import annotations

from lmforge._lazy import lazy_exports
from lmforge.systems import System

_EXPORTS = {
    "DATA_ENV": "data",
    "DOMAINS": "data",
    "STYLES": "data",
    "SUBDOMAINS": "data",
    "Sample": "data",
    "load_file": "data",
    "load_samples": "data",
    "looks_truncated": "data",
    "DomainScores": "metric",
    "RMBenchScores": "metric",
    "compute_accuracy": "metric",
    "compute_scores": "metric",
    "format_lines": "metric",
    "sample_comparisons": "metric",
    "SCORER_HELP": "scorers",
    "Scorer": "scorers",
    "RewardScorer": "scorers",
    "ScorerOptions": "scorers",
    "LengthScorer": "scorers",
    "NegLengthScorer": "scorers",
    "MarkdownScorer": "scorers",
    "get_scorer": "scorers",
    "ClassifierScorer": "classifier",
    "DPOScorer": "dpo",
    "JudgeScorer": "judge",
    "VERDICTS": "judge",
    "MicroBatcher": "batching",
    "length_batches": "batching",
    "RMBenchConfig": "run",
    "RMBenchRun": "run",
    "load_results": "run",
    "run_rmbench": "run",
    "score_results": "run",
    "style_heatmaps": "report",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

SYSTEM = System(
    name="rmbench",
    package="lmforge.rmbench",
    help="RM-Bench: reward models against subtle errors and style bias (chat, math, code, safety).",
    cli="lmforge.rmbench.cli",
    benchmarks=("lmforge.rmbench.benchmark",),
    reports=("lmforge.rmbench.report",),
)
