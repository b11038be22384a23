"""One end-to-end case with a real pretrained teacher: SmolLM2-135M (``hf:embedded-tiny``)."""

import torch

from lmforge.distill import ExtractConfig, LogitStore, ModelSize, TrainConfig, extract, train


def test_embedded_tiny_teacher_store_and_kd_steps(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        '{"text": "The capital of France is Paris. The capital of Italy is Rome."}\n'
        '{"text": "The capital of Spain is Madrid. The capital of Germany is Berlin."}\n'
        '{"text": "Water boils at 100 degrees Celsius and freezes at 0 degrees Celsius."}\n'
    )
    figures = extract(
        ExtractConfig(
            input=corpus,
            store=tmp_path / "s",
            teacher="hf:embedded-tiny",
            top_p=0.95,
            top_k=50,
            window=12,
            windows_per_shard=1,
        ),
        quiet=True,
    )
    store = LogitStore(tmp_path / "s")
    assert figures["complete"] and len(store) >= 3
    assert store.vocab_size == 49152 and store.manifest["id_dtype"] == "uint16"
    # a trained model is sharp where a random one is flat: after "capital of" few ids carry 95%
    assert figures["kept_per_token"] < 45
    tokens, targets = store.targets([0])
    assert torch.allclose(targets.logq.exp().nansum(-1), torch.ones_like(targets.tail), atol=1e-3)
    out = train(
        TrainConfig(
            store=tmp_path / "s",
            student=ModelSize(hidden=16, layers=1, heads=2),
            steps=5,
            batch_size=2,
            eval_fraction=0.4,
            alpha={"alpha_max": 0.9},
        ),
        out=tmp_path / "run",
        quiet=True,
    )
    assert out["steps"] == 5 and out["eval_ppl"] > 1
