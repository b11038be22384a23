"""Reading a streamed ``/chat/completions`` answer: server-sent events, and what a retried
stream has already shown its caller.

Moved out of ``openai_compat.py`` as they were (that module re-exports ``iter_sse``).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator


class _Shown:
    """Text already handed to the caller of a stream, so that a retried stream resumes after it
    instead of repeating it."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.length = 0
        self._text = ""  # the pieces joined, made when a retry starts
        self._seen = 0  # characters of the current attempt so far

    def restart(self) -> None:
        self._text, self._seen = "".join(self.pieces), 0

    def take(self, text: str) -> str | None:
        """The part of ``text`` not shown yet; None when it contradicts what was shown."""
        start, self._seen = self._seen, self._seen + len(text)
        if start >= self.length:
            new = text
        else:
            overlap = self._text[start : start + len(text)]
            if not text.startswith(overlap):
                return None
            new = text[len(overlap) :]
        if new:
            self.pieces.append(new)
            self.length += len(new)
        return new


async def iter_sse(lines: AsyncIterable[str]) -> AsyncIterator[tuple[str, str]]:
    """Yield ``(event, data)`` per server-sent event; multi-line data is joined with newlines.

    llama.cpp reports a failure after the headers as an ``error:`` field rather than
    ``data:``; it is surfaced as event ``error`` so the caller can raise it.
    """
    event, data = "message", []
    async for line in lines:
        line = line.rstrip("\r\n")
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "error":
            event, data = "error", [value]
    if data:
        yield event, "\n".join(data)
