"""The scripted model's two server options: no call log (`record=False`) and a reply delay."""

from __future__ import annotations

import asyncio
import time

from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig, Message


def _ask(llm: ScriptedLLM, n: int) -> list[str]:
    async def run() -> list[str]:
        config = GenerateConfig(max_tokens=8)
        replies = [llm.generate([Message(role="user", content="hi")], config) for _ in range(n)]
        return [c.text for c in await asyncio.gather(*replies)]

    return asyncio.run(run())


def test_record_false_keeps_no_calls():
    kept, bare = ScriptedLLM(["a"], cycle=True), ScriptedLLM(["a"], cycle=True, record=False)
    assert _ask(kept, 3) == _ask(bare, 3) == ["a", "a", "a"]
    assert len(kept.calls) == 3 and bare.calls == []


def test_a_delay_takes_wall_time_not_cpu():
    llm = ScriptedLLM(["a"], cycle=True, delay_s=0.2)
    wall, cpu = time.perf_counter(), time.process_time()
    assert _ask(llm, 5) == ["a"] * 5  # concurrent: 0.2 s together, not 1 s
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert 0.2 <= wall < 0.9 and cpu < 0.15
