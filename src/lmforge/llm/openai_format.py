"""The OpenAI chat-completions wire format, shared by every backend that speaks it.

The embedded model (llama.cpp's server loop, in-process) and remote servers take the same request
dict and return the same reply dict, so building, reading and error-mapping them lives here once.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel

from lmforge.errors import (
    AuthenticationError,
    BadRequestError,
    ContextLengthError,
    InputError,
    LLMError,
    LLMTimeoutError,
    MalformedResponseError,
    RateLimitError,
    ServerError,
)

from .types import (
    Completion,
    GenerateConfig,
    ImagePart,
    Message,
    TextPart,
    TokenLogprob,
    Usage,
)

# What servers say when the prompt does not fit: llama.cpp (exceed_context_size_error,
# "exceeds the available context size"), vLLM ("maximum context length"), OpenAI
# (context_length_exceeded), Anthropic-style proxies ("prompt is too long").
_CONTEXT_RE = re.compile(
    r"context[ _]length|context[ _]size|context window|maximum context|exceed_context"
    r"|too many tokens|prompt is too long|input is too long",
    re.IGNORECASE,
)


_DATA_URL_RE = re.compile(
    r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[^,;]*)*;base64,(?P<data>.*)", re.DOTALL
)


def wire_content(message: Message) -> str | list[dict[str, Any]]:
    """A message's ``content`` as OpenAI sends it: a string stays a string (byte for byte what
    text-only servers always got); parts become ``text`` and ``image_url`` (a data URL) items."""
    if isinstance(message.content, str):
        return message.content
    return [
        {"type": "text", "text": part.text}
        if isinstance(part, TextPart)
        else {"type": "image_url", "image_url": {"url": part.data_url}}
        for part in message.content
    ]


def image_from_url(url: str) -> ImagePart:
    """An ``image_url`` back into an ImagePart; only inline ``data:`` URLs, since a server that
    fetched arbitrary URLs for its callers would be an open proxy."""
    match = _DATA_URL_RE.fullmatch(url.strip())
    if match is None:
        shown = url if len(url) <= 60 else url[:57] + "..."
        raise InputError(f"image_url must be a base64 data: URL, got {shown!r}", field="image_url")
    return ImagePart(data=match["data"], mime=match["mime"] or "image/png")


def _wire_part(item: Any) -> TextPart | ImagePart:
    kind = item.get("type") if isinstance(item, dict) else None
    if kind == "text" and isinstance(item.get("text"), str):
        return TextPart(text=item["text"])
    if kind == "image_url":
        image = item.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        if isinstance(url, str):
            return image_from_url(url)
    raise InputError(f"unsupported content part {str(item)[:80]!r}", field="messages")


def message_from_wire(item: Any) -> Message:
    """One OpenAI request message as a Message (what a server we run receives)."""
    if not isinstance(item, dict) or item.get("role") not in ("system", "user", "assistant"):
        raise InputError(f"bad message {str(item)[:80]!r}", field="messages")
    content = item.get("content")
    if isinstance(content, list):
        return Message(role=item["role"], content=tuple(_wire_part(p) for p in content))
    if not isinstance(content, str):
        raise InputError("message content must be a string or a list of parts", field="messages")
    return Message(role=item["role"], content=content)


def chat_body(
    messages: list[Message],
    config: GenerateConfig,
    *,
    model: str,
    stream: bool = False,
    json_schema_format: bool = True,
) -> dict[str, Any]:
    """The JSON request for ``/chat/completions``.

    ``json_schema_format=False`` is for servers that know only ``json_object`` (with a schema).
    """
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m.role, "content": wire_content(m)} for m in messages],
        "max_tokens": config.max_tokens,
        "temperature": config.temperature,
        "top_p": config.top_p,
        "seed": config.seed,
    }
    if config.stop:
        body["stop"] = list(config.stop)
    if config.json_schema is not None:
        schema = config.json_schema
        body["response_format"] = (
            {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": schema, "strict": True},
            }
            if json_schema_format
            else {"type": "json_object", "schema": schema}
        )
    if config.top_logprobs is not None:
        body["logprobs"] = True
        body["top_logprobs"] = config.top_logprobs
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110).

    Unparseable values give ``None`` (fall back to our own backoff) rather than an error: a bad
    hint must not turn a retryable 429 into a crash.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _error_message(text: str) -> str:
    """The human part of an error body; servers disagree on where they put it."""
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip()[:500] or "(empty body)"
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            for key in ("message", "detail", "error"):
                if isinstance(err.get(key), str):
                    return err[key]
        if isinstance(err, str):
            return err
    return text.strip()[:500]


def error_from_status(status: int, text: str, headers: Mapping[str, str] | None = None) -> LLMError:
    """Map a non-2xx response onto the exception tree (the raw body is kept in ``.raw``)."""
    headers = headers or {}
    message = f"HTTP {status}: {_error_message(text)}"
    kw: dict[str, Any] = {"status": status, "raw": text}
    if status == 429:
        retry_after = parse_retry_after(headers.get("retry-after"))
        if retry_after is None and headers.get("retry-after-ms"):
            ms = parse_retry_after(headers.get("retry-after-ms"))
            retry_after = None if ms is None else ms / 1000.0
        return RateLimitError(message, retry_after=retry_after, **kw)
    if status in (401, 403):
        return AuthenticationError(message, **kw)
    if status == 408:
        return LLMTimeoutError(message, **kw)
    if status >= 500:
        return ServerError(message, **kw)
    if 400 <= status < 500 and _CONTEXT_RE.search(text):
        return ContextLengthError(message, **kw)
    return BadRequestError(message, **kw)


def _error_status(err: Any) -> int:
    """The HTTP-like status inside an error object; 500 when it names none."""
    code = err.get("code") if isinstance(err, dict) else None
    return code if isinstance(code, int) and code >= 400 else 500


def raise_for_error_reply(reply: dict[str, Any]) -> None:
    """llama.cpp answers failures with a dict holding ``error`` instead of ``choices`` (or, from
    its fallback path, a bare ``{"code": 500, "message": ...}``)."""
    err = reply.get("error")
    if not err:
        code = reply.get("code")
        if isinstance(code, int) and code >= 400 and "choices" not in reply:
            raise error_from_status(code, json.dumps(reply))
        return
    raise error_from_status(_error_status(err), json.dumps(reply))


def json_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as err:
        raise MalformedResponseError(f"response is not JSON: {err}", raw=text) from err
    if not isinstance(data, dict):
        raise MalformedResponseError("response is not a JSON object", raw=text)
    return data


def _usage(data: Any) -> Usage:
    """Token counts; counts a server garbles are left at 0 (accounting must not fail an answer)."""
    if not isinstance(data, dict):
        return Usage()

    def count(name: str) -> int:
        try:
            return max(0, int(data.get(name) or 0))
        except (TypeError, ValueError, OverflowError):
            return 0

    return Usage(prompt_tokens=count("prompt_tokens"), completion_tokens=count("completion_tokens"))


def require_finished(
    text: str,
    finish_reason: Any,
    usage: Usage,
    *,
    raw: str | None = None,
    what: str = "completion",
) -> None:
    """Raise :class:`MalformedResponseError` unless the reply is a finished answer.

    Finished means the server said why it stopped: a ``finish_reason`` (``stop``, ``length``,
    ``content_filter`` ...). Without one the answer may be cut, so it is never returned as an
    answer nor cached; as a transient error it is retried (bounded) by ``llm/retry.py``.

    An empty text is a finished answer only when the model stopped at once: ``finish_reason``
    ``stop`` and at most one generated token (an end-of-sequence, or a stop string that matched
    first; llama.cpp counts that one token). Any other empty reply (``length`` with nothing to
    show, or several tokens reported and no text) means the text was lost on the way.
    """
    if not isinstance(finish_reason, str) or not finish_reason:
        raise MalformedResponseError(
            f"{what} has no finish_reason: the server did not say it finished", raw=raw
        )
    if text == "" and (finish_reason != "stop" or usage.completion_tokens > 1):
        raise MalformedResponseError(
            f"empty {what} (finish_reason={finish_reason!r}, "
            f"{usage.completion_tokens} tokens generated): the text was lost",
            raw=raw,
        )


def _logprobs(data: Any, raw: str) -> list[TokenLogprob] | None:
    """Parse ``choice.logprobs.content`` (OpenAI shape; llama.cpp adds the token ``id``)."""
    if not isinstance(data, dict) or data.get("content") is None:
        return None
    try:
        return [
            TokenLogprob(
                token=item["token"],
                logprob=float(item["logprob"]),
                token_id=item.get("id"),
                top=[
                    (alt["token"], float(alt["logprob"])) for alt in item.get("top_logprobs") or []
                ],
            )
            for item in data["content"]
        ]
    except (KeyError, TypeError, ValueError) as err:
        raise MalformedResponseError(f"bad logprobs in response: {err!r}", raw=raw) from err


def parse_completion(text: str, fallback_model: str = "") -> Completion:
    """Turn a ``/chat/completions`` body into a Completion, or raise MalformedResponseError.

    Only a finished answer passes (see :func:`require_finished`): ``choices[0]`` with a string
    ``message.content`` and a ``finish_reason``; null content, a missing finish reason and an
    empty text that is not an immediate ``stop`` are malformed.
    """
    return parse_completion_data(json_object(text), fallback_model, raw=text)


def parse_completion_data(
    data: dict[str, Any], fallback_model: str = "", *, raw: str | None = None
) -> Completion:
    """The same for a reply that is already a dict (the in-process llama.cpp server)."""
    raw = raw if raw is not None else json.dumps(data, ensure_ascii=False, default=str)
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise MalformedResponseError("response has no choices", raw=raw)
    choice = choices[0]
    message = choice.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if content is None:
        raise MalformedResponseError("completion content is null", raw=raw)
    if not isinstance(content, str):
        raise MalformedResponseError("completion content is not a string", raw=raw)
    usage = _usage(data.get("usage"))
    finish_reason = choice.get("finish_reason")
    require_finished(content, finish_reason, usage, raw=raw)
    return Completion(
        text=content,
        model=str(data.get("model") or fallback_model),
        finish_reason=finish_reason,
        usage=usage,
        logprobs=_logprobs(choice.get("logprobs"), raw),
    )


class StreamChunk(BaseModel):
    """One parsed server-sent event of a streamed completion."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None
    """Set on the final chunk when the server honours ``stream_options.include_usage``."""
    model: str | None = None


