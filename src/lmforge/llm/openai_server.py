"""An OpenAI-compatible HTTP server in front of any backend (``serve-model --model hf:PATH``).

Embedded models are served by llama.cpp's own server (``serve.py``); everything else, above all
transformers models that llama.cpp cannot run (image-text models among them), is served by this
small FastAPI app: ``/health``, ``/v1/models`` and ``/v1/chat/completions`` with ``image_url``
parts as base64 ``data:`` URLs, usage and logprobs, and ``/v1/completions`` for scoring prompts
(vLLM's ``prompt_logprobs``, the legacy ``echo`` + ``logprobs``) from a backend with logits.
The request and reply shapes are the ones ``openai_format`` builds and reads, so
``OpenAICompatLLM`` round-trips through it exactly.

Streaming is answered as server-sent events, but from one finished generation (the hf backend
decodes under a lock and has no token callback): the protocol holds, the latency does not drop.
fastapi and uvicorn (extra ``serve``) are imported inside functions; for that reason this module
has no ``from __future__ import annotations``: FastAPI must resolve the endpoints' annotations
(``Request``), which are local names.
"""

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lmforge.errors import (
    BadRequestError,
    ConfigError,
    ContextLengthError,
    InputError,
    PermanentError,
    TransientError,
)

from .base import LLM
from .openai_format import message_from_wire
from .types import Completion, GenerateConfig, Message


def served_name(spec: str) -> str:
    """The model id clients see: a folder's name for ``hf:PATH``, else the spec itself."""
    if spec.startswith("hf:"):
        return Path(spec.removeprefix("hf:")).name or spec
    return spec


def request_object(raw: bytes) -> dict[str, Any]:
    """A request body as the JSON object both endpoints take; InputError (400) otherwise."""
    try:
        body = json.loads(raw)
    except ValueError as err:
        raise InputError(f"request body is not JSON: {err}") from err
    if not isinstance(body, dict):
        raise InputError("the request body must be a JSON object")
    return body


def request_config(body: dict[str, Any]) -> GenerateConfig:
    """GenerateConfig from an OpenAI request body; fields it leaves out keep our defaults
    (greedy, 512 tokens) rather than OpenAI's, as every lmforge backend does."""
    fields: dict[str, Any] = {}
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    if max_tokens is not None:
        fields["max_tokens"] = max_tokens
    for key in ("temperature", "top_p", "seed"):
        if body.get(key) is not None:
            fields[key] = body[key]
    stop = body.get("stop")
    if stop:
        fields["stop"] = (stop,) if isinstance(stop, str) else tuple(stop)
    if body.get("logprobs"):
        fields["top_logprobs"] = body.get("top_logprobs") or 0
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        fields["json_schema"] = (fmt.get("json_schema") or {}).get("schema") or {}
    elif isinstance(fmt, dict) and fmt.get("type") == "json_object":
        fields["json_schema"] = fmt.get("schema") or {"type": "object"}
    if (body.get("n") or 1) != 1:
        raise InputError("only n=1 is supported", field="n")
    try:
        return GenerateConfig(**fields)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{first['msg']}", field=where) from None


def request_messages(body: dict[str, Any]) -> list[Message]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InputError("messages must be a non-empty list", field="messages")
    return [message_from_wire(m) for m in messages]


def _logprobs_json(completion: Completion) -> dict[str, Any] | None:
    if completion.logprobs is None:
        return None
    return {
        "content": [
            {
                "token": t.token,
                "logprob": t.logprob,
                "id": t.token_id,
                "top_logprobs": [{"token": tok, "logprob": lp} for tok, lp in t.top],
            }
            for t in completion.logprobs
        ]
    }


