"""Model specs -> backends. ``lmforge models`` prints this table."""

from __future__ import annotations

from pathlib import Path

from lmforge.errors import ConfigError

from ..config import get_settings
from .base import LLM
from .cache import CachedLLM, CallCache
from .models import EMBEDDED_MODELS, MODEL_DESCRIPTIONS

SPEC_HELP: list[tuple[str, str]] = [
    *((name, MODEL_DESCRIPTIONS[name]) for name in EMBEDDED_MODELS),
    (
        "openai:NAME@URL",
        "any OpenAI-compatible server (vLLM, SGLang, llama.cpp, Ollama, hosted APIs); "
        "key from LMFORGE_API_KEY or OPENAI_API_KEY",
    ),
    ("openai:NAME@URL#vision", "the same for a vision model: messages may carry images"),
    (
        "hf:PATH",
        "a transformers model folder (an image-text model takes images), "
        "or hf:embedded-tiny (SmolLM2 GGUF in torch)",
    ),
    ("scripted", "answers 'OK' to everything (tests and dry runs)"),
]

_CACHES: dict[Path, CallCache] = {}


def get_cache(path: Path | None = None) -> CallCache:
    path = path or get_settings().call_cache_path
    if path not in _CACHES:
        _CACHES[path] = CallCache(path)
    return _CACHES[path]


#: What may follow ``#`` in an ``openai:`` spec: facts about the server the client cannot ask.
OPENAI_SPEC_FLAGS = frozenset({"vision"})


def _openai_backend(spec: str) -> LLM:
    """``openai:NAME@URL[#vision]``; the fragment is ours, never part of the URL sent."""
    name, sep, rest = spec.removeprefix("openai:").partition("@")
    url, _, fragment = rest.partition("#")
    if not sep or not name or not url:
        raise ConfigError(f"model spec {spec!r}: expected openai:NAME@http://host:port/v1")
    flags = set(fragment.split(",")) if fragment else set()
    if flags - OPENAI_SPEC_FLAGS:
        unknown = ", ".join(sorted(flags - OPENAI_SPEC_FLAGS))
        raise ConfigError(
            f"model spec {spec!r}: unknown flag {unknown!r} after '#'; known: "
            + ", ".join(sorted(OPENAI_SPEC_FLAGS))
        )
    from .openai_compat import OpenAICompatLLM

    return OpenAICompatLLM(
        name, url, api_key=get_settings().api_key, supports_images="vision" in flags
    )


def _backend(spec: str) -> LLM:
    if spec in EMBEDDED_MODELS:
        from .embedded import EmbeddedLLM

        return EmbeddedLLM(spec)
    if spec.startswith("openai:"):
        return _openai_backend(spec)
    if spec.startswith("hf:"):
        from .hf import HFLLM

        return HFLLM.from_spec(spec.removeprefix("hf:"))
    if spec == "scripted":
        from .scripted import ScriptedLLM

        return ScriptedLLM(["OK"], cycle=True)
    raise ConfigError(f"unknown model spec {spec!r}; one of: " + ", ".join(s for s, _ in SPEC_HELP))


def get_llm(spec: str | None = None, *, cache: bool | None = None) -> LLM:
    """The backend for a spec, behind the call cache unless ``cache`` is false."""
    settings = get_settings()
    spec = spec or settings.model
    llm = _backend(spec)
    use_cache = settings.cache if cache is None else cache
    if use_cache and not spec.startswith("scripted"):
        return CachedLLM(llm, get_cache())
    return llm
