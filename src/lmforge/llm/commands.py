"""The model verbs (``lmforge models|generate|serve-model|cache``) as library functions with
their configs; ``lmforge.cli`` only lists them."""

from __future__ import annotations

import asyncio
import sys

from pydantic import BaseModel

__all__ = [
    "CacheClearConfig",
    "GenerateRequest",
    "ServeConfig",
    "cache_clear",
    "cache_stats",
    "generate",
    "models",
    "serve_model",
]


def models() -> None:
    """List the model backends and how to select them."""
    from rich.console import Console
    from rich.table import Table

    from lmforge.config import get_settings

    from .registry import SPEC_HELP

    table = Table(title=f"model specs (default: {get_settings().model}; set LMFORGE_MODEL)")
    table.add_column("--model")
    table.add_column("what")
    for spec, text in SPEC_HELP:
        table.add_row(spec, text)
    Console().print(table)


class GenerateRequest(BaseModel):
    """One prompt, answered by one model and streamed."""

    prompt: str
    """The user message."""
    model: str | None = None
    """Model spec (`lmforge models`); default LMFORGE_MODEL, else embedded."""
    max_tokens: int = 512
    """Most tokens to generate."""
    temperature: float = 0.0
    """Sampling temperature (0: greedy)."""
    seed: int = 0
    """Sampling seed."""
    system: str | None = None
    """Optional system message."""
    cache: bool = True
    """Use the call cache (`--no-cache` bypasses it; so does LMFORGE_CACHE=0)."""


def generate(request: GenerateRequest) -> None:
    """Generate a completion and stream it to stdout."""
    from .registry import get_llm
    from .types import GenerateConfig, Message

    llm = get_llm(request.model, cache=None if request.cache else False)  # None: LMFORGE_CACHE
    system = [Message(role="system", content=request.system)] if request.system else []
    messages = [*system, Message(role="user", content=request.prompt)]
    config = GenerateConfig(
        max_tokens=request.max_tokens, temperature=request.temperature, seed=request.seed
    )

    async def stream() -> None:
        wrote = False
        try:
            async for piece in llm.stream(messages, config):
                sys.stdout.write(piece)
                sys.stdout.flush()
                wrote = True
        except BaseException:
            if wrote:  # end the cut line, so the error is not read as the answer's last words
                sys.stdout.write("\n")
                sys.stdout.flush()
            raise
        finally:
            await llm.aclose()
        sys.stdout.write("\n")

    asyncio.run(stream())


class ServeConfig(BaseModel):
    """Where and how to serve a model over the OpenAI API."""

    model: str = "embedded"
    """An embedded model, or hf:PATH (vision too)."""
    port: int = 8080
    """TCP port."""
    host: str = "127.0.0.1"
    """Interface; loopback by default."""
    parallel: int | None = None
    """Parallel decoding slots (embedded only)."""
    ctx: int | None = None
    """Context tokens per request (embedded only)."""


def serve_model(config: ServeConfig) -> None:
    """Serve a model over the OpenAI API: embedded ones by llama.cpp's own HTTP server, hf:PATH
    (transformers, image-text models included) by lmforge's FastAPI app."""
    from .serve import serve_forever

    serve_forever(
        config.model,
        host=config.host,
        port=config.port,
        parallel=config.parallel,
        n_ctx=config.ctx,
    )


def cache_stats() -> list[str]:
    """Entries per model, file and size."""
    from .registry import get_cache

    stats = get_cache().stats()
    lines = [f"path: {stats.path}", f"entries: {stats.entries}", f"size_bytes: {stats.size_bytes}"]
    return lines + [f"  {spec}: {count}" for spec, count in sorted(stats.models.items())]


class CacheClearConfig(BaseModel):
    """Which cached calls to delete."""

    model: str | None = None
    """Only this model spec's entries."""


def cache_clear(config: CacheClearConfig) -> list[str]:
    """Delete cached calls. A damaged cache file is moved aside (kept, renamed
    ``<name>.damaged-<time>``) and an empty cache starts in its place."""
    from lmforge.config import get_settings

    from .cache import CacheDamagedError, set_aside
    from .registry import get_cache

    cache = None
    try:
        cache = get_cache()
        return [f"deleted: {cache.clear(config.model)}"]
    except CacheDamagedError as err:
        if config.model is not None:
            raise CacheDamagedError(
                "the call cache is damaged, so one model's entries cannot be picked out of it; "
                "run 'lmforge cache clear' without --model to move it aside and start an "
                "empty one",
                path=err.path,
            ) from err
        moved = cache.reset() if cache is not None else set_aside(get_settings().call_cache_path)
    get_cache()  # the empty cache, so the next command finds a sound file
    return [f"damaged cache moved to: {moved}", "deleted: all (an empty cache is in its place)"]
