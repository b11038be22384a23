"""CRAB: constraint back-translation, verifiable constraints, IFEval and FollowBench scoring.

The flow a user runs on their own SFT data::

    pairs.jsonl --backtranslate--> items (official stage-6 shape) --compose--> TRL messages
                                                                   --train-sft--> a model
    model answers --ifeval / followbench--> instruction-following scores
"""

from __future__ import annotations

from lmforge._lazy import lazy_exports
from lmforge.systems import System

# IFEval and FollowBench live in the shared lmforge.benchmarks; re-exported here for compatibility
# (a leading "." climbs out of lmforge.crab: "..benchmarks.ifeval" is lmforge.benchmarks.ifeval).
_IFEVAL = ".benchmarks.ifeval"
_FOLLOWBENCH = ".benchmarks.followbench"

_EXPORTS = {
    "BacktranslateConfig": "backtranslate",
    "run_backtranslate": "backtranslate",
    "load_pairs": "pairs",
    "Constraint": "constraints",
    "from_llm": "constraints",
    "python_constraints": "constraints",
    "constraints_from_item": "constraints",
    "compose_file": "compose",
    "compose_training_data": "compose",
    "load_compose_items": "compose",
    "check_instruction": _IFEVAL,
    "format_report": _IFEVAL,
    "load_ifeval_inputs": _IFEVAL,
    "load_responses": _IFEVAL,
    "score_ifeval": _IFEVAL,
    "dedupe_constraints": "similarity",
    "rouge_l": "similarity",
    "generate_responses": "respond",
    "FBItem": _FOLLOWBENCH,
    "FBReport": _FOLLOWBENCH,
    "format_fb_report": _FOLLOWBENCH,
    "load_fb_responses": _FOLLOWBENCH,
    "load_followbench": _FOLLOWBENCH,
    "score_followbench": _FOLLOWBENCH,
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

SYSTEM = System(
    name="crab",
    package="lmforge.crab",
    help="CRAB: constraint back-translation, verifiable constraints, IFEval and FollowBench.",
    cli="lmforge.crab.cli",
)
