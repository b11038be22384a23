"""Token ids for scoring a response: chat formatting, the official truncation, left padding.

Both model scorers (sequence classifier, DPO implicit reward) need the same three things, and
all three change scores if done differently from the official scripts:

- the conversation goes through the tokenizer's chat template, or the Tulu layout when there is
  none (what the official scripts fall back to);
- sequences are cut the official way: a classifier keeps the *end* of the text (left
  truncation), DPO keeps the end of the prompt and the start of the response;
- batches are padded on the left with position ids counted over real tokens, so every row's
  last real token sits in the last column and no row's numbers depend on its neighbours.

torch is imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lmforge.pipeline.prompts import load_prompt

__all__ = [
    "conversation_ids",
    "dpo_ids",
    "left_padded",
    "model_limit",
    "pad_id",
    "prompt_ids",
    "right_padded",
]


def _messages(prompt: str, response: str | None) -> list[dict[str, str]]:
    messages = [{"role": "user", "content": prompt}]
    if response is not None:
        messages.append({"role": "assistant", "content": response})
    return messages


def _with_bos(tokenizer: Any, ids: list[int]) -> list[int]:
    """One BOS where the tokenizer has one: templates often write it, plain text never does."""
    bos = tokenizer.bos_token_id
    return ids if bos is None or (ids and ids[0] == bos) else [bos, *ids]


def prompt_ids(tokenizer: Any, prompt: str) -> list[int]:
    """The prompt as the model sees it just before the assistant's answer starts."""
    if tokenizer.chat_template:
        text = tokenizer.apply_chat_template(
            _messages(prompt, None), add_generation_prompt=True, tokenize=False
        )
    else:
        text = load_prompt("lmforge.rmbench", "tulu").render(prompt=prompt, response=None)
    return _with_bos(
        tokenizer, tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
    )


def conversation_ids(tokenizer: Any, prompt: str, response: str, max_length: int) -> list[int]:
    """A whole user/assistant exchange for a classifier, cut from the left to ``max_length``.

    Without a chat template the Tulu text ends with EOS, as the official fallback does: a
    classifier reads the logit at the last token, and EOS is where reward models were trained
    to put their judgement.
    """
    if tokenizer.chat_template:
        text = tokenizer.apply_chat_template(_messages(prompt, response), tokenize=False)
        ids = tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
    else:
        text = load_prompt("lmforge.rmbench", "tulu").render(prompt=prompt, response=response)
        ids = tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
        if tokenizer.eos_token_id is not None:
            ids.append(tokenizer.eos_token_id)
    return _with_bos(tokenizer, ids)[-max_length:]


def dpo_ids(
    tokenizer: Any,
    head: list[int],
    response: str,
    max_length: int,
    max_prompt_length: int,
) -> tuple[list[int], list[int]]:
    """(prompt ids, response ids) under reward-bench's DPO limits.

    The response gets EOS appended (it is scored: a model that would not stop there is penalised).
    Too long: the prompt keeps its last ``max_prompt_length`` tokens; still too long: the
    response keeps its first ``max_length - max_prompt_length``. Upstream decides on the longer
    response of the chosen/rejected pair; here each response is cut on its own length, so a
    score never depends on which response it was paired with.
    """
    tail = tokenizer(response, add_special_tokens=False, verbose=False)["input_ids"]
    if tokenizer.eos_token_id is not None:
        tail = [*tail, tokenizer.eos_token_id]
    if len(head) + len(tail) > max_length:
        head = head[-max_prompt_length:]
    if len(head) + len(tail) > max_length:
        tail = tail[: max_length - max_prompt_length]
    return head, tail


def model_limit(model: Any, max_length: int) -> int:
    """The length to cut at: the asked one, or fewer when the model has fewer positions."""
    positions = getattr(model.config, "max_position_embeddings", None)
    return min(max_length, positions) if positions else max_length


def left_padded(seqs: Sequence[Sequence[int]], pad_id: int, device: Any = None) -> tuple:
    """(input ids, attention mask, position ids), padded on the left.

    Positions count real tokens only, so padding shifts nothing; the last column is every row's
    last real token, which is where a classifier reads its score and where responses end.
    """
    import torch

    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, seq in enumerate(seqs):
        if seq:
            ids[row, width - len(seq) :] = torch.tensor(list(seq), dtype=torch.long)
            mask[row, width - len(seq) :] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return ids.to(device), mask.to(device), positions.to(device)


def right_padded(seqs: Sequence[Sequence[int]], pad_id: int, device: Any = None) -> tuple:
    """(input ids, lengths), padded on the right: for causal models, which never attend right."""
    import torch

    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = torch.tensor(list(seq), dtype=torch.long)
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    return ids.to(device), lengths.to(device)


def pad_id(tokenizer: Any, model: Any) -> int:
    """Any id pads (it is masked); prefer the tokenizer's, then the model's, then EOS."""
    for candidate in (
        tokenizer.pad_token_id,
        getattr(model.config, "pad_token_id", None),
        tokenizer.eos_token_id,
    ):
        if isinstance(candidate, int):
            return candidate
    return 0
