"""Model specs -> backends. ``lmforge models`` prints this table.

A backend is a factory ``(spec) -> LLM`` in :data:`BACKENDS`, registered by scheme with
:func:`backend`: a spec is either a registered name (``embedded``, ``scripted``) or
``SCHEME:ARG`` for a scheme that takes an argument (``openai``, ``hf``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lmforge.errors import ConfigError, InputError
from lmforge.registry import Registry

from ..config import get_settings
from .base import LLM
from .cache import CachedLLM, CallCache
from .models import EMBEDDED_MODELS, MODEL_DESCRIPTIONS


class UnknownModelSpec(InputError, ConfigError):
    """A model spec that names no backend. The spec is what the user typed (``--model``,
    ``--triggers llm:SPEC``, a config file), so it is bad input: exit 2 with one line, like any
    bad option; still a ``ConfigError`` for the callers that catch that."""


BackendFactory = Callable[[str], LLM]
BACKENDS: Registry[BackendFactory] = Registry("model backend")
"""Backend factories ``(spec) -> LLM`` by name or scheme; filled by :func:`backend`."""


def backend(
    scheme: str,
    arg: str = "",
    *,
    help: str | None = None,
    variants: tuple[tuple[str, str], ...] = (),
) -> Callable[[BackendFactory], BackendFactory]:
    """Register a factory for the spec ``scheme`` or, when ``arg`` names an argument, for
    ``scheme:ARG``; ``help`` defaults to its docstring's first line, and ``variants`` are
    further (suffix, help) lines ``lmforge models`` shows (``#vision``)."""

    def decorate(factory: BackendFactory) -> BackendFactory:
        factory.arg = arg  # type: ignore[attr-defined]
        factory.variants = variants  # type: ignore[attr-defined]
        return BACKENDS.add(scheme, factory, help=help)

    return decorate


def spec_help() -> list[tuple[str, str]]:
    """(spec form, help) of every registered backend: what ``lmforge models`` prints."""
    lines: list[tuple[str, str]] = []
    for name, text in BACKENDS.listing().items():
        factory = BACKENDS.get(name)
        arg = getattr(factory, "arg", "")
        usage = f"{name}:{arg}" if arg else name
        lines.append((usage, text))
        lines.extend((usage + suffix, more) for suffix, more in getattr(factory, "variants", ()))
    return lines


_CACHES: dict[Path, CallCache] = {}


def get_cache(path: Path | None = None) -> CallCache:
    path = path or get_settings().call_cache_path
    if path not in _CACHES:
        _CACHES[path] = CallCache(path)
    return _CACHES[path]


#: What may follow ``#`` in an ``openai:`` spec: facts about the server the client cannot ask
#: (``vision``) and how much to send it (``limit=N`` requests in flight per server).
OPENAI_SPEC_FLAGS = frozenset({"vision", "limit=N"})


@dataclass(frozen=True)
class OpenAISpec:
    """An ``openai:`` spec taken apart (see :func:`parse_openai_spec`)."""

    name: str
    urls: tuple[str, ...]
    vision: bool = False
    limit: int | None = None

    def canonical(self) -> str:
        flags = (["vision"] if self.vision else []) + (
            [f"limit={self.limit}"] if self.limit else []
        )
        tail = "#" + ",".join(flags) if flags else ""
        return f"openai:{self.name}@{','.join(self.urls)}{tail}"


def parse_openai_spec(spec: str) -> OpenAISpec:
    """``openai:NAME@URL[,URL...][#vision][,limit=N]``; the fragment is ours, never sent.

    Spaces around the commas are allowed (a YAML value folded over lines); duplicate URLs are
    refused, since they would double one server's share without saying so.
    """
    name, sep, rest = spec.strip().removeprefix("openai:").partition("@")
    rest, _, fragment = rest.partition("#")
    urls = tuple(u.strip().rstrip("/") for u in rest.split(",") if u.strip())
    if not sep or not name or not urls:
        raise ConfigError(
            f"model spec {spec!r}: expected openai:NAME@http://host:port/v1"
            " (several servers: openai:NAME@http://a:8000/v1,http://b:8000/v1)"
        )
    bad = [u for u in urls if not u.startswith(("http://", "https://"))]
    if bad:
        raise ConfigError(f"model spec {spec!r}: {bad[0]!r} is not an http(s) URL")
    if len(set(urls)) != len(urls):
        raise ConfigError(f"model spec {spec!r}: a URL is listed twice")
    vision, limit = False, None
    for flag in (f.strip() for f in fragment.split(",") if f.strip()):
        key, eq, value = flag.partition("=")
        if flag == "vision":
            vision = True
        elif key == "limit" and eq and value.isdigit() and int(value) >= 1:
            limit = int(value)
        else:
            raise ConfigError(
                f"model spec {spec!r}: unknown flag {flag!r} after '#'; known: "
                + ", ".join(sorted(OPENAI_SPEC_FLAGS))
            )
    return OpenAISpec(name.strip(), urls, vision, limit)


def _embedded(spec: str) -> LLM:
    """An embedded GGUF model, by name."""
    from .embedded import EmbeddedLLM

    return EmbeddedLLM(spec)


for _name in EMBEDDED_MODELS:
    backend(_name, help=MODEL_DESCRIPTIONS[_name])(_embedded)


@backend(
    "openai",
    "NAME@URL",
    help="any OpenAI-compatible server (vLLM, SGLang, llama.cpp, Ollama, hosted APIs); "
    "key from LMFORGE_API_KEY or OPENAI_API_KEY",
    variants=(
        ("#vision", "the same for a vision model: messages may carry images"),
        (
            ",URL2,...[#limit=N]",
            "several servers of one model: least outstanding requests, failover, N per server",
        ),
    ),
)
def _openai_backend(spec: str) -> LLM:
    """``openai:NAME@URL[,URL...][#vision][,limit=N]``; the fragment is ours, never sent.

    Several URLs give an :class:`~lmforge.llm.endpoints.EndpointPool` (``docs/endpoints.md``).
    """
    from .endpoints import EndpointPool
    from .openai_compat import OpenAICompatLLM

    parsed = parse_openai_spec(spec)
    key = get_settings().api_key
    if len(parsed.urls) > 1:
        return EndpointPool(
            parsed.name,
            parsed.urls,
            api_key=key,
            limit=parsed.limit,
            supports_images=parsed.vision,
            spec=parsed.canonical(),
        )
    llm = OpenAICompatLLM(parsed.name, parsed.urls[0], api_key=key, supports_images=parsed.vision)
    if parsed.limit:
        llm.default_concurrency = parsed.limit
    return llm


@backend(
    "hf",
    "PATH",
    help="a transformers model folder (an image-text model takes images), "
    "or hf:embedded-tiny (SmolLM2 GGUF in torch)",
)
def _hf_backend(spec: str) -> LLM:
    """``hf:PATH``: a local transformers folder, or a GGUF name loaded in torch."""
    from .hf import HFLLM

    return HFLLM.from_spec(spec.removeprefix("hf:"))


@backend("scripted")
def _scripted_backend(spec: str) -> LLM:
    """answers 'OK' to everything (tests and dry runs)"""
    from .scripted import ScriptedLLM

    return ScriptedLLM(["OK"], cycle=True)


SPEC_HELP: list[tuple[str, str]] = spec_help()
"""The built-in backends' (spec form, help) lines; :func:`spec_help` includes later plug-ins."""


def _backend(spec: str) -> LLM:
    factory = BACKENDS.find(spec)
    if factory is None or getattr(factory, "arg", ""):
        scheme, sep, _ = spec.partition(":")
        factory = BACKENDS.find(scheme) if sep else None
        if factory is not None and not getattr(factory, "arg", ""):
            factory = None
    if factory is None:
        known = ", ".join(s for s, _ in spec_help())
        raise UnknownModelSpec(f"unknown model spec {spec!r}; one of: {known}")
    return factory(spec)


def get_llm(spec: str | None = None, *, cache: bool | None = None) -> LLM:
    """The backend for a spec, behind the call cache unless ``cache`` is false."""
    settings = get_settings()
    spec = spec or settings.model
    llm = _backend(spec)
    use_cache = settings.cache if cache is None else cache
    if use_cache and not spec.startswith("scripted"):
        return CachedLLM(llm, get_cache())
    return llm
