import json

import numpy as np
import pytest
import torch

from lmforge.distill import ExtractConfig, LogitStore, extract, kept_counts, load_teacher
from lmforge.distill.extraction import tokenize_corpus
from lmforge.distill.store import decode_values, encode_values
from lmforge.errors import InputError


def shard_bytes(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.glob("shard-*/*.npy"))
    }


def test_store_round_trip_is_bit_exact(tmp_path, corpus):
    """float32 values: what the teacher gave, truncated, comes back bit for bit."""
    cfg = ExtractConfig(
        input=corpus,
        store=tmp_path / "s",
        top_p=0.8,
        top_k=6,
        window=16,
        windows_per_shard=5,
        value_dtype="float32",
    )
    extract(cfg, quiet=True)
    store = LogitStore(cfg.store)
    teacher = load_teacher("tiny:0")
    windows = tokenize_corpus(corpus, teacher.tokenizer, 16, None)
    assert len(store) == len(windows) and store.manifest["complete"]
    values, ids = teacher.top_logprobs(windows[:7], 6)
    counts = kept_counts(values, 0.8, 6)
    for w in range(7):
        tokens, rows = store.rows(w)
        assert np.array_equal(tokens, windows[w])
        for j, (row_ids, row_vals) in enumerate(rows):
            n = int(counts[w, j])
            assert np.array_equal(row_ids, ids[w, j, :n].numpy())
            assert row_vals.tobytes() == values[w, j, :n].numpy().tobytes()


def test_value_dtypes_round_trip():
    x = np.array([-0.0, -1.5, -3.25, -17.0, -1e-3], dtype=np.float32)
    for dtype in ("float16", "bfloat16", "float32"):
        back = decode_values(encode_values(x, dtype), dtype)
        assert np.array_equal(back, decode_values(encode_values(back, dtype), dtype))  # stable
        assert np.allclose(back, x, rtol=1e-2)
    assert np.array_equal(decode_values(encode_values(x, "float32"), "float32"), x)


def test_killed_extraction_resumes_to_the_same_bytes(tmp_path, corpus, store):
    cfg = ExtractConfig(
        input=corpus, store=tmp_path / "s", top_p=0.9, top_k=8, window=16, windows_per_shard=8
    )

    def kill(index):
        if index == 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        extract(cfg, quiet=True, on_shard=kill)
    manifest = json.loads((cfg.store / "store.json").read_text())
    assert [s["name"] for s in manifest["shards"]] == ["shard-00000"] and not manifest["complete"]
    figures = extract(cfg, quiet=True)
    assert figures["shards_resumed"] == 1 and figures["complete"]
    assert shard_bytes(cfg.store) == shard_bytes(store)  # the uninterrupted session store
    assert len(shard_bytes(store)) >= 8  # at least two shards, four arrays each


def test_resume_with_other_settings_is_refused(tmp_path, corpus, store):
    import shutil

    copy = tmp_path / "s"
    shutil.copytree(store, copy)
    with pytest.raises(InputError, match="other settings"):
        extract(
            ExtractConfig(
                input=corpus, store=copy, top_p=0.9, top_k=9, window=16, windows_per_shard=8
            ),
            quiet=True,
        )


def test_temperature_and_retruncation_at_load_time(store):
    s = LogitStore(store)
    _, t1 = s.targets([0, 1, 2])
    _, t2 = s.targets([0, 1, 2], tau=2.0)
    assert t1.mask.all()
    for t in (t1, t2):  # renormalised rows sum to 1
        assert torch.allclose(t.logq.exp().sum(-1), torch.ones(3, 15), atol=1e-5)
    _, rows = s.rows(1)
    ids, vals = rows[4]
    want = torch.log_softmax(torch.from_numpy(vals) / 2.0, -1)
    assert torch.allclose(t2.logq[1, 4, : len(ids)], want, atol=1e-6)
    assert torch.equal(t2.ids[1, 4, : len(ids)], torch.from_numpy(ids))
    tail = 1 - np.exp(vals.astype(np.float64)).sum()
    assert abs(float(t1.tail[1, 4]) - tail) < 1e-5
    _, t3 = s.targets([0, 1, 2], k=3, p=0.5)
    kept = torch.isfinite(t3.logq).sum(-1)
    assert kept.max() <= 3 and torch.equal(t3.ids[..., :1], t1.ids[..., :1])


def test_not_a_store_is_one_input_error(tmp_path):
    with pytest.raises(InputError, match="not a logit store"):
        LogitStore(tmp_path)
