"""Top-p-then-top-k truncation of a teacher's next-token distribution (paper section 3.1).

Two stages, in this order: keep the smallest prefix of the sorted distribution whose mass
reaches ``p`` (a sharp distribution keeps a few ids), then cap the prefix at ``k`` ids (a flat one
keeps at most ``k``). ``p = None`` (or ``>= 1``) is plain top-k. The input is the teacher's top-k
*log-probabilities* sorted in descending order, which is all either a transformers forward pass
or a server's ``prompt_logprobs`` can give; the top-p prefix of a sorted distribution is always
inside its top-k, so nothing is lost by starting from the top k.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["kept_counts", "top_k_logprobs"]


def top_k_logprobs(logits: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(log-probs, ids) of the ``k`` most likely ids per row of ``logits`` [..., V], sorted
    in descending order; log-probs are over the full vocabulary (so their tail is known)."""
    import torch

    logits = logits.float()
    # top-k of the logits, then the shared log-normaliser: the same ids and values as a top-k
    # of log_softmax, without writing a second vocabulary-wide tensor
    values, ids = torch.topk(logits, min(k, logits.shape[-1]), dim=-1, sorted=True)
    return values - torch.logsumexp(logits, dim=-1, keepdim=True), ids


def kept_counts(sorted_logprobs: torch.Tensor, p: float | None, k: int) -> torch.Tensor:
    """How many of the leading ids each row keeps: ``min(k, n_p)``, where ``n_p`` is the
    smallest n whose first-n mass reaches ``p`` (all ``k`` when the top k never reach it).

    The running mass is summed in float64 so that the ``>= p`` test is the one a reader would
    compute from the stored values, not a float32 rounding of it.
    """
    import torch

    width = sorted_logprobs.shape[-1]
    k = min(k, width)
    shape = sorted_logprobs.shape[:-1]
    if p is None or p >= 1.0:
        return torch.full(shape, k, dtype=torch.int64)
    mass = torch.cumsum(sorted_logprobs.double().exp(), dim=-1)
    reached = (mass < p).sum(dim=-1) + 1  # first n with mass >= p (width + 1 when never)
    return torch.clamp(reached, max=k).to(torch.int64)
