"""LongCite: sentence-level citations for long-context QA (LQAC), the CoF data pipeline, and
LongBench-Cite scoring.

A context is cut into sentences numbered ``<C0>``, ``<C1>``, ...; a cited answer is a run of
``<statement>S<cite>[a-b]...</cite></statement>`` blocks. See ``lmforge longcite --help``.

Names resolve lazily (PEP 562): ``lmforge --help`` imports this package through its CLI and
must not pay for nltk, rich or the benchmark machinery.

Paper: Zhang et al., "LongCite: Enabling LLMs to Generate Fine-grained Citations in
Long-context QA" (Findings of ACL 2025); official code THUDM/LongCite.
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports
from lmforge.systems import System

_EXPORTS = export_table(
    """
numbering: NumberedContext number_context unnumber
parse: MAX_SPANS Citation ParsedAnswer Statement parse_answer parse_spans repair_tags
parse: serialize strip_citations walk_statements
render: render_html render_lines render_terminal
commands: SplitCommand bench split
scoring: AVERAGED DATASETS ENTRIES aggregate citation_f1 citation_tokens correctness_ratio
scoring: correctness_score instance_scores need_value read_rating read_verdict
scoring: relevance_value support_value
judges: JudgeOptions judge_citations judge_correctness
data: load_longbench_cite load_prediction_rows
longbench_cite: MAX_STATEMENTS LongBenchCiteConfig bench_rows longbench_cite_benchmark
longbench_cite: make_benchmark run_longbench_cite
answer: AnswerCommand CitedAnswer cite_answer lqac_prompt truncate_middle
report: bench_lines dataset_table
cof: CofConfig CofRow cof_stages run_cof
cof_steps: QUESTION_TYPES cited_answer cited_chunks draw_language draw_question_type
cof_steps: expand_windows filter_reason global_spans parse_chunk_citations
cof_steps: parse_numbered_questions retrieval_k snippet_block window_passage
references: HEADLINE_ROWS SELFCITE_BON
"""
)

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

SYSTEM = System(
    name="longcite",
    package="lmforge.longcite",
    help="LongCite: sentence-level cited answers, CoF citation data, LongBench-Cite scoring.",
    cli="lmforge.longcite.cli",
    benchmarks=("lmforge.longcite.longbench_cite",),
    reports=("lmforge.longcite.report",),
)