def stream_chunk(payload: dict[str, Any], *, error_event: bool = False) -> StreamChunk:
    """Read one ``chat.completion.chunk``; an error event or payload is raised.

    ``delta.content`` may be null (llama.cpp's first chunk, OpenAI's last): that is no text,
    not an error. Whether the whole stream was a finished answer is :class:`StreamState`'s call.
    """
    if error_event or "error" in payload:
        raise error_from_status(_error_status(payload.get("error", payload)), json.dumps(payload))
    choices = payload.get("choices") or []
    if not isinstance(choices, list):
        raise MalformedResponseError("stream chunk choices is not a list", raw=json.dumps(payload))
    first = choices[0] if choices and isinstance(choices[0], dict) else {}
    delta = first.get("delta") or {}
    text = delta.get("content") if isinstance(delta, dict) else None
    finish_reason = first.get("finish_reason")
    if text is not None and not isinstance(text, str):
        raise MalformedResponseError(
            "stream chunk content is not a string", raw=json.dumps(payload)
        )
    if finish_reason is not None and not isinstance(finish_reason, str):
        raise MalformedResponseError(
            "stream chunk finish_reason is not a string", raw=json.dumps(payload)
        )
    usage = payload.get("usage")
    model = payload.get("model")
    return StreamChunk(
        text=text or "",
        finish_reason=finish_reason or None,
        usage=_usage(usage) if isinstance(usage, dict) else None,
        model=model if isinstance(model, str) else None,
    )


