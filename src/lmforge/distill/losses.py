"""KD losses over stored top-p-k targets, and the paper's mix ``(1 - alpha) LM + alpha KD``.

Every loss is per target position, averaged over the positions that have a target. ``p`` is the
student's full-vocabulary softmax (optionally at ``student_tau``), ``q`` the processed teacher
``F(z) = softmax(z_kept / tau)`` over the kept ids (zero elsewhere), ``p~`` the student
renormalised over the kept ids:

- ``nll``  soft cross-entropy ``-sum_i q_i log p_i`` (the paper's "NLL");
- ``kld``  ``sum_i q_i (log q_i - log p_i)``: equals ``nll - H(q)``, so the same gradient, a
  documented sanity check (spec 1.1);
- ``kld_renorm``  KL(q || p~): the student renormalised over the kept ids, one plausible reading
  of why the paper's NLL and KLD rows differ;
- ``mse``  ``sum_v (p_v - q_v)^2`` over the whole vocabulary, on probabilities;
- ``reverse_kl``  KL(p~ || q): over the kept ids only (q is zero outside them, so a
  full-vocabulary reverse KL would be infinite);
- ``jsd``  the full-vocabulary Jensen-Shannon divergence with m = (p + q) / 2; outside the kept ids
  q = 0 and each id adds ``p_v log 2 / 2``, summed in closed form from the student's tail mass.

Tail mass (the teacher's probability outside the kept ids): ``tail="renormalize"`` (default, the
paper's F) gives it to the kept ids; ``tail="bucket"`` (``nll``/``kld`` only) keeps it as one extra
outcome, teacher mass ``tail`` against the student's mass outside the kept ids, the kept ids then
carrying ``(1 - tail) * q``. The stored tail is the temperature-1 one; at another tau the bucket
keeps that mass (an approximation; exact at tau = 1). No ``tau^2`` factor is applied: the paper
mixes the raw KD loss with the LM loss through alpha alone.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from lmforge.errors import ConfigError

if TYPE_CHECKING:
    import torch

    from .store import Targets

__all__ = [
    "KD_LOSSES",
    "Loss",
    "combined_loss",
    "kd_loss",
    "lm_and_kd",
    "lm_loss",
    "teacher_entropy",
]

Loss = Literal["nll", "kld", "kld_renorm", "mse", "reverse_kl", "jsd"]
KD_LOSSES: tuple[str, ...] = ("nll", "kld", "kld_renorm", "mse", "reverse_kl", "jsd")


def _xlogx(logq: torch.Tensor) -> torch.Tensor:
    """q log q with 0 log 0 = 0 (padding has log q = -inf)."""
    import torch

    return torch.where(torch.isfinite(logq), logq.exp() * logq, torch.zeros_like(logq))


def teacher_entropy(targets: Targets) -> torch.Tensor:
    """H(q) per position [B, T] of the processed teacher distribution."""
    return -_xlogx(targets.logq).sum(-1)


def lm_loss(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy: logits [B, L, V] (row j predicts token j+1)."""
    import torch.nn.functional as F

    return F.cross_entropy(logits[:, :-1].flatten(0, 1).float(), tokens[:, 1:].flatten())


def _per_position(logp: torch.Tensor, targets: Targets, kind: str, tail: str) -> torch.Tensor:
    import torch

    logq = targets.logq
    kept = torch.isfinite(logq)
    q = logq.exp()
    logp_kept = logp.gather(-1, targets.ids)
    p_kept = (logp_kept.exp() * kept).sum(-1)
    if tail == "bucket":
        if kind not in ("nll", "kld"):
            raise ConfigError(f"tail=bucket is defined for nll and kld only, not {kind}")
        t = targets.tail.clamp(0.0, 1.0)
        log_rest = torch.log1p(-p_kept.clamp(max=1 - 1e-6))
        ce = -((1 - t) * (q * logp_kept).where(kept, 0.0).sum(-1) + t * log_rest)
        if kind == "nll":
            return ce
        neg_h = (1 - t) * (
            _xlogx(logq).sum(-1) + torch.log1p(-t.clamp(max=1 - 1e-6))
        ) + t * torch.log(t.clamp(min=1e-12))
        return ce + neg_h
    if kind in ("nll", "kld"):
        ce = -(q * logp_kept).where(kept, 0.0).sum(-1)
        return ce if kind == "nll" else ce + _xlogx(logq).sum(-1)
    if kind in ("kld_renorm", "reverse_kl"):
        logp_r = torch.log_softmax(logp_kept.masked_fill(~kept, float("-inf")), dim=-1)
        # finite stand-ins on padding, so that 0 * (-inf) never reaches the backward pass
        logp_r, safe_logq = logp_r.masked_fill(~kept, 0.0), logq.masked_fill(~kept, 0.0)
        if kind == "kld_renorm":
            return (q * (safe_logq - logp_r) * kept).sum(-1)
        return (logp_r.exp() * (logp_r - safe_logq) * kept).sum(-1)
    if kind == "mse":
        p_sq = logp.exp().pow(2).sum(-1)
        pk = logp_kept.exp()
        return p_sq + ((q * q - 2 * pk * q) * kept).sum(-1)
    if kind == "jsd":
        pk = logp_kept.exp()
        m = 0.5 * (pk + q)
        log_m = torch.log(m.clamp(min=1e-30))
        inside = 0.5 * (q * (logq - log_m)).where(kept, 0.0) + 0.5 * (
            pk * (logp_kept - log_m)
        ).where(kept, 0.0)
        return inside.sum(-1) + 0.5 * math.log(2.0) * (1.0 - p_kept).clamp(min=0.0)
    raise ConfigError(f"unknown KD loss {kind!r} (one of {', '.join(KD_LOSSES)})")


def kd_loss(
    logits: torch.Tensor,
    targets: Targets,
    kind: str = "nll",
    *,
    tail: Literal["renormalize", "bucket"] = "renormalize",
    student_tau: float = 1.0,
    reduce: bool = True,
) -> torch.Tensor:
    """The KD term: student logits [B, L, V] against targets [B, L-1, K], mean over targeted
    positions (``reduce=False``: per position [B, L-1], zero where there is no target)."""
    import torch

    logp = torch.log_softmax(logits[:, :-1].float() / student_tau, dim=-1)
    per = _per_position(logp, targets, kind, tail) * targets.mask
    if not reduce:
        return per
    return per.sum() / targets.mask.sum().clamp(min=1)


def lm_and_kd(
    logits: torch.Tensor,
    tokens: torch.Tensor,
    targets: Targets,
    kind: str = "nll",
    *,
    tail: Literal["renormalize", "bucket"] = "renormalize",
    student_tau: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(LM loss, KD loss) sharing one full-vocabulary log-softmax (at ``student_tau`` 1), so a
    KD step costs little more than an LM step: the vocabulary-wide work is done once."""
    import torch

    logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
    lm = -logp.gather(-1, tokens[:, 1:, None]).mean()
    if student_tau != 1.0:
        logp = torch.log_softmax(logits[:, :-1].float() / student_tau, dim=-1)
    per = _per_position(logp, targets, kind, tail) * targets.mask
    return lm, per.sum() / targets.mask.sum().clamp(min=1)


def combined_loss(lm: torch.Tensor, kd: torch.Tensor, alpha: float) -> torch.Tensor:
    """``(1 - alpha) * LM + alpha * KD`` (Eq. 1); alpha = 0 skips the KD graph entirely."""
    if alpha == 0.0:
        return lm
    if alpha == 1.0:
        return kd
    return (1.0 - alpha) * lm + alpha * kd
