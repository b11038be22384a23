"""Slide2Lecture ``prepare`` wall time per page on a shipped deck, split into model time and the
rest (prompts, guards, parsing, the outline tree, validation bookkeeping).

Model time is the union of the intervals during which a call was inside the backend, measured
in the same run. The baseline replays the very same requests one after another straight to the
backend: ``prepare_vs_bare_ratio`` is what the Read/Plan machinery costs over its model calls
(above 1: overhead; it can dip below 1 when ``generate_many`` overlaps the question calls).

    python benchmarks/classroom_prepare.py [--model embedded] [--pages 10] [--describe model]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

from lmforge.classroom.ingest import load_deck
from lmforge.classroom.prepare import PrepareConfig, prepare_with_report
from lmforge.classroom.prepare.outline import OutlineConfig
from lmforge.classroom.prepare.plan import PlanConfig
from lmforge.classroom.prepare.validate import validate_agenda
from lmforge.llm.base import LLM, WrappedLLM
from lmforge.llm.registry import get_llm
from lmforge.llm.types import Completion, GenerateConfig, Message

DEFAULT_DECK = "slides/py4e_umich/Pythonlearn-02-Expressions.pptx"


class RecordingLLM(WrappedLLM):
    """Passes calls through and keeps every request, for the replay."""

    def __init__(self, inner: LLM) -> None:
        super().__init__(inner)
        self.requests: list[tuple[list[Message], GenerateConfig]] = []

    async def _generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        self.requests.append((messages, config))
        return await self.inner._generate(messages, config)


async def replay(llm: LLM, requests: list[tuple[list[Message], GenerateConfig]]) -> float:
    start = time.perf_counter()
    for messages, config in requests:
        await llm.generate(messages, config)
    return time.perf_counter() - start


def say(line: str) -> None:
    print(line, flush=True)


def main() -> None:
    data = Path(os.environ.get("LMFORGE_TEST_DATA", Path(__file__).parents[2] / "shared/data"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--deck", type=Path, default=data / DEFAULT_DECK)
    ap.add_argument("--pages", type=int, default=0, help="first N pages only (0: all)")
    ap.add_argument("--describe", choices=["model", "extract"], default="model")
    ap.add_argument("--script-tokens", type=int, default=64)
    ap.add_argument("--no-baseline", action="store_true", help="skip the bare replay")
    args = ap.parse_args()

    deck = load_deck(args.deck)
    if args.pages:
        deck = deck.model_copy(update={"pages": deck.pages[: args.pages]})
    config = PrepareConfig(
        describe=args.describe,
        describe_generation=GenerateConfig(max_tokens=80),
        outline_config=OutlineConfig(generation=GenerateConfig(max_tokens=64)),
        plan=PlanConfig(
            script=GenerateConfig(max_tokens=args.script_tokens),
            questions=GenerateConfig(max_tokens=480),
        ),
    )
    backend = get_llm(args.model, cache=False)
    asyncio.run(backend.generate("Say hi.", GenerateConfig(max_tokens=2)))  # load the model
    recorder = RecordingLLM(backend)
    start = time.perf_counter()
    agenda, report = asyncio.run(prepare_with_report(deck, recorder, config=config))
    wall = time.perf_counter() - start
    n = len(deck.pages)
    say(f"model: {args.model}  deck: {args.deck.name}  pages: {n}  describe: {args.describe}")
    say(f"llm_calls: {len(recorder.requests)}")
    for stage in report.stages:
        say(
            f"stage_{stage.stage}: wall_s {stage.wall_s:.2f}  model_s {stage.model_s:.2f}  "
            f"other_s {stage.other_s:.3f}  calls {stage.calls}  fallbacks {stage.fallbacks}"
        )
    say(f"outline_retries: {report.outline_retries}")
    for problem in report.outline_problems[:3]:
        say(f"outline_problem: {problem}")
    say(f"validator_problems: {len(validate_agenda(agenda, deck))}")
    say(f"wall_s: {wall:.2f}")
    say(f"wall_s_per_page: {wall / n:.2f}")
    say(f"model_s_per_page: {report.model_s / n:.2f}")
    say(f"other_s_per_page: {(wall - report.model_s) / n:.4f}")
    say(f"other_share: {(wall - report.model_s) / wall:.5f}")
    if not args.no_baseline:
        bare = asyncio.run(replay(backend, recorder.requests))
        say(f"bare_replay_wall_s: {bare:.2f}")
        say(f"prepare_vs_bare_ratio: {wall / bare:.3f}")


if __name__ == "__main__":
    main()
