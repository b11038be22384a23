"""AgentWrite wall time per 1,000 output words on a real model, and the share of that time spent
outside the model (planning the calls, prompts, checkpoints, the runner, JSONL).

Inside-the-model time is measured around the backend's ``generate`` in the same run (the union
of the call intervals), so the share needs no second run. The baseline replays the exact same
requests, in the same order, straight to the backend with a bare loop: the ratio says what the
AgentWrite machinery costs over the model calls it makes.

    python benchmarks/longwriter_agentwrite.py [--model embedded] [--max-tokens 1024]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from lmforge.llm.base import LLM, WrappedLLM
from lmforge.llm.registry import get_llm
from lmforge.llm.types import Completion, GenerateConfig, Message
from lmforge.longwriter import AgentWriteConfig, AgentWriteOptions, run_agentwrite
from lmforge.pipeline.rundir import RunDir

INSTRUCTION = "Write a 1000-word article on the history of the printing press."


class TimedLLM(WrappedLLM):
    """Passes calls through and records when each one was inside the backend."""

    def __init__(self, inner: LLM) -> None:
        super().__init__(inner)
        self.intervals: list[tuple[float, float]] = []
        self.requests: list[tuple[list[Message], GenerateConfig]] = []
        self.tokens = 0

    async def _generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        self.requests.append((messages, config))
        start = time.perf_counter()
        try:
            completion = await self.inner._generate(messages, config)
        finally:
            self.intervals.append((start, time.perf_counter()))
        self.tokens += completion.usage.completion_tokens
        return completion

    def inside_s(self) -> float:
        """Seconds during which at least one call was in the backend (overlaps counted once)."""
        total, end = 0.0, float("-inf")
        for a, b in sorted(self.intervals):
            if b > end:
                total += b - max(a, end)
                end = b
        return total


async def replay(
    llm: LLM, requests: list[tuple[list[Message], GenerateConfig]]
) -> tuple[float, int]:
    """(wall seconds, completion tokens) of the same requests sent one after another."""
    start = time.perf_counter()
    tokens = 0
    for messages, config in requests:
        tokens += (await llm.generate(messages, config)).usage.completion_tokens
    return time.perf_counter() - start, tokens


def say(line: str) -> None:
    print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--instruction", default=INSTRUCTION)
    ap.add_argument("--length", type=int, default=1000, help="required length of the text")
    ap.add_argument("--max-tokens", type=int, default=1024, help="per call")
    ap.add_argument("--plan-max-tokens", type=int, default=512)
    ap.add_argument("--tokens-per-planned-word", type=float, default=2.0)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-baseline", action="store_true", help="skip the bare replay")
    args = ap.parse_args()

    backend = get_llm(args.model, cache=False)
    cfg = AgentWriteConfig(
        instruction=args.instruction,
        length=args.length,
        model=args.model,
        options=AgentWriteOptions(
            plan_max_tokens=args.plan_max_tokens,
            tokens_per_planned_word=args.tokens_per_planned_word,
        ),
        generation=GenerateConfig(
            max_tokens=args.max_tokens, temperature=args.temperature, seed=args.seed
        ),
    )
    asyncio.run(backend.generate("Say hi.", GenerateConfig(max_tokens=2)))  # load the model
    timed = TimedLLM(backend)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        asyncio.run(run_agentwrite(cfg, timed, RunDir(Path(tmp)), quiet=True))
        wall = time.perf_counter() - start
        from lmforge.pipeline.records import read_jsonl

        meta = read_jsonl(Path(tmp) / "agentwrite.jsonl")[0]["_meta"]
    words = meta["words"]
    inside = timed.inside_s()
    say(f"model: {args.model}  instruction: {args.instruction!r}")
    say(f"steps: {len(meta['steps'])}")
    say(f"llm_calls: {len(timed.intervals)}")
    say(f"dropped: {meta['dropped']}")
    say(f"output_words: {words}")
    say(f"completion_tokens: {timed.tokens}")
    say(f"wall_s: {wall:.2f}")
    say(f"inside_model_s: {inside:.2f}")
    say(f"outside_model_s: {wall - inside:.3f}")
    say(f"outside_model_share: {(wall - inside) / wall:.5f}")
    if words:
        say(f"wall_s_per_1000_words: {wall / words * 1000:.2f}")
    say(f"agentwrite_tok_s: {timed.tokens / wall:.2f}")
    if not args.no_baseline:
        # Sampled text can diverge on replay (llama.cpp reuses cached prefixes), so the
        # comparison is per generated token, not per run.
        bare, tokens = asyncio.run(replay(backend, timed.requests))
        say(f"bare_replay_wall_s: {bare:.2f}  completion_tokens: {tokens}")
        say(f"bare_replay_tok_s: {tokens / bare:.2f}")
        say(f"agentwrite_vs_bare_tok_s_ratio: {timed.tokens / wall / (tokens / bare):.3f}")


if __name__ == "__main__":
    main()
