"""The OpenEP judge: five judged dimensions of an open prediction, and the period a time
prediction chose.

Each dimension is one call (as in the official ``question_*_eva.py``), asked for JSON under a
schema and tried up to 3 times (``pipeline.ask``, the official retry count); a dimension the
judge never answers usably is None in the row and counted as ``judge_failed``, never a zero.
A time prediction in the official JSON format names its period (``answer``), which is read
directly; the judge extracts the period only from free text (the official code always asks
the judge; reading the field it would read is the same result without a call).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from lmforge.errors import ParseFailure
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.ask import ReaskRule, ask_result
from lmforge.pipeline.parse import extract_json
from lmforge.pipeline.prompts import load_prompt

from .periods import PERIODS, period_table
from .scoring import RATED

__all__ = [
    "CRITERIA",
    "JUDGE_CONFIG",
    "judge_open",
    "judge_period",
    "prediction_text",
    "read_prediction",
]

JUDGE_CONFIG = GenerateConfig(max_tokens=96, temperature=0.0)
"""The judge's sampling: greedy, short JSON replies."""
CRITERIA = {
    "relevance": "does the forecast address the same subject as what happened, or drift to "
    "other matters?",
    "focus": "is it sharp and specific (concrete actors, numbers, outcomes) rather than broad "
    "or vague?",
    "reasonableness": "is it logically coherent and plausible given the situation and general "
    "world knowledge?",
}
_CONFIDENCE = {"type": "number", "minimum": 0, "maximum": 100}
SCHEMAS: dict[str, dict[str, Any]] = {
    "accuracy": {
        "type": "object",
        "properties": {"answer": {"type": "boolean"}, "confidence_percentage": _CONFIDENCE},
        "required": ["answer", "confidence_percentage"],
    },
    "completeness": {
        "type": "object",
        "properties": {
            "ground_truth_count": {"type": "integer", "minimum": 0},
            "matched_count": {"type": "integer", "minimum": 0},
            "confidence_percentage": _CONFIDENCE,
        },
        "required": ["ground_truth_count", "matched_count", "confidence_percentage"],
    },
    "rating": {
        "type": "object",
        "properties": {
            "score": {"type": "number", "minimum": 0, "maximum": 5},
            "confidence_percentage": _CONFIDENCE,
        },
        "required": ["score", "confidence_percentage"],
    },
    "period": {
        "type": "object",
        "properties": {"period": {"enum": list(PERIODS)}},
        "required": ["period"],
    },
}


class _Accuracy(BaseModel):
    answer: bool
    confidence_percentage: float = Field(ge=0, le=100)


class _Completeness(BaseModel):
    ground_truth_count: int = Field(ge=0)
    matched_count: int = Field(ge=0)
    confidence_percentage: float = Field(ge=0, le=100)


class _Rating(BaseModel):
    score: float = Field(ge=0, le=5)
    confidence_percentage: float = Field(ge=0, le=100)


def _reader(model: type[BaseModel]) -> Any:
    def read(text: str) -> BaseModel:
        data = extract_json(text, expect=dict)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ParseFailure("wrong JSON fields", text, f"{where}: {first['msg']}") from None

    return read


def read_prediction(predictions: Any) -> dict[str, Any] | None:
    """The official ``predictions`` value (a JSON string, or already an object) as a dict,
    None when it is no JSON object."""
    if isinstance(predictions, dict):
        return predictions
    if not isinstance(predictions, str):
        return None
    try:
        data = extract_json(predictions, expect=dict)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def prediction_text(predictions: Any) -> str:
    """What the judge reads: the ``answer`` items, numbered; else the text as given."""
    data = read_prediction(predictions)
    answer = data.get("answer") if data else None
    if isinstance(answer, list) and answer:
        return "\n".join(f"{i}. {item}" for i, item in enumerate(answer, start=1))
    if isinstance(answer, str) and answer.strip():
        return answer.strip()
    return str(predictions if not isinstance(predictions, dict) else json.dumps(predictions))


def gold_text(answers: list[str]) -> str:
    return "\n\n".join(f"[{i}] {text.strip()}" for i, text in enumerate(answers, start=1))


async def _one(llm: LLM, messages: list[dict[str, str]], schema: dict, model: type) -> Any:
    config = JUDGE_CONFIG.model_copy(update={"json_schema": schema})
    return await ask_result(
        llm, messages, _reader(model), config=config, attempts=3, reask=ReaskRule(0.0)
    )


async def judge_open(llm: LLM, row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(parsed verdicts by dimension, None where failed; the raw replies and failures)."""
    base = {
        "question": row["question"],
        "date": row["date_question"],
        "gold": gold_text(row.get("answer") or []),
        "prediction": prediction_text(row.get("predictions")),
    }
    judged: dict[str, Any] = {}
    notes: dict[str, Any] = {"raw": {}, "failed": {}}
    calls = [
        (
            "accuracy",
            load_prompt("lmforge.openep", "judge_accuracy").messages(**base),
            SCHEMAS["accuracy"],
            _Accuracy,
        ),
        (
            "completeness",
            load_prompt("lmforge.openep", "judge_completeness").messages(**base),
            SCHEMAS["completeness"],
            _Completeness,
        ),
    ]
    rating = load_prompt("lmforge.openep", "judge_rating")
    for name in RATED:
        messages = rating.messages(dimension=name, criteria=CRITERIA[name], **base)
        calls.append((name, messages, SCHEMAS["rating"], _Rating))
    for name, messages, schema, model in calls:
        result = await _one(llm, messages, schema, model)
        notes["raw"][name] = result.raw
        if not result.ok:
            judged[name] = None
            notes["failed"][name] = result.error
            continue
        judged[name] = _verdict(name, result.value)
    return judged, notes


def _verdict(name: str, value: Any) -> dict[str, Any]:
    if name == "accuracy":
        return {"correct": value.answer, "confidence": value.confidence_percentage}
    if name == "completeness":
        return {
            "gold_count": value.ground_truth_count,
            "matched": value.matched_count,
            "confidence": value.confidence_percentage,
        }
    return {"rating": value.score, "confidence": value.confidence_percentage}


def _period_reader(text: str) -> str:
    data = extract_json(text, expect=dict)
    period = str(data.get("period", "")).strip()
    if not period:
        raise ParseFailure("no period", text)
    return period


async def judge_period(llm: LLM | None, row: dict[str, Any]) -> tuple[str | None, str]:
    """(the predicted period, where it came from: "parsed", "judge", or "failed: REASON")."""
    from datetime import date

    data = read_prediction(row.get("predictions"))
    answer = str(data.get("answer", "")).strip() if data else ""
    if answer in PERIODS:
        return answer, "parsed"
    if llm is None:
        return None, "failed: no period in the prediction and no judge"
    periods = period_table(date.fromisoformat(row["date_question"]))
    messages = load_prompt("lmforge.openep", "judge_period").messages(
        question=row["question"], periods=periods, prediction=str(row.get("predictions"))
    )
    config = JUDGE_CONFIG.model_copy(update={"json_schema": SCHEMAS["period"]})
    result = await ask_result(
        llm, messages, _period_reader, config=config, attempts=3, reask=ReaskRule(0.0)
    )
    if not result.ok:
        return None, f"failed: {result.error}"
    return result.value, "judge"
