"""Students (and experiment teachers): transformers Llamas built from a size config.

The paper's students are GQA decoders of set sizes (its Table 7); at CPU scale a student is the
tiny Llama of :mod:`lmforge.training.tiny` with a chosen width and depth, sharing the teacher's
vocabulary (a KD target id must mean the same token to both).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ModelSize", "build_model", "parameter_count"]


class ModelSize(BaseModel):
    """The shape of a randomly initialised decoder."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    hidden: int = Field(64, ge=8)
    """Hidden size (d_model)."""
    layers: int = Field(2, ge=1)
    """Decoder layers."""
    heads: int = Field(4, ge=1)
    """Attention heads (hidden must divide by it)."""
    seed: int = 0
    """Initialisation seed."""


def build_model(size: ModelSize, vocab_size: int, max_positions: int = 512) -> Any:
    """A random-initialised ``LlamaForCausalLM`` of ``size`` over ``vocab_size`` ids."""
    import torch
    from transformers import LlamaForCausalLM

    from lmforge.errors import ConfigError
    from lmforge.training.tiny import tiny_llama_config

    if size.hidden % size.heads:
        raise ConfigError(f"hidden {size.hidden} does not divide by heads {size.heads}")
    config = tiny_llama_config(vocab_size, size.hidden, size.layers, size.heads)
    config.max_position_embeddings = max_positions
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(size.seed)
        return LlamaForCausalLM(config)


def parameter_count(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())
