"""A teacher behind an OpenAI-compatible server: prompt log-probs over token ids.

``--teacher "openai:NAME@URL[,URL...]#tokenizer=PATH[,api=echo][,vocab=N][,limit=N]"`` sends
each window as token ids to ``/v1/completions`` and reads, for every position, the K most
likely next tokens with their log-probabilities:

- ``api=prompt_logprobs`` (the default; vLLM's extension): ``{"prompt": ids, "max_tokens": 1,
  "prompt_logprobs": K}``; the reply's ``choices[0].prompt_logprobs[p]`` maps ids to
  ``{"logprob", "rank"}`` for token p given tokens < p (entry 0 is null). vLLM also lists the
  prompt token itself when it is outside the top K; entries of rank > K are dropped here.
- ``api=echo`` (servers of the legacy completions API): ``{"echo": true, "logprobs": K,
  "return_tokens_as_token_ids": true}``; ``choices[0].logprobs.top_logprobs[p]`` maps tokens to
  log-probs. Keys ``token_id:N`` (vLLM with that switch) are exact; plain token strings are
  mapped back through the tokenizer and refused when they do not name exactly one id. The
  legacy OpenAI API caps ``logprobs`` at 5.

For vLLM: start it with ``--max-logprobs K`` (its default cap is 20), keep ``--logprobs-mode``
at its default ``raw_logprobs`` (log-probs of the model itself, before temperature or
penalties), and turn prefix caching off (``--no-enable-prefix-caching``) so that no position's
prompt log-probs are skipped as cached. Several URLs spread the windows over several servers with
failover (``docs/endpoints.md``).

What a server's log-probs keep and lose against raw logits: they are ``log_softmax`` of the
logits over the full vocabulary at temperature 1, so the top K are exactly what
:func:`~lmforge.distill.truncate.top_k_logprobs` computes from logits (the same ids, the same
values to float rounding) and everything top-p-k extraction needs: the top-p prefix, the
renormalised rows, and the tail mass ``1 - sum(exp(values))``. Temperature at load time works as
for any store (``softmax(logprob_kept / tau)`` equals ``softmax(z_kept / tau)``: a softmax
ignores the shared shift). What is gone is the logits' shared offset (which no loss uses) and
the shape of the tail outside the K ids, so the tail mass *at another temperature* cannot be
recovered; the same holds for the hf teacher's stores, which keep the same top K.

The tokenizer is not served by the API: name a local transformers folder (or ``embedded-tiny``)
with ``#tokenizer=``; without it NAME is tried as a folder (a vLLM started from a path).
``vocab=N`` overrides the vocabulary size (default: the folder's ``config.json`` ``vocab_size``,
else the tokenizer's length). Paths in the fragment may not contain ``,`` or ``#``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from lmforge.errors import ConfigError, MalformedResponseError

__all__ = ["HTTPTeacher", "parse_echo_logprobs", "parse_prompt_logprobs"]

APIS = ("prompt_logprobs", "echo")
TEACHER_FLAGS = ("tokenizer", "api", "vocab")


def split_spec(spec: str) -> tuple[str, dict[str, str]]:
    """The model spec without the teacher's own ``#`` flags, and those flags."""
    head, _, fragment = spec.partition("#")
    ours: dict[str, str] = {}
    rest = []
    for flag in (f.strip() for f in fragment.split(",") if f.strip()):
        key, eq, value = flag.partition("=")
        if key in TEACHER_FLAGS and eq and value:
            ours[key] = value
        else:
            rest.append(flag)
    return head + ("#" + ",".join(rest) if rest else ""), ours


def _tokenizer_folder(spec: str, name: str, given: str | None) -> Path:
    from lmforge.llm.models import EMBEDDED_MODELS

    if given in EMBEDDED_MODELS:
        from lmforge.llm.hf import converted_gguf_dir

        return converted_gguf_dir(given)
    folder = Path(given or name).expanduser()
    if not folder.is_dir():
        raise ConfigError(
            f"teacher {spec!r}: no tokenizer folder {str(folder)!r}; name the teacher's "
            "tokenizer with #tokenizer=PATH (a transformers folder, or embedded-tiny)"
        )
    return folder


