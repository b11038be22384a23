"""Sequence-classifier reward models (``hf-classifier:PATH``), scored as the official scripts do:
the chat template (else the Tulu layout) around a user/assistant exchange, left truncation to
2048 tokens, the raw logit.

Pooling is ours, not the model's. transformers reads a classifier's score at the last token
whose id is not the pad id; when a tokenizer pads with its EOS (common for reward models) and a
text ends in EOS, that picks the wrong token, and the score changes with the batch
(reward-bench#115). So the score is read at each row's last real token by position:

- decoder reward models (Llama, Qwen, Mistral, Gemma ... heads): rows are padded on the right
  and run *without* a padding mask. Causal attention never looks right, so padding cannot reach
  a real token, and without a mask torch runs its fused causal attention kernel instead of
  materialising a padded mask per row;
- anything else: left padding with the mask, embeddings fed in so that transformers reads the
  last column, which left padding makes every row's last real token.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lmforge.errors import ConfigError

from .batching import length_batches
from .scorers import Pair, RewardScorer, ScorerOptions
from .tokens import conversation_ids, left_padded, model_limit, pad_id, right_padded

__all__ = ["ClassifierScorer"]


class ClassifierScorer(RewardScorer):
    """A transformers ``AutoModelForSequenceClassification`` with one output: the reward."""

    batched = True

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        batch_size: int = 8,
        max_length: int = 2048,
        spec: str = "hf-classifier:<in-memory>",
    ) -> None:
        super().__init__()
        labels = getattr(model.config, "num_labels", 1)
        if labels != 1:
            raise ConfigError(f"{spec}: a reward model has one output; this one has {labels}")
        self.model, self.tokenizer, self.spec = model.eval(), tokenizer, spec
        self.batch_size = batch_size
        self.max_length = model_limit(model, max_length)
        self.pad_id = pad_id(tokenizer, model)
        self._causal = _causal_parts(model)
        self.concurrency = max(4, -(-4 * batch_size // 6))  # two pools of responses in flight

    @classmethod
    def from_path(cls, path: str, options: ScorerOptions) -> ClassifierScorer:
        """Load a local folder; never a hub id (downloads are disabled project-wide)."""
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise ConfigError(f"hf-classifier:{path}: no such model folder (no hub downloads)")
        device = options.device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.float32 if device == "cpu" else "auto"
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(
            folder, dtype=dtype, local_files_only=True
        )
        return cls(
            model.to(device),
            tokenizer,
            batch_size=options.batch_size,
            max_length=options.max_length,
            spec=f"hf-classifier:{path}",
        )

    @property
    def params(self) -> dict[str, Any]:
        return {"scorer": self.spec, "max_length": self.max_length}

    def encode(self, pairs: Sequence[Pair]) -> list[list[int]]:
        return [conversation_ids(self.tokenizer, p, r, self.max_length) for p, r in pairs]

    def score_batch(self, pairs: Sequence[Pair]) -> list[float]:
        """Raw logits, in batches of similar length; results in input order."""
        seqs = self.encode(pairs)
        scores: list[float] = [0.0] * len(seqs)
        for chunk in length_batches([len(s) for s in seqs], self.batch_size):
            for i, value in zip(chunk, self._forward([seqs[i] for i in chunk]), strict=True):
                scores[i] = value
        return scores

    def _forward(self, seqs: list[list[int]]) -> list[float]:
        import torch

        if self._causal is not None:
            body, head = self._causal
            ids, lengths = right_padded(seqs, self.pad_id, self.model.device)
            with torch.inference_mode():
                hidden = body(input_ids=ids, use_cache=False).last_hidden_state
                last = hidden[torch.arange(len(seqs), device=ids.device), lengths - 1]
                return head(last)[:, 0].float().tolist()
        ids, mask, positions = left_padded(seqs, self.pad_id, self.model.device)
        with torch.inference_mode(), _quiet_transformers():
            embeds = self.model.get_input_embeddings()(ids)
            logits = self.model(
                inputs_embeds=embeds, attention_mask=mask, position_ids=positions, use_cache=False
            ).logits
        return logits[:, 0].float().tolist()

    async def aclose(self) -> None:
        self.model = None


def _causal_parts(model: Any) -> tuple[Any, Any] | None:
    """(decoder, score head) of transformers' generic decoder classifiers, else None."""
    try:
        from transformers.modeling_layers import GenericForSequenceClassification
    except ImportError:  # an older transformers: the general path still works
        return None
    if not isinstance(model, GenericForSequenceClassification):
        return None
    return getattr(model, model.base_model_prefix), model.score


class _quiet_transformers:
    """transformers warns, once, that it cannot find padding in embeddings; that is the point."""

    def __enter__(self) -> None:
        from transformers.utils import logging

        self._level = logging.get_verbosity()
        logging.set_verbosity_error()

    def __exit__(self, *exc: object) -> None:
        from transformers.utils import logging

        logging.set_verbosity(self._level)
