"""``--shard i/3`` in three processes at once, sharing one run folder (as a Slurm array or a
Kubernetes indexed job runs them), then ``lmforge merge``: the same rows as one run."""

import json
import subprocess
import sys

LMFORGE = [sys.executable, "-m", "lmforge.cli"]


def test_three_shard_processes_merge_to_the_single_run(tmp_path):
    src = tmp_path / "in.jsonl"
    rows = [{"id": f"r{i}", "prompt": f"question {i}"} for i in range(30)]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    job = [*LMFORGE, "batch", "-m", "scripted", "-i", str(src), "-q"]
    shards = tmp_path / "shards"
    procs = [
        subprocess.Popen(
            [*job, "--out", str(shards), "--shard", f"{i}/3"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    single = subprocess.run([*job, "--out", str(tmp_path / "single")], capture_output=True)
    assert single.returncode == 0, single.stderr
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    parts = sorted(p.name for p in shards.glob("records.shard-*-of-3.jsonl"))
    assert parts == [f"records.shard-{i}-of-3.jsonl" for i in range(3)]
    assert all((shards / p).stat().st_size > 0 for p in parts)  # 30 ids do reach every shard

    merged = tmp_path / "merged.jsonl"
    merge = [*LMFORGE, "merge", str(shards), "-o", str(merged), "--order", str(src)]
    result = subprocess.run(merge, capture_output=True, text=True)
    assert result.returncode == 0 and "30 records, 0 duplicates" in result.stdout, result.stderr
    assert merged.read_bytes() == (tmp_path / "single" / "records.jsonl").read_bytes()
    unordered = tmp_path / "unordered.jsonl"  # without --order: shard after shard, same rows
    subprocess.run([*LMFORGE, "merge", str(shards), "-o", str(unordered)], check=True)
    assert sorted(unordered.read_bytes().splitlines()) == sorted(merged.read_bytes().splitlines())
    summary = json.loads((shards / "summary.json").read_text())
    assert (summary["total"], summary["done"], summary["failed"]) == (30, 30, 0)
