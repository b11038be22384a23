"""The LongBench-Cite judges: need-citation, support, relevance (citation quality) and the three
correctness graders, asked through :func:`lmforge.pipeline.ask.ask_many`.

Official protocol (GPT-4o): up to 5 tries, temperature 0 first and 1 on re-asks, 10 new tokens
stopped at "Analysis:" so only the bracketed verdict is generated. Small local judges do not
reliably write ``[[Fully supported]]`` in 10 tokens, so by default (``structured``) the reply is
a JSON object under a schema whose values are exactly the official verdict words, read by the
same keyword rules; ``structured=False`` is the official free-text protocol. A verdict that
never parses is ``None`` (counted by :mod:`~lmforge.longcite.scoring`), never guessed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.ask import AskResult, ReaskRule, ask_many
from lmforge.pipeline.prompts import Prompt, load_prompt

from .scoring import (
    QA_DATASETS,
    correctness_score,
    need_value,
    read_rating,
    read_verdict,
    relevance_value,
    support_value,
)

__all__ = [
    "JUDGE_CONFIG",
    "JUDGE_PROMPTS",
    "JudgeOptions",
    "judge_citations",
    "judge_correctness",
]

JUDGE_CONFIG = GenerateConfig(max_tokens=10, temperature=0.0, stop=("Analysis:",))
"""Official citation-judge sampling (free text): 10 tokens, greedy, stop at "Analysis:"."""
CORRECT_CONFIG = GenerateConfig(max_tokens=128, temperature=0.0)
"""Correctness grading; the LongBench-Chat grader also stops at a blank line (official)."""
STRUCTURED_TOKENS = 24
"""Room for ``{"verdict": "Partially supported"}`` (or ``{"rating": 10}``)."""
REASK = ReaskRule(temperature=1.0)
"""Official re-asks sample at temperature 1."""
JUDGE_PROMPTS = (
    "need_citation",
    "support",
    "relevance",
    "correct_qa",
    "correct_summary",
    "correct_chat",
)

_WORDS = {
    "need_citation": ["Yes", "No"],
    "support": ["Fully supported", "Partially supported", "No support"],
    "relevance": ["Relevant", "Unrelevant"],
}
_SCALES = {"correct_qa": (1, 3), "correct_summary": (1, 5), "correct_chat": (1, 10)}


def _prompt(name: str) -> Prompt:
    return load_prompt("lmforge.longcite", name)


def _verdict_schema(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"verdict": {"type": "string", "enum": _WORDS[name]}},
        "required": ["verdict"],
    }


def _rating_schema(name: str) -> dict[str, Any]:
    low, high = _SCALES[name]
    rating = {"type": "integer", "minimum": low, "maximum": high}
    return {"type": "object", "properties": {"rating": rating}, "required": ["rating"]}


@dataclass(frozen=True)
class JudgeOptions:
    """How the judges are asked."""

    structured: bool = True
    """JSON verdicts under a schema (default); False: the official ``[[...]]`` free text."""
    attempts: int = 5
    """Asks per verdict before it counts as unparsed (official: 5)."""
    config: GenerateConfig = field(default_factory=lambda: JUDGE_CONFIG)
    """Sampling of the citation judges (official: 10 tokens, temperature 0, stop "Analysis:")."""
    correct_config: GenerateConfig = field(default_factory=lambda: CORRECT_CONFIG)

    def sampling(self, name: str) -> GenerateConfig:
        base = self.correct_config if name.startswith("correct") else self.config
        if name == "correct_chat" and not self.structured:
            base = base.model_copy(update={"stop": ("\n\n",)})
        if not self.structured:
            return base
        schema = _rating_schema(name) if name in _SCALES else _verdict_schema(name)
        tokens = max(base.max_tokens, STRUCTURED_TOKENS)
        return base.model_copy(update={"json_schema": schema, "stop": (), "max_tokens": tokens})


async def _ask(llm: LLM, requests: list[tuple[str, dict[str, Any]]], options: JudgeOptions, parse):
    from lmforge.llm.types import Request

    prompts = [
        Request(
            messages=_prompt(name).messages(**inputs, structured=options.structured),
            config=options.sampling(name),
        )
        for name, inputs in requests
    ]
    return await ask_many(llm, prompts, parse, attempts=options.attempts, reask=REASK)


def _value(result: AskResult, read) -> float | None:
    return None if not result.ok else float(read(result.value))


async def judge_citations(
    llm: LLM,
    question: str,
    statements: list[dict[str, Any]],
    response: str,
    options: JudgeOptions,
) -> tuple[list[float | None], list[float | None], list[dict[str, Any]]]:
    """(recall item per statement, precision item per citation, verdict log) for one instance.

    A statement with citations asks the support judge with its cite texts joined by blank
    lines; one without asks the need-citation judge (score 1 - need); each citation asks the
    relevance judge alone. ``response``: the whole answer without tags (need-citation's view).
    """
    requests: list[tuple[str, dict[str, Any]]] = []
    kinds: list[tuple[str, int]] = []
    for i, st in enumerate(statements):
        cites = [c["cite"] for c in st.get("citation") or []]
        text = st["statement"]
        if cites:
            snippet = "\n\n".join(cites)
            requests.append(
                ("support", {"question": question, "statement": text, "snippet": snippet})
            )
        else:
            inputs = {"question": question, "response": response, "sentence": text}
            requests.append(("need_citation", inputs))
        kinds.append((requests[-1][0], i))
        for cite in cites:
            requests.append(
                ("relevance", {"question": question, "statement": text, "snippet": cite})
            )
            kinds.append(("relevance", i))
    results = await _ask(llm, requests, options, read_verdict)
    recall: list[float | None] = []
    precision: list[float | None] = []
    log = []
    for (kind, i), result in zip(kinds, results, strict=True):
        if kind == "relevance":
            precision.append(_value(result, relevance_value))
        elif kind == "support":
            recall.append(_value(result, support_value))
        else:
            need = _value(result, need_value)
            recall.append(None if need is None else 1 - need)
        log.append({"statement": i, "judge": kind, "verdict": result.value, "error": result.error})
    return recall, precision, log


def _correct_prompt(dataset: str) -> str:
    if dataset in QA_DATASETS:
        return "correct_qa"
    return "correct_summary" if dataset == "gov_report" else "correct_chat"


async def judge_correctness(
    llm: LLM,
    row: dict[str, Any],
    answer: str,
    options: JudgeOptions,
) -> tuple[float, int, list[float | None]]:
    """(max score over the reference answers, unparsed count, each rating) of one instance.

    LongBench-Chat shows its rated ``few_shot_scores`` examples in an order shuffled by a
    generator seeded with the instance's idx (official: unseeded), newlines in the graded
    answer replaced by spaces, as officially.
    """
    dataset = str(row["dataset"])
    name = _correct_prompt(dataset)
    references = row["answer"] if isinstance(row["answer"], list) else [row["answer"]]
    examples = list(row.get("few_shot_scores") or [])
    random.Random(str(row.get("idx", row.get("id", "")))).shuffle(examples)
    graded = answer.replace("\n", " ") if name == "correct_chat" else answer
    requests = [
        (name, {"question": row["query"], "reference": ref, "answer": graded, "examples": examples})
        for ref in references
    ]
    results = await _ask(llm, requests, options, read_rating)
    ratings = [r.value if r.ok else None for r in results]
    scores = [correctness_score(dataset, rating) for rating in ratings]
    return max(scores, default=0.5), sum(r is None for r in ratings), ratings
