"""Training glue: the SFT and DPO recipes on TRL rows, and tiny in-process models for tests."""

from .dpo import DPORecipe, load_preferences, train_dpo
from .sft import SFTRecipe, load_messages, train_sft
from .tiny import (
    CHATML_TEMPLATE,
    save_tiny_llava,
    save_tiny_model,
    tiny_llama,
    tiny_llama_config,
    tiny_sequence_classifier,
    tiny_tokenizer,
)

__all__ = [
    "CHATML_TEMPLATE",
    "DPORecipe",
    "SFTRecipe",
    "load_messages",
    "load_preferences",
    "train_dpo",
    "train_sft",
    "save_tiny_llava",
    "save_tiny_model",
    "tiny_llama",
    "tiny_llama_config",
    "tiny_sequence_classifier",
    "tiny_tokenizer",
]
