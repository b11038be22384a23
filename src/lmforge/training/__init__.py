"""Training glue: the SFT recipe on TRL conversations, and tiny in-process models for tests."""

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
    "SFTRecipe",
    "load_messages",
    "train_sft",
    "save_tiny_llava",
    "save_tiny_model",
    "tiny_llama",
    "tiny_llama_config",
    "tiny_sequence_classifier",
    "tiny_tokenizer",
]
