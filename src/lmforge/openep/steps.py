"""One asked step of a prediction: prompt, schema, reader, and the accounting of failures.

A step whose replies are all rejected returns None and is counted in the record's
``openep_failed`` (step -> reason); the stage then goes on with less evidence (a missing
set of stakeholders means fewer queries, not invented ones). Only the final prediction is
required: without it the record is a ``Drop`` (see :mod:`lmforge.openep.stkfep`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from lmforge.llm.base import LLM
from lmforge.pipeline.ask import ask_result
from lmforge.pipeline.guards import Guard, default_guards, empty
from lmforge.pipeline.prompts import Prompt, load_prompt

from .replies import SCHEMAS
from .settings import PredictSettings

__all__ = ["COPYING", "PROMPT_NAMES", "Step", "background", "day_of", "prompt"]

COPYING: tuple[Guard, ...] = (empty,)
"""Guards of a step that asks the model to copy text (snippet extraction): the echo guard
would reject exactly the verbatim passages the step asks for."""

T = TypeVar("T")
PROMPT_NAMES = (
    "expand",
    "relevance",
    "stakeholders",
    "diversity",
    "similar_queries",
    "similar_rate",
    "similar_followup",
    "snippets",
    "cluster_summary",
    "predict",
)


def prompt(name: str) -> Prompt:
    return load_prompt("lmforge.openep", name)


def day_of(record: dict[str, Any]) -> date:
    return date.fromisoformat(record["date_question"])


def background(record: dict[str, Any]) -> str:
    """The topic's original background (official ``flag_background`` = 1, the default),
    else the generated one, else the topic line."""
    topic = record.get("hot_topic") or {}
    return (
        topic.get("ori_background") or topic.get("generated_background") or topic.get("topic", "")
    ).strip()


class Step:
    """Asks one prompt of one record under the run's settings, counting what failed."""

    def __init__(self, llm: LLM, settings: PredictSettings, record: dict[str, Any]) -> None:
        self.llm = llm
        self.settings = settings
        self.failed: dict[str, str] = dict(record.get("openep_failed") or {})
        self.calls = 0

    async def ask(
        self,
        step: str,
        name: str,
        reader: Callable[[str], T],
        *,
        schema: str | None = None,
        max_tokens: int | None = None,
        guards: Sequence[Guard] = default_guards,
        **inputs: Any,
    ) -> T | None:
        update: dict[str, Any] = {}
        free_text = self.settings.official_format and schema in ("queries", "stakeholders")
        if schema is not None and not free_text:
            update["json_schema"] = SCHEMAS[schema]
        if max_tokens is not None:
            update["max_tokens"] = max_tokens
        config = self.settings.generation.model_copy(update=update)
        result = await ask_result(
            self.llm,
            prompt(name).messages(**inputs),
            reader,
            config=config,
            attempts=self.settings.attempts,
            guards=guards,
        )
        self.calls += result.attempts
        if result.exception is not None and not isinstance(result.exception, ValueError):
            raise result.exception  # a model error: the record becomes an error row
        if not result.ok:
            self.failed[step] = result.error or "rejected"
            return None
        return result.value
