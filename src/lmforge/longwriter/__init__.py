"""LongWriter: AgentWrite long-output data synthesis, LongBench-Write and LongWrite-Ruler.

Names resolve lazily (PEP 562): ``lmforge`` imports this package's CLI at start-up, and the
benchmark machinery behind these names should load only when a command uses it.

Paper: Bai et al., "LongWriter: Unleashing 10,000+ Word Generation from Long Context LLMs"
(ICLR 2025); official code THUDM/LongWriter.
"""

from __future__ import annotations

from lmforge._lazy import lazy_exports
from lmforge.systems import System

_EXPORTS = {
    # AgentWrite
    "AgentWriteOptions": "agentwrite",
    "AgentWriteResult": "agentwrite",
    "DropReason": "agentwrite",
    "agent_write": "agentwrite",
    "write_instruction": "agentwrite",
    "AgentWriteConfig": "agentwrite_run",
    "load_instructions": "agentwrite_run",
    "run_agentwrite": "agentwrite_run",
    "StepLog": "steplog",
    "split_plan": "plan",
    "planned_word_counts": "plan",
    "strip_paragraph_label": "plan",
    # LongBench-Write
    "BUCKETS": "lengthscore",
    "count_words": "lengthscore",
    "length_bucket": "lengthscore",
    "length_score": "lengthscore",
    "DIMENSIONS": "judge",
    "JUDGE_CONFIG": "judge",
    "QualityJudgement": "judge",
    "judge_quality": "judge",
    "parse_judgement": "judge",
    "quality_scores": "judge",
    "rating_to_score": "judge",
    "SOLVE_CONFIG": "longbench_write",
    "LongBenchWriteConfig": "longbench_write",
    "aggregate_scores": "longbench_write",
    "longbench_write_benchmark": "longbench_write",
    "make_benchmark": "longbench_write",
    "run_longbench_write": "longbench_write",
    # LongWrite-Ruler
    "RulerConfig": "ruler",
    "aggregate_ruler": "ruler",
    "longwrite_ruler_benchmark": "ruler",
    "make_ruler": "ruler",
    "run_ruler": "ruler",
    # data and output
    "RULER_LENGTHS": "data",
    "bucket_counts": "data",
    "load_longbench_write": "data",
    "load_predictions": "data",
    "load_ruler": "data",
    "ruler_prompts": "data",
    "type_counts": "data",
    "length_figure": "report",
    "ruler_lines": "report",
    "score_lines": "report",
}

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
