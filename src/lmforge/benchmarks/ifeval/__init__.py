"""IFEval-compatible instruction checkers and scorer (google-research `instruction_following_eval`).

All 25 instruction ids of the official registry, strict and loose scoring at prompt and
instruction level, and a per-type table. Names resolve lazily: nltk and langdetect load only when
a checker that needs them runs.

Typical use (what `lmforge crab ifeval` does)::

    inputs = load_ifeval_inputs("input_data.jsonl")
    report = score_ifeval(inputs, load_responses("responses.jsonl"))
    print("\\n".join(format_report(report)))
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports

_EXPORTS = export_table(
    """
io: IFEvalInput load_ifeval_inputs load_responses
registry: INSTRUCTIONS check_instruction
score: IFEvalReport PromptResult TypeAccuracy format_report loose_variants report_of
score: score_files score_ifeval score_prompt
"""
)

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
