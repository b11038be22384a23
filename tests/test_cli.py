"""The CLI as a user runs it: a subprocess, real exit codes, stdout and stderr."""

import json
import os
import resource
import subprocess
import sys

import pytest

LMFORGE = [sys.executable, "-m", "lmforge.cli"]


def run(*args, timeout=300):
    return subprocess.run(
        LMFORGE + list(args), capture_output=True, text=True, timeout=timeout, env={**os.environ}
    )


def test_help_is_fast_and_lists_commands():
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run("--help")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert result.returncode == 0
    for command in ("models", "generate", "serve-model", "cache", "batch", "merge", "report"):
        assert command in result.stdout
    # The bar is 1 s on a quiet machine. CPU time, not wall time: a loaded CI machine
    # (2 cores, load 10-30) stretches the wall clock, not the work (0.15 CPU-s here).
    assert cpu < 1.0, f"--help took {cpu:.2f} CPU-s"
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import lmforge.entry, sys; lmforge.entry.build_app(); print(sorted(m for m in "
            "('torch','transformers','xllamacpp','httpx','matplotlib','nltk','numpy') "
            "if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "[]"


def test_benchmarks_lists_every_system_benchmark():
    out = run("benchmarks").stdout
    names = ("ifeval", "followbench", "rmbench", "longbench_write", "longwrite_ruler", "leceval")
    listed = [line.partition(":")[0] for line in out.splitlines()]
    for name in names:
        assert name in listed, out
    assert len(listed) == len(set(listed))  # one line each


def test_models_lists_every_spec():
    out = run("models").stdout
    for spec in ("embedded", "embedded-tiny", "openai:NAME@URL", "hf:PATH", "scripted"):
        assert spec in out


def test_generate_prints_a_real_completion():
    result = run("generate", "--no-cache", "--max-tokens", "20", "Say hello in French")
    assert result.returncode == 0, result.stderr
    assert "bonjour" in result.stdout.lower()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"prompt": "a"}\n{"prompt": "b"\n', ":2: invalid JSON"),
        (b'{"prompt": "a"}\n{"text": "b"}\n', ":2: missing fields: need prompt or messages"),
        (b"", ": file is empty"),
        (b'{"prompt": "a"}\n{"prompt": "\xff"}\n', ":2: not UTF-8 (byte 0xff"),
    ],
    ids=["broken-line", "missing-field", "empty-file", "non-utf8"],
)
def test_bad_input_is_one_line_exit_2(tmp_path, content, message):
    bad = tmp_path / "in.jsonl"
    bad.write_bytes(content)
    result = run("batch", "--model", "scripted", "--input", str(bad), "--out", str(tmp_path / "r"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {bad}") and message in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r" / "records.jsonl").exists()  # nothing ran


def test_batch_resume_shards_and_merge(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "prompt": f"p{i}"}) + "\n" for i in range(9)))
    out = tmp_path / "run"
    for i in range(3):
        result = run(
            "batch", "-m", "scripted", "-i", str(src), "--out", str(out), "--shard", f"{i}/3", "-q"
        )
        assert result.returncode == 0, result.stderr
    merged = tmp_path / "all.jsonl"
    result = run("merge", str(out), "-o", str(merged))
    assert result.returncode == 0 and "9 records" in result.stdout
    rows = [json.loads(line) for line in merged.read_text().splitlines()]
    assert sorted(r["id"] for r in rows) == [str(i) for i in range(9)]
    assert all(r["response"] == "OK" for r in rows)
    bad_shard = run("batch", "-m", "scripted", "-i", str(src), "--shard", "3/3")
    assert bad_shard.returncode == 2 and "--shard '3/3'" in bad_shard.stderr


def test_cache_stats_and_clear(tmp_path):
    env_cache = os.environ["LMFORGE_CACHE_PATH"]
    assert run("generate", "-m", "embedded-tiny", "--max-tokens", "4", "Hi").returncode == 0
    stats = run("cache", "stats").stdout
    assert f"path: {env_cache}" in stats and "entries: 1" in stats and "embedded-tiny: 1" in stats
    assert run("cache", "clear").stdout.strip() == "deleted: 1"


def test_unknown_model_spec_is_one_line(tmp_path):
    result = run("generate", "--model", "nope", "hi")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: unknown model spec 'nope'")


def test_usage_errors_exit_2_without_traceback():
    result = run("batch", "--bogus")
    assert result.returncode == 2
    assert "No such option: --bogus" in result.stderr and "Traceback" not in result.stderr
