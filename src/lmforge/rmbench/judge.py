"""Generative judges (``judge:MODEL``): one pairwise comparison per cell of the style matrix.

The official README gives the prompt's shape (user prompt, answers A and B, a five-way
``\\boxed{}`` verdict) but not how verdicts fill the matrix. Here every (chosen style i,
rejected style j) pair is judged in both orders, and the cell is correct only when both orders
prefer the chosen answer: a tie, a split decision or an unusable answer is wrong, which is what
the strict ``>`` of score-based reward models means. The calls of one sample run in a fixed order
so that scripted judges see a deterministic sequence; records run concurrently.
"""

from __future__ import annotations

from typing import Any

from lmforge.evaluation.judge import JudgeStats, PairwiseResult, pairwise
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.prompts import load_prompt

from .scorers import Scorer, ScorerOptions

__all__ = ["VERDICTS", "JudgeScorer", "judge_stats"]

#: The five verdicts, in the form the prompt asks for.
VERDICTS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")


class JudgeScorer(Scorer):
    """Asks an LLM which of two responses is better, in both orders, for all nine style pairs."""

    def __init__(
        self, llm: LLM, options: ScorerOptions | None = None, *, spec: str | None = None
    ) -> None:
        options = options or ScorerOptions()
        self.llm = llm
        self.spec = spec or f"judge:{llm.spec}"
        self.prompt = load_prompt("lmforge.rmbench", "judge")
        self.prompts = (self.prompt,)
        self.retries = options.judge_retries
        self.retry_temperature = options.judge_retry_temperature
        self.config = GenerateConfig(
            max_tokens=options.judge_max_tokens, temperature=0.0, seed=options.seed
        )
        self.concurrency = max(1, llm.default_concurrency)

    @property
    def params(self) -> dict[str, Any]:
        return {
            "scorer": self.spec,
            "retries": self.retries,
            "retry_temperature": self.retry_temperature,
            **self.config.key_dict(),
        }

    async def evaluate(self, record: dict[str, Any], ctx: Any = None) -> dict[str, Any]:
        """``correct[i][j]`` (1 when both orders prefer chosen i over rejected j) and the nine
        comparisons with their raw answers, so a report can show what the judge said."""
        judge = ctx if ctx is not None else self.llm
        prompt = record["prompt"]

        def render(first: str, second: str) -> list[dict[str, str]]:
            return self.prompt.messages(prompt=prompt, response_a=first, response_b=second)

        correct: list[list[int]] = []
        comparisons: list[list[dict[str, Any]]] = []
        for chosen in record["chosen"]:
            row_correct, row_results = [], []
            for rejected in record["rejected"]:
                result = await pairwise(
                    judge,
                    render,
                    chosen,
                    rejected,
                    choices=VERDICTS,
                    tie=None,
                    retries=self.retries,
                    config=self.config,
                    retry_temperature=self.retry_temperature,
                )
                row_correct.append(int(result.winner == "a"))
                row_results.append(result.model_dump())
            correct.append(row_correct)
            comparisons.append(row_results)
        return {"correct": correct, "comparisons": comparisons}

    async def aclose(self) -> None:
        await self.llm.aclose()


def judge_stats(rows: list[dict[str, Any]]) -> JudgeStats:
    """Calls, re-asks, parse failures and order consistency, recounted from stored rows (so a
    resumed run reports the whole run, not its last part)."""
    results: list[PairwiseResult | dict[str, Any]] = [
        cell for row in rows for line in row.get("comparisons", []) for cell in line
    ]
    return JudgeStats.of(results)
