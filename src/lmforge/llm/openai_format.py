"""The OpenAI chat-completions wire format, shared by every backend that speaks it.

The embedded model (llama.cpp's server loop, in-process) and remote servers take the same request
dict and return the same reply dict, so building and reading them lives here once; how servers
say a request failed is ``openai_errors``, streamed chunks ``openai_stream``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lmforge.errors import (
    InputError,
    MalformedResponseError,
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


def json_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as err:
        raise MalformedResponseError(f"response is not JSON: {err}", raw=text) from err
    if not isinstance(data, dict):
        raise MalformedResponseError("response is not a JSON object", raw=text)
    return data


def read_usage(data: Any) -> Usage:
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
    usage = read_usage(data.get("usage"))
    finish_reason = choice.get("finish_reason")
    require_finished(content, finish_reason, usage, raw=raw)
    return Completion(
        text=content,
        model=str(data.get("model") or fallback_model),
        finish_reason=finish_reason,
        usage=usage,
        logprobs=_logprobs(choice.get("logprobs"), raw),
    )
