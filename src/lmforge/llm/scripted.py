"""A model whose answers are written by the test: for parsing and control-flow tests.

Every call is logged, so tests can pin the exact prompts a pipeline sends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lmforge.errors import LLMError

from .base import LLM
from .types import Completion, GenerateConfig, Message, Usage

Responder = Callable[[list[Message], GenerateConfig], "str | Exception"]


@dataclass
class ScriptedCall:
    messages: list[Message]
    config: GenerateConfig

    @property
    def prompt(self) -> str:
        """The last user message: what most assertions are about."""
        return next((m.text for m in reversed(self.messages) if m.role == "user"), "")


class ScriptedLLM(LLM):
    """Answers from a list (in order, optionally cycling) or from a function of the request.

    An ``Exception`` in the script is raised instead of answered, to test error paths.
    """

    def __init__(
        self,
        responses: Sequence[str | Exception] | Responder = ("OK",),
        *,
        cycle: bool = False,
        name: str = "scripted",
        supports_images: bool = False,
        record: bool = True,
        delay_s: float = 0.0,
    ) -> None:
        """`record`: keep every request in `calls` (what tests assert on; a long-running
        server turns it off, or its memory grows with every reply). `delay_s`: each reply
        takes this long, without using the CPU (a load test's stand-in for a model's
        generation time)."""
        self._responder = responses if callable(responses) else None
        self._queue = list(responses) if not callable(responses) else []
        self._cycle = cycle
        self._next = 0
        self.calls: list[ScriptedCall] = []
        self.spec = name
        self.default_concurrency = 8
        self.supports_images = supports_images
        self.record = record
        self.delay_s = delay_s

    def _answer(self, messages: list[Message], config: GenerateConfig) -> str | Exception:
        if self._responder is not None:
            return self._responder(messages, config)
        if self._next >= len(self._queue):
            if not self._cycle or not self._queue:
                raise LLMError(f"scripted model ran out of responses after {self._next} calls")
            self._next = 0
        answer = self._queue[self._next]
        self._next += 1
        return answer

    async def _generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        if self.record:
            self.calls.append(ScriptedCall(list(messages), config))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        answer = self._answer(messages, config)
        if isinstance(answer, Exception):
            raise answer
        text = answer[: config.max_tokens * 8]
        prompt_words = sum(len(m.text.split()) for m in messages)
        return Completion(
            text=text,
            model=self.spec,
            finish_reason="stop",
            usage=Usage(prompt_tokens=prompt_words, completion_tokens=len(text.split())),
        )
