"""How OpenAI-compatible servers say a request failed, mapped onto lmforge's error tree.

One place for the status codes, the error bodies (servers disagree on where the message is) and
the ``Retry-After`` hints, shared by every backend that speaks the wire format.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from lmforge.errors import (
    AuthenticationError,
    BadRequestError,
    ContextLengthError,
    LLMError,
    LLMTimeoutError,
    RateLimitError,
    ServerError,
)

# What servers say when the prompt does not fit: llama.cpp (exceed_context_size_error,
# "exceeds the available context size"), vLLM ("maximum context length"), OpenAI
# (context_length_exceeded), Anthropic-style proxies ("prompt is too long").
_CONTEXT_RE = re.compile(
    r"context[ _]length|context[ _]size|context window|maximum context|exceed_context"
    r"|too many tokens|prompt is too long|input is too long",
    re.IGNORECASE,
)


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


def error_status(err: Any) -> int:
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
    raise error_from_status(error_status(err), json.dumps(reply))
