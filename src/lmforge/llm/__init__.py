"""Every way to talk to a language model.

Names resolve lazily (PEP 562) so that importing one small piece, such as the exception tree,
does not pull in httpx or the llama.cpp runtime.
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports

_EXPORTS = export_table(
    """
base: LLM
registry: get_llm get_cache SPEC_HELP
types: Message TextPart ImagePart GenerateConfig Completion Usage TokenLogprob Request
cache: CallCache CachedLLM
retry: RetryPolicy
scripted: ScriptedLLM
embedded: EmbeddedLLM
openai_compat: OpenAICompatLLM
endpoints: EndpointPool endpoint_stats post_json
hf: HFLLM
models: gguf_path
errors: LMForgeError InputError ConfigError LLMError TransientError PermanentError
errors: RateLimitError ServerError LLMTimeoutError LLMConnectionError MalformedResponseError
errors: AuthenticationError BadRequestError ContextLengthError ModelIntegrityError
"""
)

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