def _vocab_size(folder: Path, tokenizer: Any, given: str | None, spec: str) -> int:
    if given is not None:
        if not given.isdigit() or int(given) < 1:
            raise ConfigError(f"teacher {spec!r}: vocab must be a positive integer")
        return int(given)
    config = folder / "config.json"
    if config.is_file():
        size = json.loads(config.read_text()).get("vocab_size")
        if isinstance(size, int) and size > 0:
            return size
    return len(tokenizer)


def parse_prompt_logprobs(reply: dict[str, Any], n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(log-probs, ids) [n - 1, k'] from vLLM's ``prompt_logprobs``, sorted descending, where
    k' = k (fewer only if every row has fewer: a vocabulary smaller than k)."""
    entries = _choice(reply).get("prompt_logprobs")
    if not isinstance(entries, list) or len(entries) != n:
        got = len(entries) if isinstance(entries, list) else "none"
        raise MalformedResponseError(f"expected {n} prompt_logprobs entries, got {got}")

    def pairs(entry: dict[str, Any], p: int) -> list[tuple[int, float, int]]:
        out = []
        for key, info in entry.items():
            value = info.get("logprob") if isinstance(info, dict) else info
            rank = info.get("rank") if isinstance(info, dict) else None
            if isinstance(rank, int) and rank > k:
                continue  # the prompt token itself, listed beyond the top k
            out.append((_id(key, p), _float(value, p), rank if isinstance(rank, int) else 0))
        return out

    return _top_rows(entries, n, k, "prompt_logprobs", pairs)


def parse_echo_logprobs(
    reply: dict[str, Any], n: int, k: int, tokenizer: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The same from the legacy ``echo`` + ``logprobs`` reply (``top_logprobs`` by token)."""
    logprobs = _choice(reply).get("logprobs")
    top = logprobs.get("top_logprobs") if isinstance(logprobs, dict) else None
    if not isinstance(top, list) or len(top) < n:
        got = len(top) if isinstance(top, list) else "none"
        raise MalformedResponseError(f"expected at least {n} echoed top_logprobs, got {got}")

    def pairs(entry: dict[str, Any], p: int) -> list[tuple[int, float, int]]:
        return [(_token_id(key, tokenizer, p), _float(v, p), 0) for key, v in entry.items()]

    return _top_rows(top, n, k, "top_logprobs", pairs)


def _top_rows(
    entries: list[Any],
    n: int,
    k: int,
    name: str,
    pairs: Callable[[dict[str, Any], int], list[tuple[int, float, int]]],
) -> tuple[np.ndarray, np.ndarray]:
    """Positions 1..n-1 (entry 0 has nothing before it), each a non-empty object read by
    ``pairs`` as (id, log-prob, rank), ordered by log-prob, then rank, then id, cut to k."""
    rows = []
    for p in range(1, n):
        entry = entries[p]
        if not isinstance(entry, dict) or not entry:
            raise MalformedResponseError(f"{name}[{p}] is not a non-empty object")
        rows.append(sorted(pairs(entry, p), key=lambda t: (-t[1], t[2], t[0]))[:k])
    return _stack(rows, k)


def _choice(reply: dict[str, Any]) -> dict[str, Any]:
    choices = reply.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise MalformedResponseError("completions reply has no choices", raw=json.dumps(reply))
    return choices[0]


def _id(key: str, p: int) -> int:
    try:
        return int(key)
    except ValueError:
        raise MalformedResponseError(f"prompt_logprobs[{p}]: key {key!r} is no token id") from None


def _token_id(key: str, tokenizer: Any, p: int) -> int:
    if key.startswith("token_id:"):
        return _id(key.removeprefix("token_id:"), p)
    found = tokenizer.convert_tokens_to_ids(key)
    unk = getattr(tokenizer, "unk_token_id", None)
    if not isinstance(found, int) or (found == unk and key != tokenizer.unk_token):
        raise MalformedResponseError(
            f"top_logprobs[{p}]: token {key!r} is not one id of the tokenizer; ask the server "
            "for return_tokens_as_token_ids (vLLM) or use api=prompt_logprobs"
        )
    return found


def _float(value: Any, p: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value > 1e-6:
        raise MalformedResponseError(f"position {p}: log-prob {value!r} is not a number <= 0")
    return float(value)


def _stack(rows: list[list[tuple[int, float, int]]], k: int) -> tuple[np.ndarray, np.ndarray]:
    width = min(k, min(len(r) for r in rows))
    if any(len(r) < width for r in rows) or (width < k and max(len(r) for r in rows) > width):
        raise MalformedResponseError(
            f"positions carry different numbers of log-probs (want {k}); is the server capping "
            "them (vLLM: --max-logprobs)?"
        )
    ids = np.asarray([[t for t, _, _ in r[:width]] for r in rows], dtype=np.int64)
    values = np.asarray([[v for _, v, _ in r[:width]] for r in rows], dtype=np.float32)
    return values, ids


class HTTPTeacher:
    """The teacher protocol (``spec``, ``vocab_size``, ``tokenizer``, ``top_logprobs``) over
    an OpenAI-compatible ``/v1/completions`` endpoint, one request per window."""

    def __init__(
        self,
        backend: Any,
        tokenizer: Any,
        *,
        spec: str,
        vocab_size: int,
        api: str = "prompt_logprobs",
        timeout: float = 600.0,
    ) -> None:
        if api not in APIS:
            raise ConfigError(f"teacher {spec!r}: api must be one of {', '.join(APIS)}")
        self.backend, self.tokenizer, self.spec = backend, tokenizer, spec
        self.vocab_size, self.api, self.timeout = vocab_size, api, timeout

    @classmethod
    def from_spec(cls, spec: str) -> HTTPTeacher:
        """``openai:NAME@URL[,URL...]#tokenizer=PATH[,api=echo][,vocab=N][,limit=N]``."""
        from transformers import AutoTokenizer

        from lmforge.llm.registry import get_llm, parse_openai_spec

        model_spec, flags = split_spec(spec)
        name = parse_openai_spec(model_spec).name
        folder = _tokenizer_folder(spec, name, flags.get("tokenizer"))
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        vocab = _vocab_size(folder, tokenizer, flags.get("vocab"), spec)
        backend = get_llm(model_spec, cache=False)
        return cls(
            backend,
            tokenizer,
            spec=spec,
            vocab_size=vocab,
            api=flags.get("api", "prompt_logprobs"),
        )

    def request_body(self, ids: list[int], k: int) -> dict[str, Any]:
        """What one window sends (public so tests and logs can show it)."""
        body: dict[str, Any] = {
            "model": self.backend.model,
            "prompt": ids,
            "max_tokens": 1,
            "temperature": 0.0,
        }
        if self.api == "prompt_logprobs":
            body["prompt_logprobs"] = k
        else:
            body.update(echo=True, logprobs=k, return_tokens_as_token_ids=True)
        return body

    async def _window(self, ids: list[int], k: int, limit: asyncio.Semaphore):
        from lmforge.llm.endpoints import post_json

        async with limit:
            reply = await post_json(
                self.backend, "completions", self.request_body(ids, k), timeout=self.timeout
            )
        if self.api == "prompt_logprobs":
            return parse_prompt_logprobs(reply, len(ids), k)
        return parse_echo_logprobs(reply, len(ids), k, self.tokenizer)

    async def _batch(self, windows: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        limit = asyncio.Semaphore(self.backend.default_concurrency)
        rows = [[int(t) for t in w] for w in windows]
        try:
            return await asyncio.gather(*(self._window(r, k, limit) for r in rows))
        finally:
            await self.backend.aclose()  # this loop ends here; its connections with it

    def top_logprobs(self, windows: np.ndarray, k: int) -> tuple[Any, Any]:
        """(log-probs, ids) [B, L-1, k] as torch tensors, sorted descending: row j predicts
        token j+1 (what the hf teacher gives for the same windows)."""
        import torch

        k = min(k, self.vocab_size)
        results = _run(self._batch(np.asarray(windows), k))
        values = np.stack([v for v, _ in results])
        ids = np.stack([i for _, i in results])
        return torch.from_numpy(values), torch.from_numpy(ids)


def _run(coro: Any) -> Any:
    """Run ``coro`` to the end from sync code, also when this thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as err:  # handed to the caller's thread
            box["error"] = err

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
