import math

import pytest
import torch

from lmforge.distill import combined_loss, kd_loss, teacher_entropy
from lmforge.distill.store import Targets


def make(b=2, t=5, v=11, k=4, seed=0):
    """Student logits [B, T+1, V], targets with k kept ids from a random teacher."""
    g = torch.Generator().manual_seed(seed)
    student = torch.randn(b, t + 1, v, generator=g) * 2
    teacher = torch.randn(b, t, v, generator=g) * 2
    lp = torch.log_softmax(teacher, -1)
    vals, ids = torch.topk(lp, k, -1)
    vals[0, 0, 2:] = float("-inf")  # a ragged row: two kept ids
    ids[0, 0, 2:] = 0
    logq = torch.log_softmax(vals, -1)
    tail = 1 - vals.exp().sum(-1)
    return student, Targets(ids=ids, logq=logq, mask=torch.ones(b, t, dtype=torch.bool), tail=tail)


def dense_q(tg, v):
    q = torch.zeros(*tg.ids.shape[:2], v)
    return q.scatter_add(-1, tg.ids, torch.nan_to_num(tg.logq.exp(), 0.0))


def test_kld_minus_soft_ce_is_minus_the_teacher_entropy():
    s, tg = make()
    nll = kd_loss(s, tg, "nll", reduce=False)
    kld = kd_loss(s, tg, "kld", reduce=False)
    assert torch.allclose(nll - kld, teacher_entropy(tg), atol=1e-5)  # CE - KL = H(q)
    q = dense_q(tg, 11)
    logp = torch.log_softmax(s[:, :-1], -1)
    assert torch.allclose(nll, -(q * logp).sum(-1), atol=1e-5)


def test_losses_match_their_dense_definitions():
    s, tg = make()
    q = dense_q(tg, 11)
    p = torch.softmax(s[:, :-1], -1)
    kept = q > 0
    pr = torch.where(kept, p, 0) / torch.where(kept, p, 0).sum(-1, keepdim=True)
    lq = torch.log(q.clamp(min=1e-30))
    kl_r = torch.where(kept, q * (lq - torch.log(pr.clamp(min=1e-30))), 0).sum(-1)
    assert torch.allclose(kd_loss(s, tg, "kld_renorm", reduce=False), kl_r, atol=1e-5)
    rkl = torch.where(kept, pr * (torch.log(pr.clamp(min=1e-30)) - lq), 0).sum(-1)
    assert torch.allclose(kd_loss(s, tg, "reverse_kl", reduce=False), rkl, atol=1e-5)
    assert torch.allclose(kd_loss(s, tg, "mse", reduce=False), ((p - q) ** 2).sum(-1), atol=1e-5)
    m = (p + q) / 2
    xlog = lambda a, b: torch.where(a > 0, a * (torch.log(a.clamp(min=1e-30)) - torch.log(b)), 0)  # noqa: E731
    jsd = 0.5 * xlog(q, m).sum(-1) + 0.5 * xlog(p, m).sum(-1)
    assert torch.allclose(kd_loss(s, tg, "jsd", reduce=False), jsd, atol=1e-5)
    assert (jsd <= math.log(2) + 1e-6).all()


def test_tail_bucket_matches_the_teacher_with_its_tail():
    """Bucket mode = CE against the teacher's true kept masses plus one tail outcome."""
    s, tg = make()
    logp = torch.log_softmax(s[:, :-1], -1)
    q_true = tg.logq.exp().nan_to_num(0) * (1 - tg.tail)[..., None]
    p_kept = logp.gather(-1, tg.ids).exp() * torch.isfinite(tg.logq)
    want = -(q_true * logp.gather(-1, tg.ids)).sum(-1) - tg.tail * torch.log(1 - p_kept.sum(-1))
    got = kd_loss(s, tg, "nll", tail="bucket", reduce=False)
    assert torch.allclose(got, want, atol=1e-5)
    kl = kd_loss(s, tg, "kld", tail="bucket", reduce=False)
    assert (kl >= -1e-6).all() and (kl < got).all()


def test_student_equal_to_teacher_gives_zero_divergence():
    s, tg = make(k=11)  # all ids kept: the truncated teacher is the full teacher
    s[:, :-1] = torch.where(torch.isfinite(tg.logq), tg.logq, -1e4).scatter(
        -1, tg.ids, tg.logq.nan_to_num(-1e4, neginf=-1e4)
    )
    for kind in ("kld", "kld_renorm", "reverse_kl", "jsd", "mse"):
        assert float(kd_loss(s, tg, kind)) == pytest.approx(0.0, abs=1e-4), kind


def test_gradients_are_finite_with_padding_and_masks():
    s, tg = make()
    tg.mask[1, 3] = False
    for kind in ("nll", "kld", "kld_renorm", "mse", "reverse_kl", "jsd"):
        x = s.clone().requires_grad_(True)
        kd_loss(x, tg, kind).backward()
        assert torch.isfinite(x.grad).all(), kind
        assert x.grad[1, 3].abs().sum() == 0, kind  # an unmasked position only


def test_combined_loss_mix():
    lm, kd = torch.tensor(2.0), torch.tensor(4.0)
    assert float(combined_loss(lm, kd, 0.9)) == pytest.approx(0.1 * 2 + 0.9 * 4)
    assert combined_loss(lm, kd, 0.0) is lm and combined_loss(lm, kd, 1.0) is kd


def test_shared_log_softmax_gives_the_same_losses():
    from lmforge.distill import lm_loss
    from lmforge.distill.losses import lm_and_kd

    s, tg = make()
    tokens = torch.randint(0, 11, (2, 6), generator=torch.Generator().manual_seed(1))
    for kind in ("nll", "kld", "jsd", "mse"):
        lm, kd = lm_and_kd(s, tokens, tg, kind)
        assert torch.allclose(lm, lm_loss(s, tokens), atol=1e-6)
        assert torch.allclose(kd, kd_loss(s, tg, kind), atol=1e-6)
    lm, kd = lm_and_kd(s, tokens, tg, "nll", student_tau=2.0)
    assert torch.allclose(kd, kd_loss(s, tg, "nll", student_tau=2.0), atol=1e-6)
