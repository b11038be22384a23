"""Running many records through LLM steps: records, the resumable runner, prompts, parsers."""

from __future__ import annotations

from lmforge._lazy import lazy_exports

_EXPORTS = {
    "Stage": "runner",
    "StageContext": "runner",
    "run_stage": "runner",
    "run_pipeline": "runner",
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

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
