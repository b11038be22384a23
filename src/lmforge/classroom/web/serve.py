"""`lmforge classroom serve`: the web classroom under uvicorn, on one or several workers.

Why settings travel as JSON in an environment variable: with `--workers N` uvicorn starts N
processes that each import the app by name (`app_from_env`), so the settings cannot be
passed as an object; the parent migrates the database once, makes sure the signing secret
exists (every worker must sign cookies with the same key), then hands the settings over.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from lmforge.classroom.ingest.limits import MIB
from lmforge.classroom.teach.runtime import TeachConfig
from lmforge.errors import ConfigError
from lmforge.inputs import check_file

from .settings import SETTINGS_ENV, WebSettings, load_secret

__all__ = ["KEEP_ALIVE_S", "ServeConfig", "app_from_env", "serve"]

KEEP_ALIVE_S = 75
"""How long an idle HTTP connection stays open (uvicorn's default is 5 s). Why longer than
every client's and proxy's idle timeout (nginx keeps upstream connections 60 s): a request
sent on a connection at the moment the server closes it fails with no answer at all (seen
as RemoteProtocolError in the load benchmark), so the side that sends must be the one that
closes first."""


class ServeConfig(BaseModel):
    """Where to listen, which database and model, how many worker processes."""

    host: str = "127.0.0.1"
    """Address to listen on (0.0.0.0 for every interface; put a reverse proxy in front)."""
    port: int = Field(8000, ge=0, le=65535)
    """TCP port."""
    db: str | None = None
    """Database URL: sqlite:///PATH (default DATA_DIR/classroom.db) or
    postgresql+psycopg://USER:PASSWORD@HOST/DB; migrated to the latest schema at start."""
    model: str = "embedded"
    """Model of the agents and of prepare: embedded, embedded-tiny, or openai:NAME@URL for a
    vLLM / OpenAI-compatible server (see `lmforge models`)."""
    workers: int = Field(1, ge=1, le=64)
    """uvicorn worker processes; all state is in the database, so any number works."""
    db_connections: int = Field(40, ge=2)
    """Most database connections per worker process; on PostgreSQL keep workers x this under
    the server's max_connections (default 100)."""
    data_dir: Path | None = None
    """Uploads, slide images and the cookie secret (default: LMFORGE_HOME/classroom-web)."""
    https: bool = False
    """The site is reached over HTTPS (directly or through a proxy): cookies get `Secure`."""
    ssl_certfile: Path | None = None
    """TLS certificate (PEM) to serve HTTPS directly, without a proxy; implies --https."""
    ssl_keyfile: Path | None = None
    """The certificate's private key (PEM)."""
    prepare_worker: bool = True
    """Prepare uploaded decks in a background thread of each worker process."""
    describe: Literal["model", "extract"] = "model"
    """How prepare describes pages: model, or extract (no model; fast)."""
    outline: Literal["model", "rule"] = "model"
    """How prepare builds the outline: model, or rule (no model; fast)."""
    max_upload_mib: int = Field(50, ge=1)
    """Largest deck a teacher may upload, MiB."""
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    """uvicorn's log level (critical, error, warning, info, debug)."""
    teach: TeachConfig = Field(default_factory=TeachConfig)
    """In-class knobs (the continuous mode's wait, reply lengths, director strictness)."""
    scripted_delay_s: float = Field(0.0, ge=0, le=60)
    """With --model scripted: seconds each scripted reply takes, as a model's generation
    would (load tests; 0 answers at once, so classes step as fast as the CPU allows)."""


def settings_of(config: ServeConfig) -> WebSettings:
    values: dict[str, Any] = {
        "db_url": config.db,
        "db_connections": config.db_connections,
        "model": config.model,
        "https": config.https or config.ssl_certfile is not None,
        "worker": config.prepare_worker,
        "prepare_describe": config.describe,
        "prepare_outline": config.outline,
        "teach": config.teach,
        "scripted_delay_s": config.scripted_delay_s,
    }
    if config.data_dir is not None:
        values["data_dir"] = config.data_dir
    settings = WebSettings(**values)
    settings.limits = settings.limits.model_copy(
        update={"max_file_bytes": config.max_upload_mib * MIB}
    )
    return settings


def app_from_env() -> Any:
    """The app of one uvicorn worker, from the settings the parent put in the environment."""
    from .app import create_app
    from .sampler import start_from_env

    start_from_env()  # the load benchmark's --profile; off otherwise
    raw = os.environ.get(SETTINGS_ENV)
    settings = WebSettings.model_validate_json(raw) if raw else WebSettings()
    return create_app(settings)


def serve(config: ServeConfig) -> list[str]:
    """Serve the web classroom until interrupted (Ctrl-C)."""
    import uvicorn

    from lmforge.classroom.store.db import open_database
    from lmforge.llm.registry import get_llm

    if (config.ssl_certfile is None) != (config.ssl_keyfile is None):
        raise ConfigError("give both --ssl-certfile and --ssl-keyfile, or neither")
    for path, what in ((config.ssl_certfile, "TLS certificate"), (config.ssl_keyfile, "TLS key")):
        if path is not None:
            check_file(path, what=what)
    settings = settings_of(config)
    get_llm(settings.model)  # a bad model spec fails here, in one line, before any worker
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    open_database(settings.database_url()).close()  # migrate once, before the workers start
    load_secret(settings)  # the secret file exists before the workers race to make it
    settings.migrate = False
    os.environ[SETTINGS_ENV] = settings.model_dump_json()
    print(f"classroom: http://{config.host}:{config.port}/ (database {settings.database_url()})")
    uvicorn.run(
        "lmforge.classroom.web.serve:app_from_env",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers,
        log_level=config.log_level,
        proxy_headers=True,  # client address and scheme from a proxy on 127.0.0.1
        ssl_certfile=str(config.ssl_certfile) if config.ssl_certfile else None,
        ssl_keyfile=str(config.ssl_keyfile) if config.ssl_keyfile else None,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    return []
