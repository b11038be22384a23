"""Training glue: tiny in-process models and tokenizers for tests (SFT/DPO recipes come later)."""

from .tiny import (
    CHATML_TEMPLATE,
    save_tiny_model,
    tiny_llama,
    tiny_llama_config,
    tiny_sequence_classifier,
    tiny_tokenizer,
)

__all__ = [
    "CHATML_TEMPLATE",
    "save_tiny_model",
    "tiny_llama",
    "tiny_llama_config",
    "tiny_sequence_classifier",
    "tiny_tokenizer",
]
