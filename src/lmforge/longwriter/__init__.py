"""LongWriter: AgentWrite long-output data synthesis, LongBench-Write and LongWrite-Ruler.

Names resolve lazily (PEP 562): ``lmforge`` imports this package's CLI at start-up, and the
benchmark machinery behind these names should load only when a command uses it.

Paper: Bai et al., "LongWriter: Unleashing 10,000+ Word Generation from Long Context LLMs"
(ICLR 2025); official code THUDM/LongWriter.
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports
from lmforge.systems import System

_EXPORTS = export_table(
    """
agentwrite: AgentWriteOptions AgentWriteResult DropReason agent_write write_instruction
agentwrite_run: AgentWriteConfig load_instructions run_agentwrite
steplog: StepLog
plan: split_plan planned_word_counts strip_paragraph_label
lengthscore: BUCKETS count_words length_bucket length_score
judge: DIMENSIONS JUDGE_CONFIG QualityJudgement judge_quality parse_judgement quality_scores
judge: rating_to_score
longbench_write: SOLVE_CONFIG LongBenchWriteConfig aggregate_scores longbench_write_benchmark
longbench_write: longbench_rows make_benchmark run_longbench_write
ruler: RulerConfig aggregate_ruler longwrite_ruler_benchmark make_ruler ruler_rows run_ruler
data: RULER_LENGTHS bucket_counts load_longbench_write load_predictions load_ruler
data: ruler_prompts type_counts
report: length_figure ruler_lines score_lines
"""
)

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

SYSTEM = System(
    name="longwriter",
    package="lmforge.longwriter",
    help="LongWriter: AgentWrite long-output data, LongBench-Write scoring, LongWrite-Ruler.",
    cli="lmforge.longwriter.cli",
    benchmarks=("lmforge.longwriter.longbench_write", "lmforge.longwriter.ruler"),
    reports=("lmforge.longwriter.report",),
)
