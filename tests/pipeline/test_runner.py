"""The runner: resume after interruption, error rows, shards, ordering, signatures."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lmforge.errors import InputError, MalformedResponseError, OutlineError, ParseFailure
from lmforge.llm.cache import CachedLLM, CallCache
from lmforge.llm.scripted import ScriptedLLM
from lmforge.pipeline.drops import Drop
from lmforge.pipeline.records import read_jsonl
from lmforge.pipeline.runner import Stage, run_pipeline, run_stage
from lmforge.pipeline.shards import merge_jsonl, shard_of


class Interrupted(BaseException):
    """Stands for Ctrl-C: not an Exception, so the runner must not turn it into an error row."""


RECORDS = [{"id": f"r{i}", "text": f"item {i}"} for i in range(20)]


async def shout(record, ctx):
    completion = await ctx.generate(f"shout: {record['text']}")
    return {**record, "out": completion.text}


def upper_model():
    return ScriptedLLM(lambda messages, config: messages[-1].content.upper())


def plain(path: Path) -> list[dict]:
    """Rows without run metadata (usage differs between cached and fresh calls)."""
    return [{k: v for k, v in r.items() if k != "_meta"} for r in read_jsonl(path)]


async def test_run_stage_outputs_in_input_order(tmp_path):
    out = tmp_path / "out.jsonl"
    summary = await run_stage(Stage("shout", shout), RECORDS, out, llm=upper_model(), quiet=True)
    assert (summary.total, summary.done, summary.failed, summary.llm_calls) == (20, 20, 0, 20)
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == [r["id"] for r in RECORDS]
    assert rows[3]["out"] == "SHOUT: ITEM 3"
    assert rows[3]["_meta"]["stage"] == "shout" and rows[3]["_meta"]["calls"] == 1


async def test_interrupted_run_resumes_without_repeating_calls(tmp_path):
    cache = CallCache(tmp_path / "calls.sqlite")
    reference = tmp_path / "reference.jsonl"
    await run_stage(Stage("shout", shout), RECORDS, reference, llm=upper_model(), quiet=True)

    inner_calls: list[str] = []

    def flaky(messages, config):
        inner_calls.append(messages[-1].content)
        if len(inner_calls) == 8:
            raise Interrupted  # the user pressed Ctrl-C mid-run
        return messages[-1].content.upper()

    out = tmp_path / "out.jsonl"
    llm = CachedLLM(ScriptedLLM(flaky), cache)
    with pytest.raises(Interrupted):
        await run_stage(Stage("shout", shout), RECORDS, out, llm=llm, concurrency=3, quiet=True)
    first = len(read_jsonl(out, allow_empty=True))
    assert 0 < first < 20

    resumed = CachedLLM(ScriptedLLM(flaky), cache)
    summary = await run_stage(Stage("shout", shout), RECORDS, out, llm=resumed, quiet=True)
    assert summary.skipped == first and summary.done == 20 - first
    assert plain(out) == plain(reference)
    assert (
        len(inner_calls) - 1 == len(set(inner_calls)) == 20
    )  # only the interrupted call was asked twice


async def test_bad_model_output_becomes_error_row_and_is_retried_on_rerun(tmp_path):
    async def parse(record, ctx):
        completion = await ctx.generate(record["text"])
        if completion.text == "ITEM 7":
            raise MalformedResponseError("no JSON in answer", raw=completion.text)
        return {**record, "ok": True}

    out = tmp_path / "out.jsonl"
    summary = await run_stage(Stage("parse", parse), RECORDS, out, llm=upper_model(), quiet=True)
    assert (summary.done, summary.failed) == (19, 1)
    assert summary.errors == {"MalformedResponseError": 1}
    errors = read_jsonl(out.with_suffix(".errors.jsonl"))
    assert errors[0]["id"] == "r7"
    assert errors[0]["_meta"]["raw"] == "ITEM 7"
    assert errors[0]["_meta"]["input"] == RECORDS[7]  # nothing lost
    again = await run_stage(Stage("parse", parse), RECORDS, out, llm=upper_model(), quiet=True)
    assert (again.skipped, again.done, again.failed) == (19, 0, 1)


async def test_failures_are_counted_by_class_and_reason(tmp_path):
    async def picky(record, ctx):
        n = int(record["id"][1:])
        if n % 5 == 1:
            raise ParseFailure("echoed the prompt", "raw echo", "3 attempts")
        if n % 5 == 2:
            raise ParseFailure("no JSON found", "raw text")
        if n == 3:
            raise OutlineError("P3 was put inside another page: see the rules")
        if n == 4:
            raise MalformedResponseError("null content")
        return record

    out = tmp_path / "out.jsonl"
    summary = await run_stage(Stage("picky", picky), RECORDS, out, quiet=True)
    assert summary.errors == {
        "ParseFailure: echoed the prompt": 4,
        "ParseFailure: no JSON found": 4,
        "OutlineError: P3 was put inside another page": 1,
        "MalformedResponseError": 1,
    }
    rows = {r["id"]: r["_meta"] for r in read_jsonl(out.with_suffix(".errors.jsonl"))}
    assert rows["r1"]["error"] == "ParseFailure: echoed the prompt: 3 attempts"  # whole message
    assert rows["r1"]["reason"] == "ParseFailure: echoed the prompt" and rows["r1"]["raw"]


async def test_duplicate_ids_are_an_input_error(tmp_path):
    with pytest.raises(InputError, match="duplicate record id 'x'"):
        await run_stage(Stage("s", shout), [{"id": "x"}, {"id": "x"}], tmp_path / "o.jsonl")


async def test_shards_partition_and_merge(tmp_path):
    outputs = []
    for i in range(3):
        await run_stage(
            Stage("shout", shout),
            RECORDS,
            tmp_path / "out.jsonl",
            llm=upper_model(),
            shard=(i, 3),
            quiet=True,
        )
        outputs.append(tmp_path / f"out.shard-{i}-of-3.jsonl")
    per_shard = [[r["id"] for r in read_jsonl(p, allow_empty=True)] for p in outputs]
    assert sorted(sum(per_shard, [])) == sorted(r["id"] for r in RECORDS)
    for i, ids in enumerate(per_shard):
        assert all(shard_of(rid, 3) == i for rid in ids)
    written, dup = merge_jsonl(outputs, tmp_path / "merged.jsonl")
    assert (written, dup) == (20, 0)


async def test_pipeline_signature_reruns_only_changed_stages(tmp_path):
    llm = upper_model()

    async def second(record, ctx):
        completion = await ctx.generate("again: " + record["out"])
        return {"id": record["id"], "final": completion.text}

    stages = [Stage("shout", shout, prompts=["v1"]), Stage("again", second)]
    await run_pipeline(stages, RECORDS[:5], tmp_path, llm=llm, quiet=True)
    assert len(llm.calls) == 10
    assert read_jsonl(tmp_path / "final.jsonl")[0]["final"] == "AGAIN: SHOUT: ITEM 0"
    await run_pipeline(stages, RECORDS[:5], tmp_path, llm=llm, quiet=True)
    assert len(llm.calls) == 10  # nothing changed: nothing reruns
    stages[1] = Stage("again", second, prompts=["v2"])
    summaries = await run_pipeline(stages, RECORDS[:5], tmp_path, llm=llm, quiet=True)
    assert len(llm.calls) == 15 and summaries[0].skipped == 5 and summaries[1].done == 5


KILL_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, time
    from lmforge.llm.cache import CachedLLM, CallCache
    from lmforge.llm.scripted import ScriptedLLM
    from lmforge.pipeline.runner import Stage, run_stage

    log = open(sys.argv[2], "a")
    def answer(messages, config):
        log.write(messages[-1].content + "\\n"); log.flush()
        time.sleep(0.05)
        return messages[-1].content.upper()

    async def shout(record, ctx):
        c = await ctx.generate("shout: " + record["text"])
        return {**record, "out": c.text}

    records = [{"id": f"r{i}", "text": f"item {i}"} for i in range(40)]
    llm = CachedLLM(ScriptedLLM(answer), CallCache(sys.argv[3]))
    asyncio.run(run_stage(Stage("shout", shout), records, sys.argv[1], llm=llm, concurrency=1,
                          quiet=True))
    """
)


