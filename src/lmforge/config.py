"""Process-wide settings, read from ``LMFORGE_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

M = TypeVar("M", bound=BaseModel)


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


def parse_override(text: str) -> tuple[list[str], Any]:
    """``key.sub=value`` -> (["key", "sub"], value); the value is read as YAML (numbers, lists)."""
    import yaml

    from .errors import InputError

    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--set {text!r}: expected key.sub=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key.strip().split("."), value


def _assign(target: dict[str, Any], path: list[str], value: Any) -> None:
    from .errors import InputError

    for part in path[:-1]:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            raise InputError(f"cannot set {'.'.join(path)}: '{part}' is not a mapping")
    target[path[-1]] = value


def load_config(
    config_cls: type[M],
    path: str | Path | None = None,
    overrides: list[str] | None = None,
    **given: Any,
) -> M:
    """Build a config from a YAML file, then ``--set`` overrides, then explicit CLI options.

    CLI options that were not given arrive as ``None`` and leave the file's value alone. Any
    validation failure becomes one ``InputError`` naming the field.
    """
    import yaml
    from pydantic import ValidationError

    from .errors import InputError

    data: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError("no such config file", path=path) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise InputError(
                f"invalid YAML: {getattr(exc, 'problem', exc)}", path=path, line=line
            ) from None
        if not isinstance(loaded, dict | type(None)):
            raise InputError("config must be a mapping", path=path)
        data = loaded or {}
    for item in overrides or []:
        _assign(data, *parse_override(item))
    for key, value in given.items():
        if value is not None:
            _assign(data, key.split("."), value)
    try:
        return config_cls.model_validate(data)
    except ValidationError as exc:
        raise InputError.from_validation(exc, path=path) from None
