"""The LLM classifier: five shots, one mention per call, a label read from the reply.

The prompt (``prompts/classify.j2``, paraphrased from the official ``llm.py``) defines the task,
lists the five labels, optionally adds the three annotation rules (``cot``: the official
``--add_cot``), then the five "TEXT / LABEL" shots, one per label. By default the shots are
this package's own (``shots.json``); ``shots=`` takes the official ``shots_for_efd.json``.

Replies: by default the model answers a JSON object under a schema (``{"label": one of the
five}``, a short ``reason`` first with ``cot``), which the embedded backends decode under
constraint, so even a 135M model returns a label. ``official_format=True`` asks the paper's
free text ("LABEL: ") instead and reads the first of the five labels after "LABEL:" (else
anywhere in the reply). Either way the reply goes through ``pipeline.ask`` (guards, re-asks);
when every attempt fails the mention gets ``Uu`` (GenEFD's rule: any invalid output is Uu),
with ``_meta.fallback`` holding the reason and the raw reply kept, and the run counts them
(``fallback_uu``), so a model that never answers shows as such rather than as a Uu-predictor.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lmforge.errors import InputError
from lmforge.inputs import read_json
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.ask import ask_result
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.runner import Stage, StageContext

from .labels import LABELS, normalise_label

__all__ = ["LLMClassifierOptions", "classify_stage", "label_schema", "load_shots", "parse_label"]

FALLBACK = "Uu"
_LABEL = re.compile(r"(CT\s*[+\-−–]|PS\s*[+\-−–]|\bUu\b)", re.IGNORECASE)


class LLMClassifierOptions(BaseModel):
    """How the LLM classifier asks."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    cot: bool = False
    """Add the three annotation rules and ask for a short reason first (official --add_cot)."""
    official_format: bool = False
    """Ask the paper's free-text "LABEL: X" reply instead of a JSON object under a schema."""
    shots: Path | None = None
    """A JSON list of {text, label} shots (e.g. the official shots_for_efd.json); default:
    lmforge's own five, one per label."""
    context: bool = False
    """Add the mention's arguments and cause/precondition sentences when the data has them."""
    attempts: int = Field(3, ge=1)
    """Asks per mention before falling back to Uu."""
    generation: GenerateConfig = Field(
        default_factory=lambda: GenerateConfig(max_tokens=16, temperature=0.0)
    )
    """Official: temperature 0, at most 16 new tokens (raise max_tokens with cot)."""


def load_shots(path: str | Path | None = None) -> list[dict[str, str]]:
    """The five-shot examples: a JSON list of {text, label} (each text marks its event)."""
    if path is None:
        data = json.loads(files("lmforge.mavenfact").joinpath("shots.json").read_text("utf-8"))
    else:
        data = read_json(path)
    if not isinstance(data, list) or not data:
        raise InputError("expected a JSON list of {text, label} shots", path=path)
    for i, shot in enumerate(data):
        ok = isinstance(shot, dict) and isinstance(shot.get("text"), str)
        if not ok or normalise_label(shot.get("label")) is None:
            raise InputError("a shot needs text and one of the five labels", path=path,
                             field=f"{i}")  # fmt: skip
    return [{"text": s["text"], "label": normalise_label(s["label"])} for s in data]


def label_schema(cot: bool) -> dict[str, Any]:
    """The reply's JSON schema: the label as an enum (a reason first with ``cot``)."""
    props: dict[str, Any] = {"label": {"type": "string", "enum": list(LABELS)}}
    if cot:
        props = {"reason": {"type": "string", "maxLength": 200}, **props}
    return {"type": "object", "properties": props, "required": list(props),
            "additionalProperties": False}  # fmt: skip


def parse_label(text: str, *, json_reply: bool = True) -> str:
    """The label of a reply; ``ValueError`` when it has none (the caller re-asks, then falls
    back to Uu). A JSON reply may still come as free text from a backend without schema
    support, so free text is tried when the JSON is unreadable."""
    if json_reply:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            try:
                value = json.loads(text[start : end + 1])
            except ValueError:
                value = None
            if isinstance(value, dict):
                label = normalise_label(value.get("label"))
                if label is not None:
                    return label
    upper = text.upper()
    tail = text[upper.rfind("LABEL:") + 6 :] if "LABEL:" in upper else text
    found = _LABEL.search(tail) or _LABEL.search(text)
    if found is None:
        raise ValueError("no factuality label in the reply")
    label = normalise_label(re.sub(r"\s+", "", found.group(1)).replace("−", "-"))
    if label is None:
        raise ValueError("no factuality label in the reply")
    return label


def _inputs(row: dict[str, Any], opts: LLMClassifierOptions, shots: list) -> dict[str, Any]:
    extra = {}
    if opts.context:
        extra = {k: row.get(k) or None for k in ("arguments", "causes", "preconditions")}
    return {"shots": shots, "text": row["text"], "cot": opts.cot,
            "json_reply": not opts.official_format, **extra}  # fmt: skip


def classify_stage(opts: LLMClassifierOptions) -> Stage:
    """A runner stage: mention row -> row with ``label`` (and ``_meta.fallback`` when the
    reply had no label after every attempt)."""
    prompt = load_prompt("lmforge.mavenfact", "classify")
    shots = load_shots(opts.shots)
    json_reply = not opts.official_format
    schema = label_schema(opts.cot) if json_reply else None

    async def classify(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        config = ctx.config.model_copy(update={"json_schema": schema})
        result = await ask_result(
            ctx,
            prompt.messages(**_inputs(row, opts, shots)),
            lambda text: parse_label(text, json_reply=json_reply),
            config=config,
            attempts=opts.attempts,
        )
        if result.exception is not None:
            raise result.exception
        out = {"id": row["id"], "mention_id": row.get("mention_id", row["id"])}
        if result.ok:
            return {**out, "label": result.value, "_meta": {"raw": result.raw}}
        meta = {"raw": result.raw, "fallback": result.error, "attempts": result.attempts}
        return {**out, "label": FALLBACK, "_meta": meta}

    params = {"cot": opts.cot, "official": opts.official_format, "shots": shots,
              "context": opts.context, "attempts": opts.attempts}  # fmt: skip
    return Stage("classify", classify, prompts=[prompt], params=params, config=opts.generation)
