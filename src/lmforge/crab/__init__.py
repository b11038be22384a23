"""CRAB: constraint back-translation, verifiable constraints, IFEval and FollowBench scoring.

The flow a user runs on their own SFT data::

    pairs.jsonl --backtranslate--> items (official stage-6 shape) --compose--> TRL messages
                                                                   --train-sft--> a model
    model answers --ifeval / followbench--> instruction-following scores
"""

from __future__ import annotations

from lmforge._lazy import lazy_exports

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
    "check_instruction": "ifeval",
    "format_report": "ifeval",
    "load_ifeval_inputs": "ifeval",
    "load_responses": "ifeval",
    "score_ifeval": "ifeval",
    "dedupe_constraints": "similarity",
    "rouge_l": "similarity",
    "generate_responses": "respond",
    "FBItem": "followbench",
    "FBReport": "followbench",
    "format_fb_report": "followbench",
    "load_fb_responses": "followbench",
    "load_followbench": "followbench",
    "score_followbench": "followbench",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
