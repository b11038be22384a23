"""Per-call checkpoints of AgentWrite: a killed run resumes at the next paragraph.

The runner resumes by record, but one AgentWrite record is a plan plus dozens of paragraph
calls, minutes each on a local model. Every finished call is appended (flushed) to
``paragraphs.jsonl`` in the run directory, keyed like the call cache (model spec, messages,
generation settings); a rerun over the same run directory answers those calls from the log.
This is the official ``write_cache.jsonl`` idea, and unlike the SQLite call cache it works with
``LMFORGE_CACHE=0`` and with any backend, scripted ones included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lmforge.llm.cache_key import cache_key
from lmforge.llm.types import GenerateConfig, Usage, as_messages
from lmforge.pipeline.records import JsonlAppender, iter_jsonl

__all__ = ["StepLog"]


class StepLog:
    """Finished model calls of a run, loaded once and appended as they finish."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._texts: dict[str, str] = {}
        if self.path.exists():
            rows = iter_jsonl(self.path, allow_empty=True, tolerate_torn_tail=True)
            self._texts = {row["key"]: row["text"] for _, row in rows if "key" in row}
        self._out: JsonlAppender | None = None

    @staticmethod
    def key(spec: str, messages: list[dict[str, str]], config: GenerateConfig) -> str:
        return cache_key(spec, as_messages(messages), config)

    def get(self, key: str) -> str | None:
        return self._texts.get(key)

    def put(self, key: str, *, rid: str, step: str, text: str, usage: Usage) -> None:
        """Record one finished call; the line is flushed before this returns."""
        if self._out is None:
            self._out = JsonlAppender(self.path)
        row: dict[str, Any] = {
            "id": f"{rid}/{step}",
            "record": rid,
            "step": step,
            "key": key,
            "text": text,
            "_meta": {"stage": "agentwrite-step", "usage": usage.model_dump()},
        }
        self._out.write(row)
        self._texts[key] = text

    def __len__(self) -> int:
        return len(self._texts)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def __enter__(self) -> StepLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
