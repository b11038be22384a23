"""Streamed chat completions: one server-sent chunk read, and whether the whole stream was a
finished answer or a cut one (the cache stores only finished answers)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from lmforge.errors import MalformedResponseError

from .openai_errors import error_from_status, error_status
from .openai_format import read_usage, require_finished
from .types import Usage


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
        raise error_from_status(error_status(payload.get("error", payload)), json.dumps(payload))
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
        usage=read_usage(usage) if isinstance(usage, dict) else None,
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
