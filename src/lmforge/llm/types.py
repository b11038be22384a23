"""Plain data passed between callers and backends.

Everything here is a pydantic model so that a request can be dumped to canonical JSON (the cache
key) and a completion stored in a record's ``_meta`` without custom code.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant"]

# Fields of GenerateConfig that say how to call, not what to compute: they never enter a cache key.
TRANSPORT_FIELDS = frozenset({"timeout", "max_retries"})


class TextPart(BaseModel):
    """A piece of text inside a message that also carries images."""

    model_config = ConfigDict(frozen=True)

    type: Literal["text"] = "text"
    text: str


class ImagePart(BaseModel):
    """An image sent to a vision model, kept as base64 so a request stays plain JSON (the
    cache key hashes it like any other content)."""

    model_config = ConfigDict(frozen=True)

    type: Literal["image"] = "image"
    data: str
    """Base64 of the encoded image file (PNG, JPEG ...)."""
    mime: str = "image/png"

    @classmethod
    def from_bytes(cls, data: bytes, mime: str = "image/png") -> ImagePart:
        return cls(data=base64.b64encode(data).decode("ascii"), mime=mime)

    @classmethod
    def from_file(cls, path: str | Path) -> ImagePart:
        mime = mimetypes.guess_type(str(path))[0] or "image/png"
        return cls.from_bytes(Path(path).read_bytes(), mime)

    def to_bytes(self) -> bytes:
        return base64.b64decode(self.data)

    @property
    def data_url(self) -> str:
        """The ``data:`` URL OpenAI-compatible servers take in an ``image_url`` part."""
        return f"data:{self.mime};base64,{self.data}"


ContentPart = Annotated[TextPart | ImagePart, Field(discriminator="type")]


class Message(BaseModel):
    """One chat turn. ``content`` is a string, or text and image parts for vision models
    (backends whose ``supports_images`` is false refuse messages that hold an image)."""

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str | tuple[ContentPart, ...]

    @property
    def text(self) -> str:
        """The text of the message; parts are joined by blank lines, images left out."""
        if isinstance(self.content, str):
            return self.content
        return "\n\n".join(p.text for p in self.content if isinstance(p, TextPart))

    @property
    def images(self) -> list[ImagePart]:
        if isinstance(self.content, str):
            return []
        return [p for p in self.content if isinstance(p, ImagePart)]


class GenerateConfig(BaseModel):
    """How to sample one completion."""

    model_config = ConfigDict(frozen=True)

    max_tokens: int = Field(512, ge=1)
    """Upper bound on generated tokens."""
    temperature: float = Field(0.0, ge=0.0)
    """0 means greedy decoding."""
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    """Nucleus sampling mass."""
    seed: int = 0
    """Sampling seed; with temperature 0 it does not change the output but it is part of the key."""
    stop: tuple[str, ...] = ()
    """Strings that end generation."""
    json_schema: dict[str, Any] | None = None
    """Constrain the output to this JSON schema where the backend supports it."""
    top_logprobs: int | None = Field(None, ge=0, le=20)
    """Return this many alternatives per generated token (backends that support it)."""
    sample_index: int = Field(0, ge=0)
    """Which of several samples of the same request this is: distinct samples get distinct cache
    entries."""
    timeout: float = Field(600.0, gt=0)
    """Seconds to wait for one attempt (transport only: not part of the cache key)."""
    max_retries: int | None = Field(None, ge=0)
    """Retries of transient errors; None leaves it to the backend's retry policy (transport
    only: not part of the cache key)."""

    def key_dict(self) -> dict[str, Any]:
        """The fields that change what the model computes."""
        return self.model_dump(exclude=set(TRANSPORT_FIELDS))


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class TokenLogprob(BaseModel):
    """One generated (or scored) token with its log-probability and the top alternatives."""

    token: str
    logprob: float
    token_id: int | None = None
    top: list[tuple[str, float]] = Field(default_factory=list)


class Completion(BaseModel):
    text: str
    model: str = ""
    finish_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    logprobs: list[TokenLogprob] | None = None
    cached: bool = False
    """True when the answer came from the call cache rather than the model."""
    retries: int = 0
    """Transient failures absorbed before this answer."""


class Request(BaseModel):
    """One generation request: what ``generate_many`` takes a list of."""

    messages: list[Message]
    config: GenerateConfig = Field(default_factory=GenerateConfig)


def as_messages(prompt: str | list[Message] | list[dict[str, str]]) -> list[Message]:
    """Accept a bare prompt string, dicts or Messages: callers rarely want to build Messages."""
    if isinstance(prompt, str):
        return [Message(role="user", content=prompt)]
    return [m if isinstance(m, Message) else Message(**m) for m in prompt]
