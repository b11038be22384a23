"""CPU per live-class step and per stream read, in-process, on SQLite with the scripted model:
the two costs a classroom server pays for every post (the post's own request aside), measured
without HTTP, so that a change to the driver or the stream shows in a figure that does not
swing with the load run's scheduling (`classroom_load.py`'s CPU per post moves 1.5-2x between
runs of the same code on a shared 2-core host).

Each round teaches the sample course to `--classes` classes: every class gets `--posts`
learner messages, each written as a post writes it and followed by the class's drive
(`LiveDriver.drive`); then every class's stream is read `--reads` times (messages after id 0
and the status query, as a stream's first read). The baseline, in the same command, is the
same lesson with the parked state turned off (`Parking.size = 0`: each drive reloads the class
from the database, as every drive did before parking). Printed: CPU ms per step and per read,
medians over rounds, and the parked/reloading ratio of the step cost.

    python benchmarks/classroom_steps.py [--classes 20] [--posts 6] [--reads 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import insert

from lmforge.classroom.store import open_database
from lmforge.classroom.store.logs import messages_after
from lmforge.classroom.store.models import Message
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.classroom.teach.simulated import class_responder
from lmforge.classroom.web.agents import course_cards, to_agent_states
from lmforge.classroom.web.learner_post import Turn, message_row
from lmforge.classroom.web.live import LiveDriver
from lmforge.classroom.web.models import Course
from lmforge.classroom.web.sample import publish_sample_course
from lmforge.classroom.web.sse import read_status
from lmforge.llm.scripted import ScriptedLLM

_TURN = Turn(function_idx=None, page_index=None, finished=False, quiz_open=False)


def _classes(db, n: int, parked: bool) -> tuple[LiveDriver, list[str]]:
    course_id = publish_sample_course(db)
    driver = LiveDriver(db, ScriptedLLM(class_responder), config=TeachConfig(wait_s=3600))
    if not parked:
        driver.parking.size = 0
    with db.session() as s:
        lecture_id = s.get(Course, course_id).lecture_id
        agents = to_agent_states(course_cards(None))
        sids = [
            driver.new_session(s, lecture_id, f"learner{i}", agents, mode="interactive")
            for i in range(n)
        ]
    return driver, sids


async def _lesson(driver: LiveDriver, sids: list[str], posts: int) -> tuple[int, float]:
    """Steps taken and the CPU seconds they took (the posts' inserts included: one short
    write each, the same on both sides)."""
    steps, start = 0, time.process_time()
    for n in range(posts):
        for sid in sids:
            row = message_row(sid, f"question {n}?", _TURN, datetime.now(timezone.utc))
            with driver.db.session() as s:
                s.execute(insert(Message).values(**row))
            steps += await driver.drive(sid)
    return steps, time.process_time() - start


def _reads(driver: LiveDriver, sids: list[str], reads: int) -> float:
    start = time.process_time()
    for _ in range(reads):
        for sid in sids:
            with driver.db.read() as s:
                messages_after(s, sid, 0, 200)
                read_status(s, sid)
    return (time.process_time() - start) / (reads * len(sids))


def one_round(args: argparse.Namespace, parked: bool) -> tuple[float, float, int]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_database(f"sqlite:///{Path(tmp) / 'steps.db'}") as db,
    ):
        driver, sids = _classes(db, args.classes, parked)
        steps, cpu = asyncio.run(_lesson(driver, sids, args.posts))
        per_read = _reads(driver, sids, args.reads)
    assert steps > 0, "no class took a step"
    return cpu / steps * 1e3, per_read * 1e3, steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classes", type=int, default=20)
    ap.add_argument("--posts", type=int, default=6)
    ap.add_argument("--reads", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    figures: dict[bool, list[tuple[float, float, int]]] = {True: [], False: []}
    for i in range(args.rounds):  # alternate the order, so a host's drift falls on both
        for parked in (True, False) if i % 2 == 0 else (False, True):
            figures[parked].append(one_round(args, parked))
    for parked, label in ((True, "parked"), (False, "reloading")):
        rows = figures[parked]
        step = statistics.median(r[0] for r in rows)
        read = statistics.median(r[1] for r in rows)
        shown = " ".join(f"{r[0]:.3f}" for r in rows)
        print(f"{label}_steps: {rows[0][2]}  cpu_ms_per_step: {step:.3f}  (rounds: {shown})")
        print(f"{label}_cpu_ms_per_stream_read: {read:.3f}")
    ratios = [p[0] / r[0] for p, r in zip(figures[True], figures[False], strict=True)]
    print(f"parked_over_reloading_step_cpu: {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
