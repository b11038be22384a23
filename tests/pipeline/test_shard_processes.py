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
    result = subprocess.run(
        [*LMFORGE, "merge", str(shards), "-o", str(merged)], capture_output=True, text=True
    )
    assert result.returncode == 0 and "30 records, 0 duplicates" in result.stdout, result.stderr
    want = (tmp_path / "single" / "records.jsonl").read_bytes().splitlines(keepends=True)
    got = merged.read_bytes().splitlines(keepends=True)
    # merge writes shard after shard (it is not given the input, so not its order): put its
    # lines in input order, then they must be the single run's bytes, line for line
    by_id = {json.loads(line)["id"]: line for line in got}
    assert len(by_id) == len(got) == 30
    assert b"".join(by_id[r["id"]] for r in rows) == b"".join(want)
    summary = json.loads((shards / "summary.json").read_text())
    assert (summary["total"], summary["done"], summary["failed"]) == (30, 30, 0)
