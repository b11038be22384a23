"""The pieces of the Ray executor that need no cluster: stages (prompts and all) survive
Ray's pickling, an actor's rows carry what ``run_stage`` would write, and ``--executor ray``
without Ray is one line and exit code 2."""

import json
import subprocess
import sys

import pytest

ray = pytest.importorskip("ray", reason="extra 'ray' not installed")

from lmforge.llm.scripted import ScriptedLLM  # noqa: E402
from lmforge.pipeline import ray_adapter  # noqa: E402
from lmforge.pipeline.drops import Drop  # noqa: E402
from lmforge.pipeline.prompts import load_prompt  # noqa: E402
from lmforge.pipeline.ray_adapter import StageActor, map_batch, parse_row  # noqa: E402
from lmforge.pipeline.runner import Stage  # noqa: E402

PROMPT_DIR = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "prompts"


async def count_words(record, ctx):
    if not record["text"]:
        raise ValueError("empty text")
    if record["text"] == "a":
        return Drop("too short")
    answer = await ctx.generate(record["text"], max_tokens=4)
    return {**record, "words": len(record["text"].split()), "answer": answer.text}


def test_a_stage_with_prompts_survives_pickling():
    prompt = load_prompt(PROMPT_DIR, "answer")
    stage = Stage("answer", count_words, prompts=[prompt])
    back = ray.cloudpickle.loads(ray.cloudpickle.dumps(stage))
    again = back.prompts[0]
    assert (again.sha256, again.inputs) == (prompt.sha256, prompt.inputs)
    assert again.messages(question="why?") == prompt.messages(question="why?")
    assert back.signature() == stage.signature()


def test_an_actor_returns_rows_drops_errors_and_figures():
    actor = StageActor(Stage("count", count_words), ScriptedLLM(("OK",), cycle=True), 4)
    texts = ["a b c", "", "a", "x y"]
    batch = {"record": [json.dumps({"id": str(i), "text": t}) for i, t in enumerate(texts)]}
    mapped = actor(batch)
    rows = [parse_row({k: mapped[k][i] for k in mapped}) for i in range(len(texts))]
    assert [kind for kind, _, _ in rows] == ["done", "failed", "dropped", "done"]
    (_, done, figures), (_, error, _), (_, drop, _) = rows[:3]
    assert (done["words"], done["answer"], done["_meta"]["calls"]) == (3, "OK", 1)
    assert figures["llm_calls"] == 1 and figures["prompt_tokens"] > 0
    assert error["_meta"]["error"] == "ValueError: empty text"
    assert drop["reason"] == "too short"


def test_a_task_keeps_its_worker_model_between_batches():
    """The task form builds a spec's model once per worker process, and answers as the actor."""
    stage = Stage("count", count_words)
    batch = {
        "record": [json.dumps({"id": "1", "text": "a b"}), json.dumps({"id": "2", "text": ""})]
    }
    first = map_batch(batch, stage=stage, model="scripted", concurrency=2)
    warm = [llm for key, (llm, _) in ray_adapter._WARM.items() if key[0] == "scripted"]
    again = map_batch(batch, stage=stage, model="scripted", concurrency=2)
    assert len(warm) == 1 and warm == [
        llm for key, (llm, _) in ray_adapter._WARM.items() if key[0] == "scripted"
    ]
    assert first["kind"] == again["kind"] == ["done", "failed"]
    assert json.loads(first["row"][0])["answer"] == "OK"


def test_executor_ray_without_ray_is_one_line_exit_2(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "1", "prompt": "hi"}\n')
    code = (
        "import sys; sys.modules['ray'] = None; from lmforge.cli import main; "
        f"sys.argv = ['lmforge', 'batch', '-m', 'scripted', '-i', {str(src)!r}, "
        f"'--executor', 'ray', '--out', {str(tmp_path / 'run')!r}]; main()"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'lmforge[ray]'" in lines[0], lines
    assert not (tmp_path / "run").exists()


def test_the_ray_executor_takes_run_stages_options_only(tmp_path):
    """Its options are bound to ``runner.run_stage``'s signature: an unknown one fails there,
    before any Ray or file work."""
    import asyncio

    from lmforge.pipeline.executors import RayExecutor

    run = RayExecutor().run_stage(Stage("count", count_words), [], tmp_path / "o.jsonl", bogus=1)
    with pytest.raises(TypeError, match="bogus"):
        asyncio.run(run)
    assert not (tmp_path / "o.jsonl").exists()
