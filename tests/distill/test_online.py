"""Online logits: a teacher's targets recorded while it trains, used early vs late."""

import json

import numpy as np
import torch

from lmforge.distill import (
    ExtractConfig,
    LogitStore,
    ModelSize,
    OnlineRecorder,
    TrainConfig,
    extract,
    lm_loss,
    load_teacher,
)
from lmforge.distill.extraction import tokenize_corpus
from lmforge.distill.trainer import train_student
from lmforge.pipeline.rundir import RunDir


def test_students_on_late_records_are_closer_to_the_final_teacher(tmp_path, corpus):
    teacher = load_teacher("tiny:1")
    model = teacher.model.train()
    windows = tokenize_corpus(corpus, teacher.tokenizer, 16, None)
    rec = OnlineRecorder(
        tmp_path / "online",
        tokenizer=teacher.tokenizer,
        vocab_size=teacher.vocab_size,
        window=16,
        top_k=8,
        steps_per_shard=10,
    )
    optim = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for step in range(40):
        batch = windows[np.random.default_rng(step).choice(len(windows), 8)]
        tokens = torch.from_numpy(batch.astype(np.int64))
        logits = model(input_ids=tokens).logits
        rec.record(step, batch, logits)
        lm_loss(logits, tokens).backward()
        optim.step()
        optim.zero_grad()
    rec.close()
    manifest = json.loads((tmp_path / "online" / "store.json").read_text())
    assert [s["teacher_steps"] for s in manifest["shards"]] == [
        [0, 9],
        [10, 19],
        [20, 29],
        [30, 39],
    ]
    assert len(LogitStore(tmp_path / "online")) == 40 * 8
    # the final teacher's offline store is the yardstick
    teacher.model.eval()
    import lmforge.distill.extraction as ex

    final = tmp_path / "final"
    original = ex.load_teacher_for
    ex.load_teacher_for = lambda cfg: teacher
    try:
        extract(ExtractConfig(input=corpus, store=final, top_k=8, window=16), quiet=True)
    finally:
        ex.load_teacher_for = original
    kl = {}
    for name, steps in (("early", (0, 9)), ("late", (30, 39))):
        cfg = TrainConfig(
            store=tmp_path / "online",
            eval_store=final,
            teacher_steps=steps,
            student=ModelSize(hidden=32, layers=1, heads=2),
            steps=30,
            batch_size=8,
            alpha={"alpha_max": 1.0},
            loss="kld",
            eval_fraction=0.3,
            lr={"shape": "constant", "peak": 5e-3},
        )
        _, figures = train_student(cfg, RunDir(tmp_path / name))
        kl[name] = figures["eval_kl_teacher"]
    assert kl["late"] < kl["early"]
