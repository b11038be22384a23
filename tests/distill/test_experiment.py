"""The design-space experiment's axes: student size, offline vs online logits, k/p/tau rows, and
a table whose every row names its LM-only baseline (same student size and LR shape)."""

import json

import pydantic
import pytest

from lmforge.distill.experiments import DEFAULT_VARIANTS, ExperimentConfig, experiment

BEST = {"lr": "wsd", "alpha": {"shape": "wsd", "alpha_max": 0.9}}
SMALL = {"hidden": 16, "layers": 1, "heads": 2}


def tiny_grid(**kw) -> ExperimentConfig:
    base = dict(
        vocab_size=200,
        window=16,
        max_windows=200,
        teacher={"hidden": 32, "layers": 2, "heads": 2},
        teacher_steps=40,
        teacher_lr=5e-3,
        student={"hidden": 24, "layers": 1, "heads": 2},
        steps=15,
        batch_size=8,
        lr=5e-3,
        seeds=[0],
        online_fraction=0.2,
        variants=[
            {"name": "LM", "lr": "wsd"},
            {"name": "KD k=10", "top_k": 10, **BEST},
            {"name": "KD early", "logits": "online_early", **BEST},
            {"name": "KD late", "logits": "online_late", **BEST},
            {"name": "KD cos", "lr": "cosine", "alpha": {"alpha_max": 1.0}},
            {"name": "LM small", "lr": "wsd", "student": SMALL},
            {"name": "KD small", "student": SMALL, **BEST},
        ],
    )
    return ExperimentConfig(**{**base, **kw})


def test_rows_of_each_size_and_logits_source_meet_their_own_baseline(tmp_path):
    out = tmp_path / "run"
    experiment(tiny_grid(), out=out, quiet=True)
    table = {r["variant"]: r for r in json.loads((out / "table.json").read_text())}
    assert table["KD k=10"]["baseline"] == "LM"
    assert table["KD small"]["baseline"] == "LM small"
    assert table["KD cos"]["baseline"] is None and table["KD cos"]["delta"] is None  # no cos LM
    assert table["LM small"]["parameters"] < table["LM"]["parameters"]
    assert table["KD small"]["student"] == "hidden 16, 1 layers, 2 heads"
    # the online store holds the teacher's first and last 20% of steps, one range per shard
    manifest = json.loads((out / "online" / "store.json").read_text())
    assert [s["teacher_steps"] for s in manifest["shards"]] == [[0, 7], [32, 39]]
    # records of the unconverged teacher pull the student away from the final teacher
    assert table["KD late"]["kl_teacher"] < 0.8 * table["KD early"]["kl_teacher"]
    text = (out / "table.md").read_text()
    assert text.index("**Student hidden 24") < text.index("**Student hidden 16")
    assert "| KD small | offline |" in text.split("**Student hidden 16")[1]
    # a rerun resumes: nothing is trained again
    results = (out / "results.jsonl").read_text()
    teacher = (out / "teacher.json").stat().st_mtime_ns
    experiment(tiny_grid(), out=out, quiet=True)
    assert (out / "results.jsonl").read_text() == results
    assert (out / "teacher.json").stat().st_mtime_ns == teacher


def test_the_default_grid_sweeps_tau_k_p_and_online_logits():
    rows = DEFAULT_VARIANTS
    assert {v.tau for v in rows} >= {0.5, 1.0, 2.0}
    assert any(v.top_k for v in rows) and any(v.top_p for v in rows)
    assert {v.logits for v in rows} == {"offline", "online_early", "online_late"}


def test_variant_names_must_be_unique():
    with pytest.raises(pydantic.ValidationError, match="unique"):
        tiny_grid(variants=[{"name": "LM"}, {"name": "LM", "lr": "wsd"}])
