"""``--executor ray``: the same job on Ray Data writes what the local executor writes, and a
killed Ray run resumes from what it wrote. On a real local Ray (started once for the module)."""

import asyncio
import importlib.util
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="extra 'ray' not installed")

from lmforge.llm.scripted import ScriptedLLM  # noqa: E402
from lmforge.pipeline.drops import Drop  # noqa: E402
from lmforge.pipeline.jobs import Job, JobConfig  # noqa: E402
from lmforge.pipeline.runner import Stage  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("toy_pipeline", ROOT / "examples/toy_pipeline.py")
toy = sys.modules["toy_pipeline"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(toy)
ray.cloudpickle.register_pickle_by_value(toy)  # the actors cannot import examples/
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def ray_address():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def toy_model(messages, config):
    """Answers the toy's two prompts; q3's keywords are not JSON (an error row)."""
    text = messages[-1].text
    if config.json_schema:
        return "no json here" if "q3" in text else json.dumps({"keywords": text.split()[:2]})
    return f"answer to {text}"


async def screen(record, ctx):
    """A third stage that drops every fifth record: drops travel too."""
    if int(record["id"]) % 5 == 0:
        return Drop("fifth")
    return {**record, "screened": True}


def _run(executor: str, out: Path, records: list[dict]) -> dict:
    stages = [*toy.build_stages(), Stage("screen", screen)]
    config = JobConfig(executor=executor, ray_actors=1, concurrency=4)
    job = Job("toy", config, out=out, quiet=True, llm=ScriptedLLM(toy_model))
    asyncio.run(job.run(stages, records))
    return job.finish(rows=job.rows())


def _files(run: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(run)): p.read_bytes() for p in sorted(run.rglob("*.jsonl")) if p.is_file()
    }


def test_ray_writes_the_bytes_local_writes(tmp_path, ray_address):
    records = [{"id": str(i), "question": f"q{i}?"} for i in range(12)]
    local = _run("local", tmp_path / "local", records)
    on_ray = _run("ray", tmp_path / "ray", records)
    files = _files(tmp_path / "local")
    assert files == _files(tmp_path / "ray")
    assert any(name.endswith("records.errors.jsonl") for name in files)
    assert any(name.endswith("records.dropped.jsonl") for name in files)
    figures = (
        "total",
        "done",
        "failed",
        "dropped",
        "drops",
        "errors",
        "llm_calls",
        "prompt_tokens",
    )
    for a, b in zip(local["stages"], on_ray["stages"], strict=True):
        assert {k: a[k] for k in figures} == {k: b[k] for k in figures}
    assert (on_ray["failed"], on_ray["dropped"], on_ray["rows"]) == (1, 3, 8)
    assert sum(on_ray["stages"][1]["errors"].values()) == 1  # q3's keywords (same as local)
    assert "executor: ray" in (tmp_path / "ray" / "config.yaml").read_text()
    assert "executor" not in (tmp_path / "local" / "config.yaml").read_text()


SLOW_JOB = textwrap.dedent(
    """
    import asyncio, sys
    from lmforge.pipeline.jobs import Job, JobConfig
    from lmforge.pipeline.runner import Stage

    async def slow(record, ctx):
        await asyncio.sleep(0.05)
        return {**record, "n": int(record["id"]) * 2}

    records = [{"id": str(i)} for i in range(48)]
    config = JobConfig(executor="ray", ray_address=sys.argv[2], ray_actors=1, concurrency=1)
    job = Job("slow", config, out=sys.argv[1], quiet=True)
    asyncio.run(job.run([Stage("slow", slow)], records, file="out.jsonl"))
    print(job.finish(rows=None)["stages"][0]["skipped"])
    """
)


