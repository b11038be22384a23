"""Process-wide settings, read from ``LMFORGE_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".cache" / "lmforge"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LMFORGE_", extra="ignore")

    model: str = "embedded"
    """Model spec used when a command is given none (see ``lmforge models``)."""
    home: Path = Field(default_factory=_default_home)
    """Data directory: assembled model files, the call cache, the classroom database."""
    cache: bool = True
    """Use the SQLite call cache for LLM requests."""
    cache_path: Path | None = None
    """Call cache file; defaults to ``<home>/calls.sqlite``."""
    threads: int = 0
    """CPU threads for the embedded model; 0 means all cores."""
    n_ctx: int = 8192
    """Context window of the embedded model, in tokens."""
    parallel: int = 4
    """Parallel decoding slots of the embedded model (continuous batching)."""
    database_url: str | None = None
    """SQLAlchemy URL of the classroom database; defaults to SQLite under ``home``."""
    api_key: str | None = None
    """Key for OpenAI-compatible servers (falls back to OPENAI_API_KEY)."""

    @property
    def call_cache_path(self) -> Path:
        return self.cache_path or self.home / "calls.sqlite"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