def _usage_json(completion: Completion) -> dict[str, int]:
    usage = completion.usage
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def completion_json(completion: Completion, model: str) -> dict[str, Any]:
    """A ``chat.completion`` reply, in the shape ``openai_format.parse_completion`` reads."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": completion.text},
                "finish_reason": completion.finish_reason,
                "logprobs": _logprobs_json(completion),
            }
        ],
        "usage": _usage_json(completion),
    }


def completion_events(completion: Completion, model: str, *, usage: bool) -> Iterator[str]:
    """The same completion as ``chat.completion.chunk`` server-sent events, ``[DONE]`` last."""
    head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": model}
    head["object"] = "chat.completion.chunk"

    def event(choices: list[dict[str, Any]], **extra: Any) -> str:
        return f"data: {json.dumps({**head, 'choices': choices, **extra}, ensure_ascii=False)}\n\n"

    yield event([{"index": 0, "delta": {"role": "assistant", "content": completion.text}}])
    yield event([{"index": 0, "delta": {}, "finish_reason": completion.finish_reason}])
    if usage:
        yield event([], usage=_usage_json(completion))
    yield "data: [DONE]\n\n"


def error_status(err: BaseException) -> tuple[int, str]:
    """HTTP status and one-line message; chosen so ``error_from_status`` on the client rebuilds
    the same class (a context overflow names "context length", transient failures are 503)."""
    message = " ".join(str(err).split()) or type(err).__name__
    if isinstance(err, ContextLengthError):
        return 400, f"context length exceeded: {message}"
    if isinstance(err, InputError | ConfigError | PermanentError):
        return 400, message
    if isinstance(err, TransientError):
        return 503, message
    return 500, f"{type(err).__name__}: {message}"


def completion_prompts(body: dict[str, Any], tokenizer: Any) -> list[list[int]]:
    """The prompts of a ``/v1/completions`` request as token ids: a list of ids, a list of such
    lists, or text (tokenised with special tokens, as vLLM does)."""
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        prompt = [prompt]
    if isinstance(prompt, list) and prompt and all(isinstance(t, int) for t in prompt):
        prompt = [prompt]
    if not isinstance(prompt, list) or not prompt:
        raise InputError("prompt must be text, token ids, or a list of either", field="prompt")
    out = []
    for one in prompt:
        if isinstance(one, str):
            one = tokenizer(one, add_special_tokens=True)["input_ids"]
        if not isinstance(one, list) or not one or not all(isinstance(t, int) for t in one):
            raise InputError("each prompt must be non-empty text or token ids", field="prompt")
        out.append(one)
    return out


def _scoring_options(body: dict[str, Any]) -> tuple[int | None, int | None, int]:
    """(prompt_logprobs K, legacy logprobs K, max_tokens) of a scoring request."""
    max_tokens = body.get("max_tokens")
    max_tokens = 16 if max_tokens is None else max_tokens  # the legacy API's default
    if not isinstance(max_tokens, int) or not 0 <= max_tokens <= 1:
        raise InputError(
            "this server's /v1/completions scores prompts: max_tokens must be 0 or 1",
            field="max_tokens",
        )
    ks = []
    for key in ("prompt_logprobs", "logprobs"):
        value = body.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise InputError(f"{key} must be an integer", field=key)
        if value is not None and value < 0:
            raise InputError(f"{key} must be >= 0", field=key)
        ks.append(value)
    if (body.get("n") or 1) != 1:
        raise InputError("only n=1 is supported", field="n")
    return ks[0], ks[1], max_tokens


async def completions_reply(llm: LLM, body: dict[str, Any], name: str) -> dict[str, Any]:
    """A ``text_completion`` reply with vLLM's ``prompt_logprobs`` and/or the legacy API's
    ``echo`` + ``logprobs``, from a backend that has real logits (``token_topk``: the hf one).

    Per prompt position p >= 1, ``prompt_logprobs[p]`` maps the K most likely ids for token p
    (given tokens < p) to ``{"logprob", "rank", "decoded_token"}``; position 0 is null. vLLM
    also lists the prompt token itself when it is outside the top K; this server lists the top
    K only (a client selects by rank either way). The one generated token (``max_tokens=1``)
    is the most likely next token: greedy, which is all scoring needs.
    """
    topk = getattr(llm, "token_topk", None)
    if topk is None:
        raise BadRequestError(f"model {name!r} has no logits to score prompts with (use hf:)")
    k_prompt, k_legacy, max_tokens = _scoring_options(body)
    tokenizer = llm.tokenizer  # type: ignore[attr-defined]
    prompts = completion_prompts(body, tokenizer)
    k = max(k_prompt or 0, k_legacy or 0, 1)
    rows = await topk(prompts, k)
    choices = []
    for index, (ids, row) in enumerate(zip(prompts, rows, strict=True)):
        new = [row.token_ids[-1][0]] if max_tokens else []
        choice: dict[str, Any] = {
            "index": index,
            "text": tokenizer.decode(new),
            "finish_reason": "length",
            "logprobs": None,
        }
        if k_prompt is not None:
            choice["prompt_logprobs"] = [None] + [
                {
                    str(t): {"logprob": v, "rank": r + 1, "decoded_token": tokenizer.decode([t])}
                    for r, (t, v) in enumerate(
                        zip(row.token_ids[p][:k_prompt], row.logprobs[p][:k_prompt], strict=True)
                    )
                }
                for p in range(len(ids) - 1)
            ]
        if k_legacy is not None and body.get("echo"):
            choice["text"] = tokenizer.decode(ids) + choice["text"]
            choice["logprobs"] = _legacy_logprobs(
                ids + new, row, k_legacy, tokenizer, bool(body.get("return_tokens_as_token_ids"))
            )
        choices.append(choice)
    n_prompt = sum(len(p) for p in prompts)
    return {
        "id": f"cmpl-{uuid.uuid4().hex}",
        "object": "text_completion",
        "created": int(time.time()),
        "model": name,
        "choices": choices,
        "usage": {
            "prompt_tokens": n_prompt,
            "completion_tokens": max_tokens * len(prompts),
            "total_tokens": n_prompt + max_tokens * len(prompts),
        },
    }


def _legacy_logprobs(ids: list[int], row: Any, k: int, tokenizer: Any, as_ids: bool) -> dict:
    """The legacy ``logprobs`` object over echoed prompt + generated tokens: ``tokens``,
    ``token_logprobs`` (null where the token is outside the top K: this server keeps no more),
    ``top_logprobs`` keyed by token text, or ``token_id:N`` with ``return_tokens_as_token_ids``
    (vLLM's switch; text keys can collide, ids cannot)."""

    def key(t: int) -> str:
        return f"token_id:{t}" if as_ids else tokenizer.convert_ids_to_tokens(t)

    tokens, chosen, top = [key(ids[0])], [None], [None]
    for p in range(1, len(ids)):
        pairs = list(zip(row.token_ids[p - 1][:k], row.logprobs[p - 1][:k], strict=True))
        tokens.append(key(ids[p]))
        chosen.append(next((v for t, v in pairs if t == ids[p]), None))
        top.append({key(t): v for t, v in pairs})
    return {"tokens": tokens, "token_logprobs": chosen, "top_logprobs": top, "text_offset": []}


def create_app(llm: LLM, model: str | None = None) -> Any:
    """The FastAPI app serving ``llm`` under the id ``model`` (requests may name any model)."""
    try:
        from fastapi import FastAPI, Request
        from fastapi.responses import JSONResponse, StreamingResponse
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ConfigError("serving needs the 'serve' extra: pip install 'lmforge[serve]'") from err

    name = model or served_name(llm.spec)
    app = FastAPI(title=f"lmforge: {name}")

    def failure(err: BaseException) -> JSONResponse:
        status, message = error_status(err)
        kind = "invalid_request_error" if status < 500 else "server_error"
        return JSONResponse(
            {"error": {"message": message, "type": kind, "code": status}}, status_code=status
        )

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "lmforge"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        raw = await request.body()
        try:
            body = request_object(raw)
            messages, config = request_messages(body), request_config(body)
            completion = await llm.generate(messages, config)
        except Exception as err:  # the client gets the status its class maps to; we live on
            return failure(err)
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = completion_events(completion, name, usage=usage)
            return StreamingResponse(events, media_type="text/event-stream")
        return completion_json(completion, name)

    @app.post("/v1/completions")
    async def completions(request: Request) -> Any:
        raw = await request.body()
        try:
            return await completions_reply(llm, request_object(raw), name)
        except Exception as err:  # the client gets the status its class maps to
            return failure(err)

    return app


def serve_app(
    spec: str, *, host: str = "127.0.0.1", port: int = 8080, name: str | None = None
) -> None:
    """Load ``spec`` (no call cache: a server answers what the model says now) and serve it
    until SIGTERM or Ctrl-C. ``/health`` answers only once the model is loaded."""
    import uvicorn

    from .registry import get_llm

    llm = get_llm(spec, cache=False)
    app = create_app(llm, name)
    print(f"serving {spec} at http://{host}:{port}/v1 (Ctrl-C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
