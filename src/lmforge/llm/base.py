"""The LLM protocol every backend implements.

Backends implement ``_generate`` (one request, one attempt or their own retries) and optionally
``_stream``; callers use ``generate``, ``stream`` and ``generate_many``. Concurrency is a semaphore
owned by the caller's ``generate_many`` call, so one backend object can serve several pipelines.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing

from lmforge.errors import InputError

from .types import Completion, GenerateConfig, Message, Request, as_messages


class LLM(ABC):
    """A language model that can be asked for completions."""

    #: The spec this backend was created from (``embedded``, ``openai:NAME@URL`` ...).
    spec: str = ""
    #: Largest number of requests worth sending at once (a local model: its parallel slots).
    default_concurrency: int = 8
    #: Whether messages may carry :class:`~lmforge.llm.types.ImagePart` s (a vision model).
    supports_images: bool = False

    @abstractmethod
    async def _generate(self, messages: list[Message], config: GenerateConfig) -> Completion: ...

    async def _stream(self, messages: list[Message], config: GenerateConfig) -> AsyncIterator[str]:
        """Backends without native streaming yield the whole text once."""
        completion = await self._generate(messages, config)
        yield completion.text

    def _checked(self, prompt: str | list[Message] | list[dict]) -> list[Message]:
        """The prompt as messages; images for a text-only model are refused before any call."""
        messages = as_messages(prompt)
        if not self.supports_images and any(m.images for m in messages):
            raise InputError(
                f"model {self.spec or type(self).__name__!r} does not accept images; use a "
                "vision model (openai:NAME@URL#vision, or an hf: image-text model)"
            )
        return messages

    async def generate(
        self, prompt: str | list[Message] | list[dict], config: GenerateConfig | None = None
    ) -> Completion:
        return await self._generate(self._checked(prompt), config or GenerateConfig())

    async def stream(
        self, prompt: str | list[Message] | list[dict], config: GenerateConfig | None = None
    ) -> AsyncIterator[str]:
        # aclosing: a caller that stops early must stop the backend's decoding too
        async with aclosing(self._stream(self._checked(prompt), config or GenerateConfig())) as it:
            async for piece in it:
                yield piece

    async def generate_many(
        self,
        requests: Sequence[Request],
        *,
        concurrency: int | None = None,
        return_exceptions: bool = False,
    ) -> list[Completion | BaseException]:
        """Run requests concurrently; results come back in input order."""
        limit = asyncio.Semaphore(concurrency or self.default_concurrency)
        for req in requests:
            self._checked(req.messages)

        async def one(req: Request) -> Completion:
            async with limit:
                return await self._generate(req.messages, req.config)

        return await asyncio.gather(
            *(one(r) for r in requests), return_exceptions=return_exceptions
        )

    async def aclose(self) -> None:
        """Release sockets, threads or model memory."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r})"


class WrappedLLM(LLM):
    """A backend in front of another (cache, timing, recording): it answers as the inner model,
    with its spec, concurrency and image support, so no wrapper forgets one of them."""

    def __init__(self, inner: LLM) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.default_concurrency = inner.default_concurrency
        self.supports_images = inner.supports_images

    async def _generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        return await self.inner._generate(messages, config)
