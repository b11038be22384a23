"""FollowBench scoring for CRAB: rule programs, the evolution-path judge, HSR/SSR/CSL.

Paper: Jiang et al., "FollowBench: A Multi-level Fine-grained Constraints Following Benchmark
for Large Language Models" (ACL 2024); official code and data github.com/YJiangcm/FollowBench.
CRAB reports HSR for levels 1..5 and their mean.
"""

from __future__ import annotations

from lmforge.benchmarks.followbench.data import (
    CATEGORIES,
    FBItem,
    FBResponse,
    evolution_path,
    load_fb_responses,
    load_followbench,
)
from lmforge.benchmarks.followbench.generate import generate_fb_responses
from lmforge.benchmarks.followbench.judge import FBJudgement, judge_messages, parse_judgement
from lmforge.benchmarks.followbench.metrics import (
    FailurePolicy,
    FBCell,
    FBOutcome,
    FBReport,
    score_followbench,
)
from lmforge.benchmarks.followbench.report import format_fb_report
from lmforge.benchmarks.followbench.rules import (
    RULE_SOURCES,
    is_rule_checked,
    rule_check,
    template_match,
)

__all__ = [
    "CATEGORIES",
    "RULE_SOURCES",
    "FBCell",
    "FBItem",
    "FBJudgement",
    "FBOutcome",
    "FBReport",
    "FBResponse",
    "FailurePolicy",
    "evolution_path",
    "format_fb_report",
    "generate_fb_responses",
    "is_rule_checked",
    "judge_messages",
    "load_fb_responses",
    "load_followbench",
    "parse_judgement",
    "rule_check",
    "score_followbench",
    "template_match",
]
