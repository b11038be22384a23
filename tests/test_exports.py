"""Each public package exports exactly what its __all__ says, and every name resolves."""

import importlib

import pytest

from lmforge.systems import discover

SHARED = [
    "lmforge.llm",
    "lmforge.pipeline",
    "lmforge.text",
    "lmforge.evaluation",
    "lmforge.training",
]
EXTRA = ["lmforge.benchmarks.ifeval", "lmforge.benchmarks.followbench"]
PACKAGES = [*SHARED, *EXTRA, *(s.package for s in discover())]
"""The shared packages, then every declared system: a new system is checked without an edit here."""


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_resolve(name):
    module = importlib.import_module(name)
    assert len(set(module.__all__)) == len(module.__all__)
    for attr in module.__all__:
        assert getattr(module, attr) is not None, f"{name}.{attr}"


def test_llm_exports_the_protocol_and_tree():
    import lmforge.llm as llm

    expected = {
        "LLM",
        "get_llm",
        "Message",
        "GenerateConfig",
        "Completion",
        "CallCache",
        "ScriptedLLM",
        "EmbeddedLLM",
        "OpenAICompatLLM",
        "HFLLM",
        "InputError",
        "TransientError",
        "PermanentError",
        "RetryPolicy",
    }
    assert expected <= set(llm.__all__)
    assert issubclass(llm.RateLimitError, llm.TransientError)
    assert issubclass(llm.ContextLengthError, llm.PermanentError)
