"""Every way to talk to a language model.

Names resolve lazily (PEP 562) so that importing one small piece, such as the exception tree,
does not pull in httpx or the llama.cpp runtime.
"""

from __future__ import annotations

from lmforge._lazy import lazy_exports

_EXPORTS = {
    "LLM": "base",
    "get_llm": "registry",
    "get_cache": "registry",
    "SPEC_HELP": "registry",
    "Message": "types",
    "TextPart": "types",
    "ImagePart": "types",
    "GenerateConfig": "types",
    "Completion": "types",
    "Usage": "types",
    "TokenLogprob": "types",
    "Request": "types",
    "CallCache": "cache",
    "CachedLLM": "cache",
    "cache_key": "cache",
    "RetryPolicy": "retry",
    "ScriptedLLM": "scripted",
    "EmbeddedLLM": "embedded",
    "OpenAICompatLLM": "openai_compat",
    "HFLLM": "hf",
    "gguf_path": "models",
    "LMForgeError": "errors",
    "InputError": "errors",
    "ConfigError": "errors",
    "LLMError": "errors",
    "TransientError": "errors",
    "PermanentError": "errors",
    "RateLimitError": "errors",
    "ServerError": "errors",
    "LLMTimeoutError": "errors",
    "LLMConnectionError": "errors",
    "MalformedResponseError": "errors",
    "AuthenticationError": "errors",
    "BadRequestError": "errors",
    "ContextLengthError": "errors",
    "ModelIntegrityError": "errors",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
