"""LLM trigger detection for ``annotate --triggers llm``: event words and their offsets, checked.

The paper gives its triggers (MAVEN's annotation), so it has no detection prompt; this one is
lmforge's own (``prompts/triggers.j2``). The sentence is shown token by token with each
token's number, and the model answers a JSON object under a schema,
``{"events": [{"word": .., "index": ..}]}``: copying a word and its number is within a small
model's reach, counting characters is not.

Every item is checked against the sentence: ``index`` must be a token of it, that token must be
``word`` (case aside), a word (not punctuation) and not a function word (an article, pronoun,
preposition, modal or auxiliary: :data:`~.wordlists.FUNCTION_WORDS`). A reply that names more
than half of the sentence's words (and more than three) lists the sentence, not its events,
and is rejected whole; small models do that. A reply with any item that fails is asked again
(``pipeline.ask``, the reason fed back to the model). When every attempt fails:

- the items of the last reply that do check out are kept, and the others counted
  (``_meta.rejected``: each with its reason), so one bad index does not cost the sentence;
- a sentence whose last reply has no usable item at all is dropped (``Drop``, counted by reason
  in the run summary) and gets no events: never the heuristic's, silently.

An empty list is a valid answer (a sentence without events).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lmforge.llm.types import GenerateConfig, Message
from lmforge.pipeline.ask import ask_result
from lmforge.pipeline.drops import Drop
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.runner import Stage, StageContext

from .wordlists import FUNCTION_WORDS

__all__ = ["TRIGGER_SCHEMA", "TriggerOptions", "check_triggers", "read_triggers", "trigger_stage"]

TRIGGER_SCHEMA = {
    "type": "object",
    "properties": {
        "events": {
            "type": "array",
            "maxItems": 16,
            "items": {
                "type": "object",
                "properties": {
                    "word": {"type": "string", "maxLength": 40},
                    "index": {"type": "integer", "minimum": 0},
                },
                "required": ["word", "index"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["events"],
    "additionalProperties": False,
}


class TriggerOptions(BaseModel):
    """How the LLM trigger detector asks."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    attempts: int = Field(3, ge=1)
    """Asks per sentence before the reply's unusable items are dropped."""
    generation: GenerateConfig = Field(
        default_factory=lambda: GenerateConfig(max_tokens=160, temperature=0.0)
    )
    """Sampling of the trigger replies (a list of word/index pairs)."""


def read_triggers(text: str, tokens: Sequence[str]) -> tuple[list[int], list[str]]:
    """(token positions that check out, a reason per item that does not); ``ValueError`` when
    the reply holds no ``events`` list at all."""
    start, end = text.find("{"), text.rfind("}")
    try:
        value = json.loads(text[start : end + 1]) if 0 <= start < end else None
    except ValueError:
        value = None
    if not isinstance(value, dict) or not isinstance(value.get("events"), list):
        raise ValueError('no {"events": [...]} object in the reply')
    words = sum(1 for t in tokens if any(c.isalpha() for c in t))
    if len(value["events"]) > max(3, (words + 1) // 2):
        raise ValueError(f"names {len(value['events'])} of the sentence's {words} words: a list "
                         "of the sentence, not of its events")  # fmt: skip
    found: list[int] = []
    problems: list[str] = []
    for item in value["events"]:
        reason = _problem(item, tokens)
        if reason is not None:
            problems.append(reason)
        elif item["index"] not in found:
            found.append(item["index"])
    return sorted(found), problems


def _problem(item: Any, tokens: Sequence[str]) -> str | None:
    if not isinstance(item, dict):
        return f"{item!r} is not a {{word, index}} object"
    word, index = item.get("word"), item.get("index")
    if not isinstance(word, str) or isinstance(index, bool) or not isinstance(index, int):
        return f"{item!r} needs a word (string) and an index (integer)"
    if not 0 <= index < len(tokens):
        return f"index {index} of {word!r} is not a token number (0-{len(tokens) - 1})"
    if tokens[index].lower() != word.strip().lower():
        return f"token {index} is {tokens[index]!r}, not {word!r}"
    if not any(c.isalpha() for c in word):
        return f"{word!r} (token {index}) is not a word"
    if word.strip().lower() in FUNCTION_WORDS:
        return f"{word!r} (token {index}) is a function word, not an event"
    return None


def check_triggers(text: str, tokens: Sequence[str]) -> list[int]:
    """The strict reading: the positions, or ``ValueError`` naming the first bad item."""
    found, problems = read_triggers(text, tokens)
    if problems:
        raise ValueError(problems[0])
    return found


def _feedback(messages: list[Message], reply: str, reason: str) -> list[Message]:
    note = (f"That reply was rejected: {reason}. Each word must be copied exactly from the "
            "token with that number. Reply again with the JSON object only.")  # fmt: skip
    return [*messages, Message(role="assistant", content=reply), Message(role="user", content=note)]


def trigger_stage(opts: TriggerOptions | None = None) -> Stage:
    """A runner stage: sentence row (``id``, ``sent_id``, ``tokens``) -> ``triggers`` (token
    positions), or a ``Drop`` when no reply had a usable item (see the module docstring)."""
    opts = opts or TriggerOptions()
    prompt = load_prompt("lmforge.mavenfact", "triggers")

    async def detect(row: dict[str, Any], ctx: StageContext) -> dict[str, Any] | Drop:
        tokens = row["tokens"]
        numbered = [f"{i}:{t}" for i, t in enumerate(tokens)]
        config = ctx.config.model_copy(update={"json_schema": TRIGGER_SCHEMA})
        result = await ask_result(ctx, prompt.messages(numbered=numbered),
                                  lambda text: check_triggers(text, tokens), config=config,
                                  attempts=opts.attempts, feedback=_feedback)  # fmt: skip
        if result.exception is not None:
            raise result.exception
        out = {"id": row["id"], "sent_id": row["sent_id"]}
        if result.ok:
            return {**out, "triggers": result.value, "_meta": {"raw": result.raw}}
        try:
            kept, rejected = read_triggers(result.raw or "", tokens)
        except ValueError:
            kept, rejected = [], []
        if not kept:
            return Drop("no usable trigger reply", error=result.error, raw=result.raw,
                        attempts=result.attempts)  # fmt: skip
        meta = {"raw": result.raw, "rejected": rejected, "attempts": result.attempts}
        return {**out, "triggers": kept, "_meta": meta}

    params = {"attempts": opts.attempts}
    return Stage("triggers", detect, prompts=[prompt], params=params, config=opts.generation)
