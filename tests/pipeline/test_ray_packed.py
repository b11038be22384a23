"""The Ray executor's streaming pieces, without a cluster: a worker hands on its records in
input order as they finish (a slow one holds the hand-over, not the calls), packs carry the
lines and counts ``run_stage`` would make, and a model that holds weights is built per task
and closed after it (its worker exits: ``max_calls=1``)."""

import asyncio
import json

import pytest

pytest.importorskip("ray", reason="extra 'ray' not installed")

from lmforge.llm.scripted import ScriptedLLM  # noqa: E402
from lmforge.pipeline import ray_adapter  # noqa: E402
from lmforge.pipeline.drops import Drop  # noqa: E402
from lmforge.pipeline.ray_adapter import keeps_warm, run_records, task_options  # noqa: E402
from lmforge.pipeline.ray_packed import Pack, pack  # noqa: E402
from lmforge.pipeline.records import JsonlAppender  # noqa: E402
from lmforge.pipeline.runner import Stage  # noqa: E402
from lmforge.pipeline.summary import Progress, RunSummary  # noqa: E402


async def sleepy(record, ctx):
    """Record 0 is slow; the rest answer at once; "drop" and "fail" do what they say."""
    await asyncio.sleep(0.3 if record["id"] == "0" else 0)
    if record.get("do") == "drop":
        return Drop("asked to")
    if record.get("do") == "fail":
        raise ValueError("asked to")
    answer = await ctx.generate(record["id"], max_tokens=2)
    return {**record, "answer": answer.text}


def _texts(n: int, **extra: dict) -> list[str]:
    return [json.dumps({"id": str(i), **extra.get(str(i), {})}) for i in range(n)]


def test_records_come_in_input_order_and_a_slow_one_holds_only_the_hand_over():
    loop = asyncio.new_event_loop()
    llm = ScriptedLLM(("OK",), cycle=True)
    started = []

    async def noting(record, ctx):
        started.append(record["id"])
        return await sleepy(record, ctx)

    chunks = list(run_records(Stage("s", noting), llm, loop, 4, _texts(10), every=3, flush_s=5))
    loop.close()
    assert [[o["id"] for o in chunk] for chunk in chunks] == [
        ["0", "1", "2"], ["3", "4", "5"], ["6", "7", "8"], ["9"]
    ]  # fmt: skip
    assert set(started) == {str(i) for i in range(10)} and started[:4] == ["0", "1", "2", "3"]
    assert json.loads(chunks[0][1]["row"])["answer"] == "OK"


def test_what_finished_goes_on_after_flush_s_and_early_close_cancels():
    loop = asyncio.new_event_loop()
    stage = Stage("s", sleepy)
    texts = [json.dumps({"id": str(i)}) for i in (1, 2, 0, 3)]  # the slow "0" third
    chunks = run_records(stage, ScriptedLLM(("OK",), cycle=True), loop, 4, texts, flush_s=0.05)
    assert [o["id"] for o in next(chunks)] == ["1", "2"]  # before the slow one finished
    chunks.close()
    assert not [t for t in asyncio.all_tasks(loop) if not t.done()]
    loop.close()


def test_a_pack_carries_each_files_lines_and_the_counts(tmp_path):
    loop = asyncio.new_event_loop()
    extra = {"1": {"do": "drop"}, "2": {"do": "fail"}}
    texts = _texts(4, **extra)
    llm = ScriptedLLM(("OK",), cycle=True)
    outcomes = [o for c in run_records(Stage("s", sleepy), llm, loop, 2, texts) for o in c]
    loop.close()
    row = pack(outcomes)
    back = Pack.of({key: values[0] for key, values in row.items()})
    assert (back.n, back.drops, back.fails) == (4, ["asked to"], ["ValueError"])
    assert back.figures["llm_calls"] == 2 and back.figures["prompt_tokens"] > 0
    sinks = {kind: JsonlAppender(tmp_path / f"{kind}.jsonl") for kind in back.lines}
    back.write(sinks)
    for sink in sinks.values():
        sink.close()
    done = [json.loads(line) for line in (tmp_path / "done.jsonl").read_text().splitlines()]
    assert [(r["id"], r["answer"]) for r in done] == [("0", "OK"), ("3", "OK")]
    dropped = (tmp_path / "dropped.jsonl").read_text().splitlines()
    assert [json.loads(line)["reason"] for line in dropped] == ["asked to"]
    failed = [json.loads(line) for line in (tmp_path / "failed.jsonl").read_text().splitlines()]
    assert [(r["id"], r["_meta"]["reason"]) for r in failed] == [("2", "ValueError")]
    summary = RunSummary(total=4)
    with Progress(summary, quiet=True, todo=4) as progress:
        back.count(summary, progress)
    assert (summary.done, summary.dropped, summary.failed, summary.llm_calls) == (2, 1, 1, 2)


def test_models_that_hold_weights_are_built_per_task_and_closed(monkeypatch):
    closed = []

    class Closing(ScriptedLLM):
        async def aclose(self) -> None:
            closed.append(self)

    monkeypatch.setattr(ray_adapter, "_build", lambda spec: Closing(("OK",), cycle=True))
    warm_before = dict(ray_adapter._WARM)
    batch = {"record": _texts(3)}
    got = ray_adapter.task_outcomes(
        batch, stage=Stage("s", sleepy), model="embedded-tiny", concurrency=2
    )
    assert [o["id"] for chunk in got for o in chunk] == ["0", "1", "2"]
    assert len(closed) == 1 and warm_before == ray_adapter._WARM
    assert task_options("embedded-tiny") == task_options("hf:some/dir") == {"max_calls": 1}
    assert keeps_warm("openai:m@http://127.0.0.1:1/v1") and keeps_warm("scripted")
    assert keeps_warm(ScriptedLLM(("OK",))) and keeps_warm(None)
    assert task_options("openai:m@http://127.0.0.1:1/v1") == {}
