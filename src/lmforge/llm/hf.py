"""transformers models behind the LLM protocol, plus the scores only raw logits can give.

Text generation is faster through llama.cpp (``embedded``) or a server (``openai:``); this backend
exists for what those cannot give exactly: summed log-probabilities of a fixed completion (DPO
implicit rewards in RM-Bench), full top-k distributions at every position (distillation targets),
and gradients (training). ``hf:PATH`` loads a local transformers folder; ``hf:embedded-tiny``
(or any name in ``EMBEDDED_MODELS``) dequantises the wheel-shipped GGUF once and caches it.
A folder whose config has a ``vision_config`` (LLaVA, Qwen2-VL, SmolVLM ...) is loaded with its
processor as an image-text model (:mod:`lmforge.llm.hf_vision`), and then takes messages with
images (``supports_images``). The batched forward passes and per-row scores are in
:mod:`lmforge.llm.hf_scores`.

torch is not thread-safe for concurrent forwards on one module, so every model call holds one
lock and runs in a worker thread (``asyncio.to_thread``): the event loop stays free while the CPU
works, and the sync ``*_sync`` methods can be called from training code that has no loop.
torch and transformers are imported inside functions so that importing this module stays cheap.
"""

from __future__ import annotations

import asyncio
import bisect
import threading
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from lmforge.errors import BadRequestError, ConfigError, ContextLengthError, InputError

from .base import LLM
from .gguf_convert import converted_gguf_dir
from .hf_scores import SequenceScore, TopKLogprobs, forward_logits, score_row, topk_row
from .hf_vision import (
    is_image_text_config,
    load_image_text,
    processor_chat_text,
    processor_inputs,
)
from .models import EMBEDDED_MODELS
from .types import Completion, GenerateConfig, Message, TokenLogprob, Usage, as_messages

__all__ = ["HFLLM", "SequenceScore", "TopKLogprobs", "converted_gguf_dir"]

Prompt = str | Sequence[Message] | Sequence[dict]
Text = str | Sequence[int]


