import math

import pytest
import torch

from lmforge.distill import kept_counts, top_k_logprobs


def test_worked_example_top_p_then_top_k():
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    lp = probs.log()
    assert kept_counts(lp, 0.9, 4).tolist() == [3]  # 0.5 + 0.3 < 0.9 <= 0.95
    assert kept_counts(lp, 0.75, 4).tolist() == [2]  # 0.5 < 0.75 <= 0.8
    assert kept_counts(lp, 0.9, 2).tolist() == [2]  # the k cap
    assert kept_counts(lp, None, 3).tolist() == [3]  # top-k only
    assert kept_counts(lp, 0.4, 4).tolist() == [1]


@pytest.mark.parametrize("p,k", [(0.5, 10), (0.95, 50), (0.95, 5), (0.99, 3)])
def test_keeps_at_most_k_and_at_least_p_or_all_k(p, k):
    gen = torch.Generator().manual_seed(0)
    # rows from very sharp to very flat
    scale = torch.logspace(-1, 1.5, 64)[:, None]
    logits = torch.randn(64, 300, generator=gen) * scale
    values, ids = top_k_logprobs(logits, k)
    counts = kept_counts(values, p, k)
    assert (counts >= 1).all() and (counts <= k).all()
    mass = torch.stack([values[i, : counts[i]].double().exp().sum() for i in range(64)])
    assert ((mass >= p) | (counts == k)).all()
    # minimal: one id fewer would not reach p
    fewer = torch.stack([values[i, : counts[i] - 1].double().exp().sum() for i in range(64)])
    assert (fewer < p).all()
    # the ids are the teacher's most likely, in order
    assert torch.equal(ids[:, 0], logits.argmax(-1))
    assert (values[:, :-1] >= values[:, 1:]).all()
    assert math.isclose(float(torch.log_softmax(logits, -1)[0, ids[0, 0]]), float(values[0, 0]))
