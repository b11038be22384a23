import json
from pathlib import Path

import pytest
import torch

from lmforge.distill import LogitStore, ModelSize, TrainConfig, train
from lmforge.distill.trainer import train_student
from lmforge.pipeline.rundir import RunDir


def cfg(store, **kw):
    base = dict(
        store=store,
        student=ModelSize(hidden=32, layers=1, heads=2),
        steps=30,
        batch_size=8,
        eval_fraction=0.2,
        lr={"peak": 5e-3, "shape": "constant"},
    )
    return TrainConfig(**{**base, **kw})


def test_a_kd_student_moves_toward_the_teacher(store, tmp_path):
    """KL(teacher || student) on held-out windows falls much more with KD than with LM only."""
    lm = train(cfg(store, alpha={"alpha_max": 0.0}), out=tmp_path / "lm", quiet=True)
    kd = train(cfg(store, alpha={"alpha_max": 1.0}, loss="kld"), out=tmp_path / "kd", quiet=True)
    assert kd["eval_kl_teacher"] < 0.7 * lm["eval_kl_teacher"]
    assert lm["eval_ppl"] < kd["eval_ppl"]  # the random teacher is no language model
    rows = [json.loads(x) for x in (tmp_path / "kd" / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 30 and rows[-1]["kd"] < rows[0]["kd"]
    assert (tmp_path / "kd" / "student" / "config.json").is_file()
    assert json.loads((tmp_path / "kd" / "summary.json").read_text())["eval_ppl"] == kd["eval_ppl"]


def test_resume_from_a_checkpoint_gives_the_uninterrupted_weights(store, tmp_path, monkeypatch):
    import pytest

    import lmforge.distill.trainer as trainer

    c = cfg(
        store,
        steps=6,
        save_every=3,
        alpha={"shape": "wsd", "alpha_max": 0.9},
        loss="jsd",
        grad_accum=2,
        lr={"shape": "cosine", "peak": 5e-3},
    )
    full, _ = train_student(c, RunDir(tmp_path / "full"))
    real_step = trainer._step

    def killed_at_4(model, store, cfg, step, *a):
        if step == 4:  # after the checkpoint of step 3 and one more logged update
            raise KeyboardInterrupt
        return real_step(model, store, cfg, step, *a)

    monkeypatch.setattr(trainer, "_step", killed_at_4)
    with pytest.raises(KeyboardInterrupt):
        train_student(c, RunDir(tmp_path / "part"))
    monkeypatch.setattr(trainer, "_step", real_step)
    assert torch.load(tmp_path / "part" / "checkpoint.pt", weights_only=True)["step"] == 3
    resumed, figures = train_student(c, RunDir(tmp_path / "part"))
    assert figures["resumed_at"] == 3
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    steps = [
        json.loads(x)["step"]
        for x in (tmp_path / "part" / "metrics.jsonl").read_text().splitlines()
    ]
    assert steps == list(range(6))  # every step logged once


def cli(*args):
    from lmforge.cli import main

    try:
        main(list(args))
    except SystemExit as exc:
        assert exc.code in (0, None)


def test_cli_extract_inspect_train(corpus, tmp_path, capsys):

    s = tmp_path / "store"
    cli(
        "distill",
        "extract",
        "-i",
        str(corpus),
        "--store",
        str(s),
        "-k",
        "5",
        "-p",
        "0.9",
        "--window",
        "16",
        "--value-dtype",
        "bfloat16",
        "-q",
    )
    out = capsys.readouterr().out
    assert "bytes_per_token:" in out and "kept ids per token:" in out
    cli("distill", "inspect", str(s))
    out = capsys.readouterr().out
    figures = dict(
        line.split(": ", 1) for line in out.splitlines() if ": " in line and line[0] != " "
    )
    store = LogitStore(s)
    kept = float(figures["kept_per_token"])
    assert 1 <= kept <= 5 and store.manifest["id_dtype"] == "uint16"
    # ids (2 B) + bfloat16 values (2 B) per kept id, plus one int64 offset per position
    assert abs(float(figures["bytes_per_token"]) - (4 * kept + 8)) < 0.1
    assert float(figures["ratio_to_dense"]) > 1
    cli(
        "distill",
        "train",
        "--store",
        str(s),
        "--steps",
        "3",
        "--batch-size",
        "4",
        "--set",
        "alpha.alpha_max=0.5",
        "--set",
        "student.hidden=16",
        "--out",
        str(tmp_path / "r"),
    )
    assert "eval_ppl:" in capsys.readouterr().out


@pytest.mark.slow
def test_two_processes_train_one_model_like_one_process(store, tmp_path):
    """torchrun, 2 CPU processes (gloo): each rank trains on half of every batch; both end with
    the same weights, which match a one-process run on the whole batches; the loss falls."""
    import subprocess
    import sys

    c = cfg(store, steps=12, grad_accum=2, alpha={"shape": "wsd", "alpha_max": 0.9}, loss="kld")
    (tmp_path / "cfg.json").write_text(c.model_dump_json())
    worker = Path(__file__).with_name("ddp_worker.py")
    torchrun = Path(sys.executable).with_name("torchrun")
    args = [str(torchrun), "--standalone", "--nproc_per_node", "2", str(worker)]
    args += [str(tmp_path / "cfg.json"), str(tmp_path / "ddp")]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rank0, rank1 = (torch.load(tmp_path / "ddp" / f"rank{i}.pt") for i in (0, 1))
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)
    single, _ = train_student(c, RunDir(tmp_path / "one"))
    ref = single.state_dict()
    assert all(torch.allclose(rank0[k], ref[k], atol=1e-4) for k in ref)
    rows = [json.loads(x) for x in (tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 12 and rows[-1]["lm"] < rows[0]["lm"]


def test_a_batch_that_does_not_split_over_the_processes_is_refused(store, tmp_path):
    from lmforge.errors import ConfigError

    ddp = Path(__file__).resolve().parents[2] / "examples" / "accelerate" / "ddp-4gpu.yaml"
    c = cfg(store, batch_size=6, accelerate_config=ddp)
    with pytest.raises(ConfigError, match="batch_size 6 does not divide by 4 processes"):
        train(c, out=tmp_path / "o")
    plan = train(c.model_copy(update={"batch_size": 8}), out=tmp_path / "o")
    assert "4 processes" in plan["distributed"] and "distill train" in plan["command"]
