"""RM-Bench: do reward models notice subtle errors, and do they prefer style over substance?

Each sample has three chosen and three rejected responses (concise, detailed plain text,
detailed Markdown) that differ only by a small error; a reward model is scored on all nine
chosen/rejected style pairings. See ``lmforge rmbench --help`` and :func:`run_rmbench`.

Names resolve lazily (PEP 562): ``lmforge --help`` imports this package through its CLI and
must not pay for numpy, torch or transformers.
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports
from lmforge.systems import System

_EXPORTS = export_table(
    """
data: DATA_ENV DOMAINS STYLES SUBDOMAINS Sample load_file load_samples looks_truncated
metric: DomainScores RMBenchScores compute_accuracy compute_scores format_lines
metric: sample_comparisons
scorers: SCORER_HELP Scorer RewardScorer ScorerOptions LengthScorer NegLengthScorer
scorers: MarkdownScorer get_scorer
classifier: ClassifierScorer
dpo: DPOScorer
judge: JudgeScorer VERDICTS
batching: MicroBatcher length_batches
run: RMBenchConfig RMBenchRun load_results run_rmbench score_results
report: style_heatmaps
"""
)

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
