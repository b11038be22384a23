"""Running many records through LLM steps: records, the resumable runner, prompts, parsers,
and ask (ask-and-parse with one re-ask rule and garbage guards)."""

from __future__ import annotations

from lmforge._lazy import lazy_exports

# Eager, as ``lmforge.evaluation.benchmark`` is: the function ``ask`` shares its name with its
# module, and importing the submodule later would rebind ``lmforge.pipeline.ask`` to the module.
from lmforge.pipeline.ask import AskResult as AskResult
from lmforge.pipeline.ask import ReaskRule as ReaskRule
from lmforge.pipeline.ask import ask as ask
from lmforge.pipeline.ask import ask_many as ask_many
from lmforge.pipeline.ask import ask_result as ask_result

_EXPORTS = {
    "Stage": "runner",
    "StageContext": "runner",
    "run_stage": "runner",
    "run_pipeline": "runner",
    "Drop": "drops",
    "Job": "jobs",
    "JobConfig": "jobs",
    "RunSummary": "summary",
    "print_summaries": "summary",
    "RunDir": "rundir",
    "read_jsonl": "records",
    "iter_jsonl": "records",
    "write_jsonl": "records",
    "record_id": "records",
    "sft_messages": "records",
    "prompt_completion": "records",
    "preference": "records",
    "merge_jsonl": "shards",
    "parse_shard": "shards",
    "load_prompt": "prompts",
    "Prompt": "prompts",
    "PromptLibrary": "prompts",
    "extract_json": "parse",
    "parse_rating": "parse",
    "parse_verdict": "parse",
    "ParseFailure": "parse",
    "BatchConfig": "batch",
    "run_batch": "batch",
}

__all__ = sorted([*_EXPORTS, "AskResult", "ReaskRule", "ask", "ask_many", "ask_result"])


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
