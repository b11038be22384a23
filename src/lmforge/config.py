"""Process-wide settings, read from ``LMFORGE_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

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
    threads: int = Field(0, ge=0)
    """CPU threads of the embedded model (``LMFORGE_THREADS``); 0 means one per CPU this process
    may use (its affinity mask: taskset or a container's cpuset). Waiting threads spin briefly,
    then sleep (``GOMP_SPINCOUNT=1000`` unless ``GOMP_SPINCOUNT`` or ``OMP_WAIT_POLICY`` is set),
    so a second busy process on the same cores costs each about half its speed, not 98%."""
    n_ctx: int = 8192
    """Context window of the embedded model, in tokens."""
    parallel: int = 4
    """Parallel decoding slots of the embedded model (continuous batching)."""
    database_url: str | None = None
    """SQLAlchemy URL of the classroom database; defaults to SQLite under ``home``."""
    api_key: str | None = None
    """Key for OpenAI-compatible servers (falls back to OPENAI_API_KEY)."""
    gc: Literal["run", "default"] = "run"
    """CPython's cyclic collector while a stage runs (``LMFORGE_GC``): ``run`` sets aside the
    objects that existed before the run and collects the young generation less often
    (``pipeline.gc_scope``: 30-37 µs of ~200 per record at an instant server); ``default``
    leaves CPython's own settings."""

    @property
    def call_cache_path(self) -> Path:
        return self.cache_path or self.home / "calls.sqlite"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings; a bad ``LMFORGE_*`` value is one line naming the variable (exit 2)."""
    from pydantic import ValidationError

    from .errors import InputError

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "LMFORGE_" + ".".join(str(p) for p in first["loc"]).upper()
        raise InputError(
            f"environment variable {name}={first.get('input')!r}: {first['msg']}"
        ) from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """``key.sub=value`` -> (["key", "sub"], value); the value is read as YAML (numbers, lists),
    under the input gate's YAML bounds (an alias bomb in ``--set`` is refused, not expanded)."""
    from .errors import InputError
    from .inputs import loads_yaml

    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--set {text!r}: expected key.sub=value")
    try:
        value = loads_yaml(raw, what=f"--set {key.strip()}") if raw.strip() else ""
    except InputError as exc:
        if "invalid YAML" not in str(exc):
            raise InputError(f"--set {key.strip()}: {exc}") from None
        value = raw  # not YAML: the text itself
    return key.strip().split("."), value


def _assign(target: dict[str, Any], path: list[str], value: Any) -> None:
    from .errors import InputError

    for part in path[:-1]:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            raise InputError(f"cannot set {'.'.join(path)}: '{part}' is not a mapping")
    target[path[-1]] = value


def _read_config_file(path: str | Path) -> dict[str, Any]:
    from .errors import InputError
    from .inputs import read_yaml

    loaded = read_yaml(path, what="config")
    if not isinstance(loaded, dict | type(None)):
        raise InputError("config must be a mapping", path=path)
    return loaded or {}


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds (directly or as ``X | None``), else None."""
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0]
    return None


def unknown_key(config_cls: type[BaseModel], data: Any, prefix: str = "") -> tuple[str, str]:
    """The first key of ``data`` that no field of ``config_cls`` takes, with a suggestion;
    ("", "") when all are known. A typo (``concurency: 4``) must not be silently ignored."""
    import difflib

    if not isinstance(data, dict) or config_cls.model_config.get("extra") == "allow":
        return "", ""
    names: dict[str, Any] = {}
    for name, info in config_cls.model_fields.items():
        names[name] = info
        if info.alias:
            names[info.alias] = info
    for key, value in data.items():
        info = names.get(key)
        if info is None:
            near = difflib.get_close_matches(str(key), list(names), n=1)
            hint = f" (did you mean '{prefix}{near[0]}'?)" if near else ""
            return f"{prefix}{key}", f"unknown key{hint}"
        inner = _model_of(info.annotation)
        if inner is not None:
            found = unknown_key(inner, value, f"{prefix}{key}.")
            if found[0]:
                return found
    return "", ""


def _key_line(path: str | Path, key: str) -> int | None:
    """Line of a top-level key in a config file (for the error message), if it can be found."""
    import re

    from .inputs import read_text

    head = re.escape(key.split(".")[0])
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if re.match(rf"\s*['\"]?{head}['\"]?\s*:", line):
            return number
    return None


def load_config(
    config_cls: type[M],
    path: str | Path | None = None,
    overrides: list[str] | None = None,
    **given: Any,
) -> M:
    """Build a config from a YAML file, then ``--set`` overrides, then explicit CLI options.

    CLI options that were not given arrive as ``None`` and leave the file's value alone. An
    unknown key, in the file or in ``--set``, is refused with the nearest known name; any
    validation failure becomes one ``InputError`` naming the field.
    """
    from pydantic import ValidationError

    from .errors import InputError

    data: dict[str, Any] = _read_config_file(path) if path is not None else {}
    key, problem = unknown_key(config_cls, data)
    if key:
        raise InputError(problem, path=path, line=_key_line(path, key), field=key)
    for item in overrides or []:
        keys, value = parse_override(item)
        _assign(data, keys, value)
        key, problem = unknown_key(config_cls, data)
        if key:
            raise InputError(f"--set {item.partition('=')[0]}: {problem}", field=None)
    for name, value in given.items():
        if value is not None:
            _assign(data, name.split("."), value)
    try:
        return config_cls.model_validate(data)
    except ValidationError as exc:
        raise InputError.from_validation(exc, path=path) from None
