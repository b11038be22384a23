"""The web app's settings: where its database and files live, which model, the secret, limits.

Why one typed object: the same settings build the app in tests (``create_app(WebSettings(...))``)
and in every uvicorn worker process of ``lmforge classroom serve`` (passed to them as JSON in
one environment variable), so two workers sign and check cookies with the same secret and
open the same database.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from lmforge.classroom.ingest.limits import MIB, Limits
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.config import get_settings
from lmforge.errors import ConfigError

__all__ = ["SECRET_ENV", "SETTINGS_ENV", "WebSettings", "load_secret"]

SECRET_ENV = "LMFORGE_WEB_SECRET"
SETTINGS_ENV = "LMFORGE_WEB_SETTINGS"
"""Environment variable that carries the settings (JSON) to uvicorn's worker processes."""


def _default_data_dir() -> Path:
    return get_settings().home / "classroom-web"


def _upload_limits() -> Limits:
    return Limits(max_file_bytes=50 * MIB, max_pages=200, max_seconds=60.0)


class WebSettings(BaseModel):
    """Everything the app needs at start; the fields' docstrings are ``serve --help``."""

    db_url: str | None = None
    """SQLAlchemy URL (sqlite:///PATH or postgresql+psycopg://USER@HOST/DB); default: SQLite
    at DATA_DIR/classroom.db (WAL mode)."""
    model: str = "embedded"
    """Model spec of the agents and of prepare (see `lmforge models`); openai:NAME@URL for a
    vLLM server."""
    teach: TeachConfig = Field(default_factory=TeachConfig)
    """In-class knobs: the continuous mode's wait, reply lengths, director strictness."""
    scripted_delay_s: float = Field(0.0, ge=0, le=60)
    """With model `scripted`: seconds each scripted reply takes (load tests)."""
    db_connections: int = Field(40, ge=2)
    """Most database connections one worker process opens (about one per request thread;
    anyio runs up to 40): SQLAlchemy's default of 15 makes requests queue for a connection.
    On PostgreSQL, workers x this must stay under the server's max_connections."""
    data_dir: Path = Field(default_factory=_default_data_dir)
    """Uploaded decks, rendered slide images and the generated secret."""
    secret: str | None = None
    """Key that signs session cookies; default: $LMFORGE_WEB_SECRET, else a random key made once
    and kept in DATA_DIR/secret.key (mode 0600). Every worker must share it."""
    https: bool = False
    """The site is served over HTTPS (directly or behind a proxy): cookies get `Secure`."""
    limits: Limits = Field(default_factory=_upload_limits)
    """Upload and ingestion limits of a deck (size, pages, time, memory)."""
    isolated_ingest: bool = True
    """Read uploaded decks in a child process under a memory cap and a hard time limit."""
    argon2_time_cost: int = Field(3, ge=1)
    """argon2id passes over memory per password hash (argon2-cffi's default)."""
    argon2_memory_kib: int = Field(65536, ge=8)
    """argon2id memory per password hash, KiB (default 64 MiB, RFC 9106 low-memory profile)."""
    argon2_parallelism: int = Field(4, ge=1)
    """argon2id lanes per password hash."""
    login_failures: int = Field(5, ge=1)
    """Wrong passwords allowed per account and address within `login_window_s`."""
    login_window_s: int = Field(300, ge=1)
    """Window of the wrong-password limit, seconds."""
    post_limit: int = Field(30, ge=1)
    """Posts (messages, quiz answers, controls) allowed per account within `post_window_s`."""
    post_window_s: int = Field(60, ge=1)
    """Window of the posting limit, seconds."""
    session_days: int = Field(14, ge=1)
    """Days a sign-in stays valid."""
    migrate: bool = True
    """Bring the database schema to the latest migration at start (`serve` does it once
    before it starts the workers, which then skip it)."""
    worker: bool = True
    """Run the prepare worker (a thread claiming queued courses from the database)."""
    worker_poll_s: float = Field(1.0, gt=0)
    """Seconds between two looks of the worker at the queue when it is empty."""
    prepare_describe: Literal["model", "extract"] = "model"
    """How prepare describes pages: model or extract (title and first lines, no model)."""
    prepare_outline: Literal["model", "rule"] = "model"
    """How prepare builds the outline: model or rule (one section per title run, no model)."""

    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'classroom.db'}"


def load_secret(settings: WebSettings) -> str:
    """The signing key: given, else the environment, else DATA_DIR/secret.key (made once with
    O_EXCL so two workers starting together end up with the same key)."""
    if settings.secret:
        return settings.secret
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "secret.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(100):  # another worker made it a moment ago: wait for its write
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.05)
        raise ConfigError(f"{path} is empty; delete it or set {SECRET_ENV}") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()
