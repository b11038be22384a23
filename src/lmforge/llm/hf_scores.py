"""Batched forward passes of the hf backend and what it reads off raw logits per row: summed
log-probabilities of a fixed completion (:class:`SequenceScore`, DPO implicit rewards) and top-k
distributions at every position (:class:`TopKLogprobs`, distillation targets).

torch is imported inside functions so that importing this module stays cheap.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = [
    "SequenceScore",
    "TopKLogprobs",
    "forward_logits",
    "pad_batch",
    "score_row",
    "topk_row",
]


class SequenceScore(BaseModel):
    """Log-probability of a completion given its prompt, over completion tokens only."""

    logprob: float
    """Sum of the per-token log-probabilities (the DPO implicit-reward term)."""
    n_tokens: int
    """Number of completion tokens scored."""
    token_logprobs: list[float]
    """One log-probability per completion token, in order."""

    @property
    def mean(self) -> float:
        """Average per-token log-prob (RM-Bench's reference-free "avg" score); 0 when empty."""
        return self.logprob / self.n_tokens if self.n_tokens else 0.0


class TopKLogprobs(BaseModel):
    """Top-k next-token distribution at every position of one text (distillation targets).

    Row ``j`` is the distribution over the token that follows ``input_ids[j]`` (axolotl's
    alignment), so the last row predicts past the end of the text; consumers mask it.
    """

    input_ids: list[int]
    token_ids: list[list[int]]
    """[position][k] candidate ids, most probable first."""
    logprobs: list[list[float]]
    """[position][k] their log-probabilities, sorted descending, all <= 0."""
    tail_logprobs: list[float]
    """log of the probability mass outside the top k at each position (floored at -1e4)."""
    temperature: float = 1.0
    """Temperature the logits were divided by before the softmax."""


def pad_batch(seqs: list[list[int]], pad_id: int, side: str) -> tuple[Any, Any, Any, list[int]]:
    """Pad to a batch; positions count real tokens only, so left padding shifts nothing.

    Returns input ids, attention mask, position ids and each row's first real column.
    """
    import torch

    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    starts = []
    for row, seq in enumerate(seqs):
        start = width - len(seq) if side == "left" else 0
        ids[row, start : start + len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, start : start + len(seq)] = 1
        starts.append(start)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return ids, mask, positions, starts


def forward_logits(model: Any, seqs: list[list[int]], pad_id: int, side: str) -> tuple[Any, list]:
    """One padded forward pass; returns fp32 logits [batch, width, vocab] and row starts."""
    import torch

    ids, mask, positions, starts = pad_batch(seqs, pad_id, side)
    device = model.device
    with torch.inference_mode():
        out = model(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=positions.to(device),
            use_cache=False,
        )
    return out.logits.float(), starts


def score_row(seqs: list[list[int]], heads: list[list[int]], i: int, logits: Any) -> SequenceScore:
    """Completion tokens' log-probs; logits at position t predict the token at t + 1."""
    import torch

    n_prompt = len(heads[i])
    targets = torch.tensor(seqs[i][n_prompt:], dtype=torch.long, device=logits.device)
    logp = torch.log_softmax(logits[n_prompt - 1 : -1], dim=-1)
    values = logp.gather(-1, targets[:, None])[:, 0].tolist()
    return SequenceScore(logprob=sum(values), n_tokens=len(values), token_logprobs=values)


def topk_row(
    seqs: list[list[int]], k: int, temperature: float, i: int, logits: Any
) -> TopKLogprobs:
    """Top-k at every position plus the log of the mass the top k leave out."""
    import torch

    top = torch.topk(torch.log_softmax(logits / temperature, dim=-1), min(k, logits.shape[-1]))
    covered = torch.logsumexp(top.values, dim=-1).clamp(max=0.0)
    tail = torch.log(-torch.expm1(covered)).clamp(min=-1e4)  # log(1 - p_top), never -inf
    return TopKLogprobs(
        input_ids=seqs[i],
        token_ids=top.indices.tolist(),
        logprobs=top.values.tolist(),
        tail_logprobs=tail.tolist(),
        temperature=temperature,
    )
