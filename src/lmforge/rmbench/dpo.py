"""DPO policies as implicit reward models (``dpo:POLICY[,REF]``), as reward-bench scores them.

With a reference model the reward of a response is
``sum_t log pi(y_t | x, y_<t) - sum_t log ref(y_t | x, y_<t)`` over the response tokens (EOS
included; no beta, which cannot change a ranking). Without one it is reference-free: the mean
("avg", upstream's default), the sum, or minus the L2 norm ("norm") of the policy's token
log-probs. Both models read the policy tokenizer's ids, so they must share a vocabulary.

Models load through :class:`lmforge.llm.hf.HFLLM` (local folders or embedded names such as
``embedded-tiny``, never a hub). The forward pass is done here rather than through
``HFLLM.sequence_logprobs`` because the official limits cut *token* sequences (prompt keeps its
last 128, response its first 1920), which a text-in API cannot express exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from lmforge.errors import ConfigError
from lmforge.llm.hf import HFLLM, SequenceScore

from .batching import length_batches
from .scorers import Pair, RewardScorer, ScorerOptions
from .tokens import dpo_ids, left_padded, model_limit, pad_id, prompt_ids

__all__ = ["DPOScorer", "response_logprobs"]


def response_logprobs(
    model: Any, heads: list[list[int]], tails: list[list[int]], pad: int, batch_size: int
) -> list[SequenceScore]:
    """Log-probs of each ``tail`` after its ``head``, in batches of similar length.

    Left padding keeps every response at the right edge, so only the last ``max(len(tail))+1``
    positions need logits: with a 50k vocabulary the full logits of a batch would not fit.
    """
    import torch

    seqs = [h + t for h, t in zip(heads, tails, strict=True)]
    out: list[SequenceScore | None] = [None] * len(seqs)
    for chunk in length_batches([len(s) for s in seqs], batch_size):
        ids, mask, positions = left_padded([seqs[i] for i in chunk], pad, model.device)
        keep = max(len(tails[i]) for i in chunk) + 1
        with torch.inference_mode():
            logits = model(
                input_ids=ids,
                attention_mask=mask,
                position_ids=positions,
                use_cache=False,
                logits_to_keep=keep,
            ).logits
        for row, i in enumerate(chunk):
            n = len(tails[i])
            if n == 0:
                out[i] = SequenceScore(logprob=0.0, n_tokens=0, token_logprobs=[])
                continue
            step = torch.log_softmax(logits[row, keep - n - 1 : keep - 1].float(), dim=-1)
            targets = ids[row, -n:]
            values = step.gather(-1, targets[:, None])[:, 0].tolist()
            out[i] = SequenceScore(logprob=sum(values), n_tokens=n, token_logprobs=values)
    return out  # type: ignore[return-value]


class DPOScorer(RewardScorer):
    """Implicit reward of a DPO policy, against a reference model or reference-free."""

    batched = True

    def __init__(
        self,
        policy: HFLLM,
        ref: HFLLM | None = None,
        *,
        ref_free: str = "avg",
        batch_size: int = 8,
        max_length: int = 2048,
        max_prompt_length: int = 128,
        spec: str | None = None,
    ) -> None:
        super().__init__()
        if ref_free not in ("avg", "sum", "norm"):
            raise ConfigError(f"ref_free must be avg, sum or norm, not {ref_free!r}")
        vocab = policy.model.config.vocab_size
        if ref is not None and ref.model.config.vocab_size != vocab:
            raise ConfigError("policy and reference must share a vocabulary (tokenizer)")
        self.policy, self.ref, self.ref_free = policy, ref, ref_free
        self.batch_size, self.max_prompt_length = batch_size, max_prompt_length
        limits = [model_limit(m.model, max_length) for m in (policy, ref) if m is not None]
        self.max_length = min(limits)
        if self.max_length <= max_prompt_length:
            raise ConfigError(f"max_length {self.max_length} must exceed {max_prompt_length}")
        self.spec = spec or f"dpo:{policy.spec.removeprefix('hf:')}" + (
            f",{ref.spec.removeprefix('hf:')}" if ref else ""
        )
        self.pad = pad_id(policy.tokenizer, policy.model)
        self.concurrency = max(4, -(-4 * batch_size // 6))  # two pools of responses in flight

    @classmethod
    def from_specs(cls, policy: str, ref: str | None, options: ScorerOptions) -> DPOScorer:
        if ref is not None and ref == policy:
            raise ConfigError("dpo: the reference must differ from the policy (omit it instead)")
        load = lambda name: HFLLM.from_spec(name, device=options.device)  # noqa: E731
        return cls(
            load(policy),
            load(ref) if ref else None,
            ref_free=options.ref_free,
            batch_size=options.batch_size,
            max_length=options.max_length,
            max_prompt_length=options.max_prompt_length,
            spec=f"dpo:{policy}" + (f",{ref}" if ref else ""),
        )

    @property
    def params(self) -> dict[str, Any]:
        return {
            "scorer": self.spec,
            "ref_free": None if self.ref else self.ref_free,
            "max_length": self.max_length,
            "max_prompt_length": self.max_prompt_length,
        }

    def encode(self, pairs: Sequence[Pair]) -> tuple[list[list[int]], list[list[int]]]:
        tok = self.policy.tokenizer
        heads: list[list[int]] = []
        tails: list[list[int]] = []
        cache: dict[str, list[int]] = {}  # six responses share one prompt
        for prompt, response in pairs:
            if prompt not in cache:
                cache[prompt] = prompt_ids(tok, prompt)
            head, tail = dpo_ids(
                tok, cache[prompt], response, self.max_length, self.max_prompt_length
            )
            heads.append(head)
            tails.append(tail)
        return heads, tails

    def score_batch(self, pairs: Sequence[Pair]) -> list[float]:
        heads, tails = self.encode(pairs)
        policy = response_logprobs(self.policy.model, heads, tails, self.pad, self.batch_size)
        if self.ref is not None:
            ref = response_logprobs(self.ref.model, heads, tails, self.pad, self.batch_size)
            return [p.logprob - r.logprob for p, r in zip(policy, ref, strict=True)]
        if self.ref_free == "sum":
            return [p.logprob for p in policy]
        if self.ref_free == "norm":
            return [-math.sqrt(sum(v * v for v in p.token_logprobs)) for p in policy]
        return [p.mean for p in policy]

    async def aclose(self) -> None:
        for llm in (self.policy, self.ref):
            if llm is not None:
                await llm.aclose()
