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


@pytest.mark.parametrize("name", PACKAGES)
def test_no_lazy_export_is_named_like_a_submodule(name):
    """A lazily exported ``predict`` defined in ``pkg/predict.py``: once anything imports the
    submodule, the import system binds the module over the function of the same name (eager
    ``from .benchmark import benchmark`` in ``__init__`` is safe: it binds last)."""
    import pkgutil

    module = importlib.import_module(name)
    lazy = set(getattr(module, "_EXPORTS", None) or getattr(module, "_LAZY", {}))
    subs = {info.name for info in pkgutil.iter_modules(getattr(module, "__path__", []))}
    assert not subs & lazy, f"{name}: rename the module or the export"


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
