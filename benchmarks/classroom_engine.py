"""Lecture engine throughput: steps/s for many concurrent simulated sessions on the scripted
(rule-based) model, against a baseline in the same run that teaches the same sessions one at a
time. A ratio near or above 1 means the scheduler's fair round-robin over many sessions costs
nothing per step compared with a single session; the model takes no time here, so this is the
engine's own overhead (state machines, prompts, queue).

    python benchmarks/classroom_engine.py [--sessions 100] [--workers 4] [--pages 6]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from lmforge.classroom.teach.simulated import class_responder, sample_agenda, simulate_lectures
from lmforge.llm.scripted import ScriptedLLM

PERSONAS = ["silent", "on_topic", "off_topic", "abusive"]


async def run(students: list[str], pages: int, workers: int) -> tuple[int, float, bool]:
    start = time.perf_counter()
    _, reports = await simulate_lectures(
        sample_agenda(pages), ScriptedLLM(class_responder), students, workers=workers
    )
    return (
        sum(r.steps for r in reports),
        time.perf_counter() - start,
        all(r.finished for r in reports),
    )


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=100)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--pages", type=int, default=6)
    args = ap.parse_args()
    students = [PERSONAS[i % len(PERSONAS)] for i in range(args.sessions)]

    base_steps, base_s = 0, 0.0
    for name in students:  # baseline: one session at a time, one worker
        steps, secs, done = await run([name], args.pages, 1)
        base_steps, base_s = base_steps + steps, base_s + secs
        assert done
    steps, secs, done = await run(students, args.pages, args.workers)
    assert done
    print(f"sessions: {args.sessions}")
    print(f"workers: {args.workers}")
    print(f"steps_total: {steps}")
    print(f"concurrent_steps_per_s: {steps / secs:.0f}")
    print(f"one_at_a_time_steps_per_s: {base_steps / base_s:.0f}")
    print(f"concurrent_vs_one_at_a_time_ratio: {(steps / secs) / (base_steps / base_s):.2f}")
    print(f"concurrent_wall_s: {secs:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
