"""Shared fixtures. Tests never download anything; the shared data set comes through one fixture."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def test_data() -> Path:
    """Root of the project's shared data (``LMFORGE_TEST_DATA``, default ``../shared/data``).

    A user's clone may not have it: tests that need it skip with the reason.
    """
    root = Path(os.environ.get("LMFORGE_TEST_DATA", REPO.parent / "shared" / "data"))
    if not root.is_dir():
        pytest.skip(f"shared test data not found at {root} (set LMFORGE_TEST_DATA)")
    return root


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Each test gets its own call cache, but all share the assembled model files (0.5 GB)."""
    from lmforge.config import get_settings

    shared_home = Path(os.environ.get("LMFORGE_HOME", Path.home() / ".cache" / "lmforge"))
    monkeypatch.setenv("LMFORGE_HOME", str(shared_home))
    monkeypatch.setenv("LMFORGE_CACHE_PATH", str(tmp_path_factory.mktemp("cache") / "calls.sqlite"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def model_server():
    """A real OpenAI-compatible server (`lmforge serve-model`) on 127.0.0.1, serving the
    embedded model; yields its base URL."""
    from lmforge.llm.serve import spawned_server

    with spawned_server("embedded", parallel=4, n_ctx=4096) as url:
        yield url
