"""What a resumed run promises (``docs/resume.md``), and only that: nothing lost, nothing done
twice, finished rows never rewritten (their bytes unchanged), output in input order.

Re-made records may differ from an uninterrupted run's (llama.cpp's batched decoding is not
bit-stable): here the resume answers with a different model on purpose, so a test that
passed only because both runs answered alike would fail."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers import write_jsonl
from lmforge.llm.scripted import ScriptedLLM
from lmforge.pipeline import Drop, Job, JobConfig
from lmforge.pipeline.runner import Stage, run_stage

IDS = [f"r{i:02d}" for i in range(24)]
RECORDS = [{"id": rid, "text": f"item {rid}"} for rid in IDS]


class Interrupted(BaseException):
    """Stands for Ctrl-C or a kill: not an Exception, so no error row is made of it."""


def answering(tag: str, calls: list[str], *, stop_after: int | None = None) -> ScriptedLLM:
    def reply(messages, config):
        calls.append(messages[-1].content)
        if stop_after is not None and len(calls) > stop_after:
            raise Interrupted
        return f"{tag}: {messages[-1].content}"

    return ScriptedLLM(reply)


async def judged(record, ctx):
    """Drops r03, fails r05 when the model is the one named "first", answers the rest."""
    if record["id"] == "r03":
        return Drop("unwanted")
    completion = await ctx.generate(record["text"])
    if record["id"] == "r05" and ctx.llm.spec == "first":
        raise ValueError("the first model cannot do r05")
    return {**record, "out": completion.text}


def lines(path: Path) -> dict[str, bytes]:
    """Each row's bytes by id; an id twice is a broken promise."""
    found: dict[str, bytes] = {}
    for line in path.read_bytes().splitlines():
        rid = json.loads(line)["id"]
        assert rid not in found, f"{rid} written twice"
        found[rid] = line
    return found


def assert_promise(first: dict[str, bytes], out: Path, dropped: set[str]) -> None:
    final = lines(out)
    assert list(final) == [i for i in IDS if i not in dropped]  # none lost, input order
    assert {rid: final[rid] for rid in first} == first  # finished rows keep their bytes


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_an_interrupted_stage_resumes_as_promised(tmp_path, concurrency):
    out, stage = tmp_path / "records.jsonl", Stage("judge", judged)
    calls: list[str] = []
    first_model = answering("first", calls, stop_after=9)
    first_model.spec = "first"
    with pytest.raises(Interrupted):
        await run_stage(stage, RECORDS, out, llm=first_model, concurrency=concurrency, quiet=True)
    first = lines(out)
    assert 0 < len(first) < 9

    again: list[str] = []
    summary = await run_stage(stage, RECORDS, out, llm=answering("second", again), quiet=True)
    assert summary.skipped == len(first) and summary.failed == 0
    assert_promise(first, out, dropped={"r03"})
    assert not set(again) & {f"item {rid}" for rid in first}  # finished: never asked again
    remade = lines(out)
    assert all(
        b'"out":"second: ' in remade[rid] for rid in IDS if rid not in first and rid != "r03"
    )
    assert not out.with_suffix(".errors.jsonl").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


async def test_a_torn_last_row_is_made_again_and_written_once(tmp_path):
    out, stage = tmp_path / "records.jsonl", Stage("judge", judged)
    with pytest.raises(Interrupted):
        await run_stage(stage, RECORDS, out, llm=answering("first", [], stop_after=6), quiet=True)
    first = lines(out)
    with out.open("ab") as fh:  # a kill in the middle of writing the next row
        fh.write(b'{"id":"r23","text":"item r23","out":"half')
    await run_stage(stage, RECORDS, out, llm=answering("second", []), quiet=True)
    assert_promise(first, out, dropped={"r03"})
    assert b'"out":"second: item r23"' in lines(out)["r23"]


class Batch(JobConfig):
    output: Path | None = None


async def test_a_job_keeps_the_bytes_of_finished_rows_in_its_final_output(tmp_path):
    run = tmp_path / "run"
    job = Job("promise", Batch(), out=run, quiet=True, llm=answering("first", [], stop_after=5))
    with pytest.raises(Interrupted):
        await job.run([Stage("judge", judged)], RECORDS, file="records.jsonl", concurrency=1)
    first = lines(run / "records.jsonl")

    job = Job("promise", Batch(), out=run, quiet=True, llm=answering("second", []))
    await job.run([Stage("judge", judged)], RECORDS, file="records.jsonl")
    job.finish(rows=job.rows())
    assert_promise(first, run / "records.jsonl", dropped={"r03"})
    assert_promise(first, run / "final.jsonl", dropped={"r03"})


SLOW_IN_A_THREAD = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from lmforge.llm.registry import backend
    from lmforge.llm.scripted import ScriptedLLM

    class Blocking(ScriptedLLM):
        async def _generate(self, messages, config):
            if "slow" in messages[-1].content:
                Path(sys.argv[1]).write_text("busy")
                await asyncio.to_thread(time.sleep, 30)
            return await super()._generate(messages, config)

    @backend("blocking")
    def _blocking(spec):
        "answers OK, after 30 s for a prompt with 'slow'"
        return Blocking(["OK"], cycle=True)

    from lmforge.cli import main
    main(sys.argv[2:])
    """
)


def test_a_killed_cli_run_resumes_as_promised(tmp_path):
    """``kill -9`` in the middle of a model call, then the same command with ``--out``."""
    rows = [{"id": rid, "prompt": "slow" if rid == "r05" else rid} for rid in IDS[:8]]
    src, run, busy = write_jsonl(tmp_path / "in.jsonl", rows), tmp_path / "run", tmp_path / "b"
    args = ["batch", "-i", str(src), "--out", str(run), "--concurrency", "1", "-q"]
    env = {**os.environ, "LMFORGE_CACHE": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_IN_A_THREAD, str(busy), *args, "-m", "blocking"],
        cwd=tmp_path,
        env=env,
    )
    deadline = time.monotonic() + 120  # start-up and five records: slow on a loaded machine
    while not busy.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    # Else the kill came at some other point, and the records kept say nothing of the promise.
    assert busy.exists(), f"the slow call never started (exit {proc.returncode})"
    first = lines(run / "records.jsonl")
    assert list(first) == IDS[:5]

    done = subprocess.run(
        [sys.executable, "-m", "lmforge.cli", *args, "-m", "scripted"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in ("records.jsonl", "final.jsonl"):
        final = lines(run / name)
        assert list(final) == IDS[:8] and {rid: final[rid] for rid in first} == first
