"""LongReward: four-dimension AI feedback for long-context answers, preference pairs, DPO.

A judge model rates every sampled response to a long-context query on helpfulness and
logicality (query and response only), faithfulness (the response's factual statements, each
checked against its top-5 retrieved 128-token context chunks) and completeness (against the
question-relevant information of each 4,096-token chunk, extracted once per query); the
reward is the mean of the four. ``pairs`` turns the scored responses into DPO preference
rows, and ``dpo`` trains on them (the shared :mod:`lmforge.training.dpo`). See
``docs/longreward.md`` and ``lmforge longreward --help``.

Names resolve lazily (PEP 562): ``lmforge --help`` must not pay for the judge's imports.
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports
from lmforge.systems import System

_EXPORTS = export_table(
    """
parse: NO_INFO STATEMENT_OVERLAP SUPPORT_VALUES has_no_info prompt_language read_rating
parse: read_statements read_support
context: EVIDENCE_CHUNK EVIDENCE_TOP_K INFO_CHUNK InfoChunk evidence_chunks info_chunks
context: load_tokenizer retrieve
judge: DIMENSIONS DimensionFailed JudgeOptions Tally chunk_information completeness
judge: faithfulness rate
rows: QueryRow ScoredRow Scores load_queries load_scored
scoring: ScoreConfig score score_response score_rows
pairing: MIN_RESPONSES PairsConfig build_pairs pair_prompt pairs
"""
)

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

SYSTEM = System(
    name="longreward",
    package="lmforge.longreward",
    help="LongReward: four-dimension AI feedback for long-context answers, DPO pairs, DPO.",
    cli="lmforge.longreward.cli",
)
