"""Job: the run folder, config.yaml, summary.json, resume, the final output written once,
limit and shard, and the shared run options of JobConfig."""

import json
from pathlib import Path

import pytest
import yaml

from lmforge.errors import InputError
from lmforge.llm.scripted import ScriptedLLM
from lmforge.pipeline import Drop, Job, JobConfig
from lmforge.pipeline.records import read_jsonl
from lmforge.pipeline.runner import Stage
from lmforge.pipeline.shards import shard_of

RECORDS = [{"id": f"r{i}", "text": f"item {i}"} for i in range(8)]


class ShoutConfig(JobConfig):
    """A command's own config: its fields first in config.yaml, then the shared ones."""

    output: Path | None = None
    loud: bool = True


async def shout(record, ctx):
    if record["id"] == "r7":
        return Drop("unlucky", digit=7)
    completion = await ctx.generate(f"shout: {record['text']}")
    return {**record, "out": completion.text}


def upper_model():
    return ScriptedLLM(lambda messages, config: messages[-1].content.upper())


def jsonl_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jsonl"))


async def test_a_job_writes_its_run_folder(tmp_path, capsys):
    job = Job("shout", ShoutConfig(), out=tmp_path / "run", quiet=True, llm=upper_model())
    summaries = await job.run([Stage("shout", shout)], RECORDS)
    summary = job.finish(rows=job.rows(), counts={"kept": len(job.rows())})
    config = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert list(config) == ["output", "loud", "model", "concurrency", "limit", "shard"]
    assert config["model"] == "scripted"  # the model that answered, not null
    saved = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert saved == summary and saved["what"] == "shout" and saved["kept"] == 7
    assert (saved["total"], saved["done"], saved["dropped"], saved["failed"]) == (8, 7, 1, 0)
    assert saved["drops"] == {"unlucky": 1} and saved["stages"][0]["stage"] == "shout"
    assert summaries[0].llm_calls == 7 == saved["llm_calls"]
    assert f"run: {tmp_path / 'run'}" in capsys.readouterr().err


async def test_the_final_output_is_written_once(tmp_path):
    run = tmp_path / "run"
    job = Job("shout", ShoutConfig(), out=run, quiet=True, llm=upper_model())
    await job.run([Stage("shout", shout)], RECORDS)
    job.finish(rows=job.rows())
    (stage_file,) = [f for f in jsonl_files(run) if f.endswith("/records.jsonl")]
    dropped = stage_file.replace(".jsonl", ".dropped.jsonl")
    assert set(jsonl_files(run)) == {stage_file, dropped, "final.jsonl"}  # no other copies
    assert [r["id"] for r in read_jsonl(run / "final.jsonl")] == [f"r{i}" for i in range(7)]

    given = tmp_path / "answers.jsonl"
    elsewhere = tmp_path / "other"
    job = Job("shout", ShoutConfig(output=given), out=elsewhere, quiet=True, llm=upper_model())
    await job.run([Stage("shout", shout)], RECORDS)
    summary = job.finish(rows=job.rows(), output=job.config.output)
    assert len(read_jsonl(given)) == 7 and summary["output"] == str(given)
    assert not (elsewhere / "final.jsonl").exists()  # --output given: not both


async def test_out_resumes_and_skips_done_ids(tmp_path):
    run = tmp_path / "run"
    first = Job("shout", ShoutConfig(limit=3), out=run, quiet=True, llm=upper_model())
    await first.run([Stage("shout", shout)], RECORDS)
    assert len(first.rows()) == 3  # limit: only the first N records

    llm = upper_model()
    again = Job("shout", ShoutConfig(), out=run, quiet=True, llm=llm)
    (summary,) = await again.run([Stage("shout", shout)], RECORDS)
    assert (summary.skipped, summary.done, summary.dropped) == (3, 4, 1)
    assert len(llm.calls) == 4  # r0..r2 were done, r7 is dropped without a call
    assert [r["id"] for r in again.rows()] == [f"r{i}" for i in range(7)]
    third = Job("shout", ShoutConfig(), out=run, quiet=True, llm=llm)
    (summary,) = await third.run([Stage("shout", shout)], RECORDS)
    assert (summary.skipped, summary.dropped, len(llm.calls)) == (7, 1, 4)


async def test_shards_split_the_records_and_name_their_files(tmp_path):
    run = tmp_path / "run"
    seen = []
    for i in range(2):
        job = Job("shout", ShoutConfig(shard=f"{i}/2"), out=run, quiet=True, llm=upper_model())
        await job.run([Stage("shout", shout)], RECORDS[:6], file="records.jsonl")
        job.finish(rows=job.rows())
        rows = read_jsonl(run / f"final.shard-{i}-of-2.jsonl", allow_empty=True)
        assert all(shard_of(r["id"], 2) == i for r in rows)
        seen += [r["id"] for r in rows]
        assert (run / f"records.shard-{i}-of-2.jsonl").exists()
    assert sorted(seen) == [f"r{i}" for i in range(6)]
    assert not (run / "final.jsonl").exists()


def test_job_config_parses_the_shared_options():
    assert ShoutConfig(shard="1/4").shard == (1, 4)
    assert ShoutConfig.model_validate({"shard": [0, 2]}).shard == (0, 2)
    with pytest.raises(InputError, match="--shard '4/4'"):
        ShoutConfig(shard="4/4")
    with pytest.raises(ValueError):
        ShoutConfig(shard=(3, 2))
    with pytest.raises(ValueError):
        ShoutConfig(limit=0)
    assert "first N input records" in JobConfig.model_fields["limit"].description


async def test_the_model_is_built_from_the_config_only_when_used(tmp_path, monkeypatch):
    monkeypatch.setenv("LMFORGE_MODEL", "scripted")
    from lmforge.config import get_settings

    get_settings.cache_clear()
    try:
        job = Job("shout", ShoutConfig(), out=tmp_path, quiet=True)
        assert job.config.model == "scripted" and job._llm is None
        await job.run([Stage("shout", shout)], RECORDS[:2])
        assert job.llm is not None and job.llm.spec == "scripted"
    finally:
        get_settings.cache_clear()


def test_benchmark_commands_refuse_ray_instead_of_ignoring_it():
    from pydantic import ValidationError

    from lmforge.evaluation.commands import EvalConfig

    assert EvalConfig.local_only and EvalConfig(name="ifeval").executor == "local"
    with pytest.raises(ValidationError, match="spread it with --shard"):
        EvalConfig(name="ifeval", executor="ray")