class _StopText:
    """Stop on decoded text, which also catches stops that span tokens or split characters."""

    def __init__(self, tokenizer: Any, n_prompt: int, stops: Sequence[str]) -> None:
        self.tokenizer, self.n_prompt, self.stops = tokenizer, n_prompt, tuple(stops)

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        texts = self.tokenizer.batch_decode(input_ids[:, self.n_prompt :], skip_special_tokens=True)
        done = [any(stop in text for stop in self.stops) for text in texts]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class HFLLM(LLM):
    """A transformers causal LM and its tokenizer, usable wherever an ``LLM`` is expected.

    With a ``processor`` (an image-text model) messages may carry images: the processor's chat
    template places them and expands each into the model's image tokens.
    """

    default_concurrency = 1

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        spec: str = "hf:<in-memory>",
        processor: Any = None,
    ) -> None:
        self.model, self.tokenizer, self.spec = model.eval(), tokenizer, spec
        self.processor = processor
        self.supports_images = processor is not None
        self._lock = threading.Lock()

    @classmethod
    def from_spec(cls, path: str, *, device: str | None = None) -> HFLLM:
        """Load ``path``: a local transformers folder, or an embedded model name (its GGUF).

        Never touches a hub: a path that is not a folder is an error, not a repository id.
        """
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        path = path.removeprefix("hf:")
        folder = converted_gguf_dir(path) if path in EMBEDDED_MODELS else Path(path).expanduser()
        if not folder.is_dir():
            raise ConfigError(f"hf:{path}: no such model folder (hub downloads are disabled)")
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.float32 if device == "cpu" else "auto"
        if is_image_text_config(AutoConfig.from_pretrained(folder, local_files_only=True)):
            model, processor = load_image_text(folder, device, dtype)
            return cls(model, processor.tokenizer, spec="hf:" + path, processor=processor)
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, local_files_only=True)
        return cls(model.to(device), tokenizer, spec="hf:" + path)

    @property
    def _pad_id(self) -> int:
        """Any id works for padding (it is masked); prefer the tokenizer's own."""
        ids = (self.tokenizer.pad_token_id, self.tokenizer.eos_token_id, 0)
        return next(i for i in ids if i is not None)

    def _chat_text(self, messages: list[Message]) -> str | None:
        """The chat template applied to messages (the processor's for an image-text model, with
        an image placeholder per image); None for a base model that has no template."""
        proc = self.processor
        if proc is not None and proc.chat_template:
            return processor_chat_text(proc, messages)
        if self.tokenizer.chat_template:
            chat = [{"role": m.role, "content": m.text} for m in messages]
            return self.tokenizer.apply_chat_template(
                chat, add_generation_prompt=True, tokenize=False
            )
        return None

    def _prompt_ids(self, prompt: Prompt) -> list[int]:
        """A string is raw text (special tokens added); messages go through the chat template.

        Token ids alone cannot carry pixels, so images are refused here (scoring is text-only).
        """
        tok = self.tokenizer
        if not isinstance(prompt, str):
            messages = as_messages(list(prompt))
            if any(m.images for m in messages):
                raise InputError("scoring takes text only (images: generate)", field="prompts")
            text = self._chat_text(messages)
            if text is not None:
                return tok(text, add_special_tokens=False)["input_ids"]
            prompt = "\n\n".join(m.text for m in messages)  # a base model: plain text
        return tok(prompt, add_special_tokens=True)["input_ids"]

    def _model_inputs(self, messages: list[Message]) -> dict[str, Any]:
        """Everything ``generate`` takes for this prompt, on the model's device and dtype."""
        import torch

        if self.processor is not None:
            text = self._chat_text(messages)
            inputs = processor_inputs(
                self.processor, self.tokenizer, text, messages, spec=self.spec
            )
        else:
            ids = torch.tensor([self._prompt_ids(messages)], dtype=torch.long)
            inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
        device, dtype = self.model.device, self.model.dtype
        return {
            key: value.to(device, dtype=dtype if value.is_floating_point() else None)
            for key, value in inputs.items()
        }

    def _check_length(self, n_tokens: int) -> None:
        limit = getattr(self.model.config.get_text_config(), "max_position_embeddings", None)
        if limit and n_tokens > limit:
            raise ContextLengthError(f"{n_tokens} tokens exceed the model's {limit} positions")

    async def _generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        return await asyncio.to_thread(self.generate_sync, messages, config)

    def generate_sync(self, prompt: Prompt, config: GenerateConfig | None = None) -> Completion:
        """Blocking generation for code without an event loop (takes the model lock itself);
        as with ``generate``, a string is one user message, sent through the chat template."""
        import torch

        config = config or GenerateConfig()
        if config.json_schema is not None:
            raise BadRequestError("the hf backend cannot constrain output to a JSON schema")
        inputs = self._model_inputs(self._checked(prompt))  # images: vision models only
        n_prompt = inputs["input_ids"].shape[1]
        self._check_length(n_prompt + 1)
        device = self.model.device
        sampling = {"do_sample": config.temperature > 0}
        if config.temperature > 0:  # top_k=0: no hidden top-k cut beyond what the config says
            sampling.update(temperature=config.temperature, top_p=config.top_p, top_k=0)
        stop = [_StopText(self.tokenizer, n_prompt, config.stop)] if config.stop else []
        with self._lock, torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(config.seed + 1_000_003 * config.sample_index)
            out = self.model.generate(
                **inputs,
                max_new_tokens=config.max_tokens,
                eos_token_id=self._eos_ids(),
                pad_token_id=self._pad_id,
                stopping_criteria=stop,
                return_dict_in_generate=True,
                output_logits=config.top_logprobs is not None,
                **sampling,
            )
        new_ids = out.sequences[0, n_prompt:].tolist()
        logits = torch.cat(out.logits).float() if config.top_logprobs is not None else None
        return self._completion(n_prompt, new_ids, logits, config)

    def _eos_ids(self) -> list[int]:
        """End of turn for chat models can differ from the model's EOS: stop on either."""
        configured = self.model.generation_config.eos_token_id
        extra = configured if isinstance(configured, list) else [configured]
        return sorted({i for i in [self.tokenizer.eos_token_id, *extra] if i is not None})

    def _completion(
        self, n_prompt: int, new_ids: list[int], logits: Any, config: GenerateConfig
    ) -> Completion:
        """Strip EOS, cut at the first stop string, and keep logprobs for the kept tokens only."""
        tok = self.tokenizer
        kept = new_ids[:-1] if new_ids and new_ids[-1] in self._eos_ids() else list(new_ids)
        finish = "stop" if len(kept) < len(new_ids) else "length"
        text = tok.decode(kept, skip_special_tokens=True)
        cuts = [i for i in (text.find(s) for s in config.stop) if i >= 0]
        if cuts:
            text, finish = text[: min(cuts)], "stop"
            kept = kept[: self._tokens_covering(kept, len(text))]
        usage = Usage(prompt_tokens=n_prompt, completion_tokens=len(new_ids))
        logprobs = None
        if logits is not None:
            logprobs = self._token_logprobs(kept, logits[: len(kept)], config.top_logprobs or 0)
        return Completion(
            text=text, model=self.spec, finish_reason=finish, usage=usage, logprobs=logprobs
        )

    def _tokens_covering(self, ids: list[int], n_chars: int) -> int:
        """Fewest leading tokens whose decoded text reaches ``n_chars`` (binary search)."""
        decode = self.tokenizer.decode
        return bisect.bisect_left(
            range(len(ids) + 1),
            n_chars,
            key=lambda n: len(decode(ids[:n], skip_special_tokens=True)),
        )

    def _token_logprobs(self, ids: list[int], logits: Any, top_n: int) -> list[TokenLogprob]:
        """Log-probs from the raw logits (before temperature/top-p), as OpenAI reports them."""
        import torch

        logp = torch.log_softmax(logits, dim=-1)
        top = torch.topk(logp, top_n, dim=-1)
        decode = self.tokenizer.decode
        result = []
        for pos, token_id in enumerate(ids):
            pairs = zip(top.indices[pos].tolist(), top.values[pos].tolist(), strict=True)
            alts = [(decode([alt]), value) for alt, value in pairs]
            chosen = float(logp[pos, token_id])
            result.append(
                TokenLogprob(token=decode([token_id]), token_id=token_id, logprob=chosen, top=alts)
            )
        return result

    async def sequence_logprobs(
        self, prompts: Sequence[Prompt], completions: Sequence[str], *, batch_size: int = 8
    ) -> list[SequenceScore]:
        """Score each completion given its prompt; see :meth:`sequence_logprobs_sync`."""
        return await asyncio.to_thread(
            self.sequence_logprobs_sync, prompts, completions, batch_size
        )

    def sequence_logprobs_sync(
        self, prompts: Sequence[Prompt], completions: Sequence[str], batch_size: int = 8
    ) -> list[SequenceScore]:
        """Log-probability of each completion's tokens given its prompt, batched.

        Prompt and completion are tokenized separately and joined, as DPO trainers do, so the
        boundary is exact. Prompts may be text or messages (chat template with generation
        prompt); to score the end-of-turn token, include it (e.g. ``"<|im_end|>"``) in the text.
        Rows are padded on ``tokenizer.padding_side``; either side gives the same numbers.
        """
        if len(prompts) != len(completions):
            raise InputError("prompts and completions differ in length", field="completions")
        tok = self.tokenizer
        heads = [self._prompt_ids(p) for p in prompts]
        seqs = [
            h + tok(c, add_special_tokens=False)["input_ids"]
            for h, c in zip(heads, completions, strict=True)
        ]
        for i, head in enumerate(heads):
            if not head:
                raise InputError(f"prompt {i} has no tokens to condition on", field="prompts")
            self._check_length(len(seqs[i]))
        return self._per_row(seqs, batch_size, tok.padding_side, partial(score_row, seqs, heads))

    def _per_row(self, seqs: list[list[int]], batch_size: int, side: str, fn: Callable) -> list:
        """Forward batches of similar length under the lock; ``fn(i, logits)`` gets row ``i``'s
        logits at its real tokens, so no caller ever sees padding. Results in input order.
        """
        if batch_size < 1:
            raise InputError("batch_size must be at least 1", field="batch_size")
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))  # less padding
        results: list = [None] * len(seqs)
        with self._lock:
            for begin in range(0, len(order), batch_size):
                batch = order[begin : begin + batch_size]
                rows = [seqs[i] for i in batch]
                logits, starts = forward_logits(self.model, rows, self._pad_id, side)
                for row, (i, start) in enumerate(zip(batch, starts, strict=True)):
                    results[i] = fn(i, logits[row, start : start + len(seqs[i])])
        return results

    async def token_topk(
        self, texts: Sequence[Text], k: int, *, batch_size: int = 8, temperature: float = 1.0
    ) -> list[TopKLogprobs]:
        """Top-k logprobs at every position; see :meth:`token_topk_sync`."""
        return await asyncio.to_thread(self.token_topk_sync, texts, k, batch_size, temperature)

    def token_topk_sync(
        self, texts: Sequence[Text], k: int, batch_size: int = 8, temperature: float = 1.0
    ) -> list[TopKLogprobs]:
        """Distillation targets: top-k next-token ids and logprobs at every position of each text.

        A text may be given as token ids so that the student sees exactly the teacher's tokens.
        """
        if k < 1 or temperature <= 0:
            raise InputError("k must be >= 1 and temperature > 0", field="k")
        tok = self.tokenizer
        seqs = [
            tok(t, add_special_tokens=True)["input_ids"] if isinstance(t, str) else list(t)
            for t in texts
        ]
        for seq in seqs:
            if not seq:
                raise InputError("cannot take top-k of an empty text", field="texts")
            self._check_length(len(seq))
        return self._per_row(seqs, batch_size, "right", partial(topk_row, seqs, k, temperature))

    async def aclose(self) -> None:
        """Drop the model so its memory can be freed once callers let go of this object."""
        with self._lock:
            self.model = None