def test_sigkill_mid_run_then_resume(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(KILL_SCRIPT)
    out, log, cache = tmp_path / "out.jsonl", tmp_path / "calls.log", tmp_path / "c.sqlite"
    args = [sys.executable, str(script), str(out), str(log), str(cache)]
    proc = subprocess.Popen(args, env={**os.environ})
    deadline = time.time() + 60
    while time.time() < deadline:
        if out.exists() and len(out.read_text().splitlines()) >= 10:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(read_jsonl(out, allow_empty=True, tolerate_torn_tail=True))
    assert 10 <= partial < 40
    subprocess.run(args, check=True, env={**os.environ})
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == [f"r{i}" for i in range(40)]
    assert all(r["out"] == f"SHOUT: ITEM {r['id'][1:]}" for r in rows)
    calls = log.read_text().splitlines()
    assert sorted(set(calls)) == sorted(f"shout: item {i}" for i in range(40))
    assert len(calls) - len(set(calls)) <= 1  # at most the call in flight at the kill


async def test_rerun_on_a_subset_keeps_earlier_rows(tmp_path):
    out = tmp_path / "out.jsonl"
    await run_stage(Stage("shout", shout), RECORDS[:5], out, llm=upper_model(), quiet=True)
    summary = await run_stage(
        Stage("shout", shout), RECORDS[:2], out, llm=upper_model(), quiet=True
    )
    assert (summary.total, summary.skipped, summary.done) == (2, 2, 0)
    assert [r["id"] for r in read_jsonl(out)] == ["r0", "r1", "r2", "r3", "r4"]


async def test_limit_counts_only_finished_records_as_skipped(tmp_path):
    out = tmp_path / "out.jsonl"
    summary = await run_stage(
        Stage("shout", shout), RECORDS[:5], out, llm=upper_model(), limit=2, quiet=True
    )
    assert (summary.done, summary.skipped) == (2, 0)


async def test_a_stage_returning_a_non_dict_is_an_error_row(tmp_path):
    async def broken(record, ctx):
        return None if record["id"] == "r1" else record

    out = tmp_path / "out.jsonl"
    summary = await run_stage(Stage("broken", broken), RECORDS[:3], out, quiet=True)
    assert (summary.done, summary.failed) == (2, 1)
    error = read_jsonl(out.with_suffix(".errors.jsonl"))[0]
    assert error["_meta"]["error"] == "TypeError: stage 'broken' returned NoneType, expected a dict"


async def test_integer_ids_keep_their_type(tmp_path):
    out = tmp_path / "out.jsonl"
    await run_stage(
        Stage("shout", shout), [{"id": 7, "text": "x"}], out, llm=upper_model(), quiet=True
    )
    assert read_jsonl(out)[0]["id"] == 7


def test_merge_folder_ignores_error_files_and_needs_every_shard(tmp_path):
    from lmforge.pipeline.shards import shard_files

    for i in range(2):
        (tmp_path / f"records.shard-{i}-of-2.jsonl").write_text(f'{{"id": "{i}"}}\n')
    (tmp_path / "records.shard-0-of-2.errors.jsonl").write_text('{"id": "x"}\n')
    assert [p.name for p in shard_files(tmp_path, "records.jsonl")] == [
        "records.shard-0-of-2.jsonl",
        "records.shard-1-of-2.jsonl",
    ]
    (tmp_path / "records.shard-1-of-2.jsonl").unlink()
    with pytest.raises(InputError, match=r"missing for i = \[1\] of 2"):
        shard_files(tmp_path, "records.jsonl")


async def keep_even(record, ctx):
    """Drops odd items (a verdict, not an error), shouts the rest."""
    number = int(record["id"][1:])
    if number % 2:
        return Drop("odd", number=number)
    return await shout(record, ctx)


async def test_a_dropped_record_leaves_the_output_and_is_counted_by_reason(tmp_path):
    out = tmp_path / "out.jsonl"
    summary = await run_stage(
        Stage("even", keep_even), RECORDS[:6], out, llm=upper_model(), quiet=True
    )
    assert (summary.done, summary.dropped, summary.failed) == (3, 3, 0)
    assert summary.drops == {"odd": 3}
    assert [r["id"] for r in read_jsonl(out)] == ["r0", "r2", "r4"]
    dropped = read_jsonl(tmp_path / "out.dropped.jsonl")
    assert [r["id"] for r in dropped] == ["r1", "r3", "r5"]
    assert dropped[0]["reason"] == "odd" and dropped[0]["_meta"]["number"] == 1
    assert dropped[0]["_meta"]["stage"] == "even"
    assert not out.with_suffix(".errors.jsonl").exists()


async def test_a_dropped_record_is_not_retried_on_resume(tmp_path):
    out = tmp_path / "out.jsonl"
    await run_stage(Stage("even", keep_even), RECORDS[:6], out, llm=upper_model(), quiet=True)
    asked = []

    async def counting(record, ctx):
        asked.append(record["id"])
        return await keep_even(record, ctx)

    again = await run_stage(Stage("even", counting), RECORDS[:6], out, quiet=True)
    assert asked == []  # nothing to do: kept ones skipped, dropped ones stay dropped
    assert (again.skipped, again.dropped, again.done) == (3, 3, 0)
    assert again.drops == {"odd": 3}
    assert len(read_jsonl(tmp_path / "out.dropped.jsonl")) == 3  # not written twice


async def test_a_dropped_record_does_not_reach_a_later_stage(tmp_path):
    seen = []

    async def second(record, ctx):
        seen.append(record["id"])
        return {"id": record["id"], "final": record["out"]}

    stages = [Stage("even", keep_even), Stage("second", second)]
    summaries = await run_pipeline(stages, RECORDS[:4], tmp_path, llm=upper_model(), quiet=True)
    assert sorted(seen) == ["r0", "r2"]
    assert [s.total for s in summaries] == [4, 2] and summaries[0].dropped == 2
    assert [r["id"] for r in read_jsonl(tmp_path / "final.jsonl")] == ["r0", "r2"]