class StreamState:
    """What one streamed answer has said so far, to tell a finished answer from a cut one.

    A stream is finished when a chunk carried a ``finish_reason`` or the server ended it with
    ``data: [DONE]`` (a stream ended by ``[DONE]`` alone counts as ``stop``). :meth:`end` raises
    :class:`MalformedResponseError` for an empty stream (no chunk at all), for one that ended
    before either mark (a clean cut mid-text) and for an empty text that
    :func:`require_finished` refuses; callers feed every chunk through :meth:`add`.
    """

    def __init__(self) -> None:
        self.chunks = 0
        self.pieces: list[str] = []
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.done = False
        """Set by the caller when ``data: [DONE]`` arrived."""

    def add(self, chunk: StreamChunk) -> StreamChunk:
        self.chunks += 1
        if chunk.text:
            self.pieces.append(chunk.text)
        if chunk.finish_reason:
            self.finish_reason = chunk.finish_reason
        if chunk.usage is not None:
            self.usage = chunk.usage
        return chunk

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None or self.done

    def end(self) -> StreamChunk | None:
        """Check the stream once it has ended; returns the ``stop`` chunk that a stream ended
        by ``[DONE]`` alone never sent (for callers that read the finish reason)."""
        text = "".join(self.pieces)
        if self.chunks == 0:
            raise MalformedResponseError("empty stream: the server sent no chunk", raw=text)
        if not self.finished:
            raise MalformedResponseError(
                f"stream cut after {len(text)} characters: no finish_reason and no [DONE]",
                raw=text,
            )
        added = None
        if self.finish_reason is None:
            self.finish_reason = "stop"
            added = StreamChunk(finish_reason="stop")
        usage = self.usage or Usage()
        require_finished(text, self.finish_reason, usage, raw=text, what="streamed completion")
        return added