def test_a_killed_ray_run_resumes(tmp_path, ray_address):
    script = tmp_path / "slow_job.py"
    script.write_text(SLOW_JOB)
    run, out = tmp_path / "run", tmp_path / "run" / "out.jsonl"
    args = [sys.executable, str(script), str(run), ray_address]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= 16:  # the first batch landed
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kept = out.read_bytes()
    kept = kept[: kept.rfind(b"\n") + 1]  # whole lines only (a torn tail is cut on resume)
    assert 16 <= kept.count(b"\n") < 48
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=180)
    assert again.returncode == 0, again.stderr[-2000:]
    assert int(again.stdout.split()[-1]) == kept.count(b"\n")  # finished ids were skipped
    final = out.read_bytes()
    assert final.startswith(kept)  # finished rows keep their bytes
    ids = [json.loads(line)["id"] for line in final.splitlines()]
    assert ids == [str(i) for i in range(48)]  # nothing lost, nothing twice, input order


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lmforge.cli", *args], capture_output=True, text=True, timeout=180
    )


def test_batch_command_on_ray_matches_local(tmp_path, ray_address):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "prompt": f"p{i}"}) + "\n" for i in range(6)))
    common = ("batch", "-m", "scripted", "-i", str(src), "-q")
    local = _cli(*common, "-o", str(tmp_path / "local.jsonl"), "--out", str(tmp_path / "a"))
    assert local.returncode == 0, local.stderr
    flags = ("--executor", "ray", "--ray-address", ray_address, "--ray-actors", "1")
    on_ray = _cli(*common, *flags, "-o", str(tmp_path / "ray.jsonl"), "--out", str(tmp_path / "b"))
    assert on_ray.returncode == 0, on_ray.stderr[-2000:]
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert (tmp_path / "b/records.jsonl").read_bytes() == (
        tmp_path / "a/records.jsonl"
    ).read_bytes()


def test_mavenfact_predict_on_ray_asks_the_classifier_model(tmp_path, ray_address):
    """``predict --classifier llm:SPEC`` hides ``--model``: the actors must build SPEC (here a
    local stub server answering "ok"), not the empty job model (the default model)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from runner_ceiling import _serve

    from lmforge.mavenfact.prediction import PredictConfig, predict

    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    stub = ctx.Process(target=_serve, args=(theirs,), daemon=True)
    stub.start()
    try:
        spec = f"llm:openai:stub@http://127.0.0.1:{ours.recv()}/v1"
        docs = ROOT / "examples/mavenfact/docs.jsonl"
        options = {"executor": "ray", "ray_actors": 1, "output": tmp_path / "p.jsonl"}
        cfg = PredictConfig(classifier=spec, input=docs, limit=3, **options)
        result = predict(cfg, out=tmp_path / "run", quiet=True)
    finally:
        stub.kill()
    rows = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert result["mentions"] == len(rows) == 3
    assert [r["_meta"]["raw"] for r in rows] == ["ok"] * 3  # the stub's reply, every attempt


async def whereabouts(record, ctx):
    """Where the record ran: the worker's pid, and whether its heap was frozen."""
    import gc

    return {**record, "pid": os.getpid(), "frozen": gc.get_freeze_count() > 0}


def _pids(tmp_path: Path, spec: str, run: int) -> set[int]:
    from lmforge.pipeline.executors import RayExecutor

    executor = RayExecutor(actors=1, model=spec)
    out = tmp_path / f"{spec}-{run}.jsonl"
    records = [{"id": str(i)} for i in range(4)]
    asyncio.run(executor.run_stage(Stage("where", whereabouts), records, out, quiet=True))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(row["frozen"] for row in rows)
    return {row["pid"] for row in rows}


def _gone(pid: int, wait_s: float = 20) -> bool:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_a_worker_keeps_a_client_but_not_weights_after_a_stage(tmp_path, ray_address):
    """An ``embedded`` spec's worker exits after its task (llama.cpp would keep the GGUF for
    the life of the process), so no model stays loaded after its stage; a scripted (or
    ``openai:``) spec's worker is reused. The stage never calls the model: building one loads
    nothing until its first call."""
    light = [_pids(tmp_path, "scripted", run) for run in range(2)]  # on the module's workers
    assert len(light[0]) == 1 and light[0] == light[1]
    (heavy,) = _pids(tmp_path, "embedded-tiny", 0)  # last: a worker started after is not paid
    assert _gone(heavy)
