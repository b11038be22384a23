"""Opening the classroom database: engine, sessions, SQLite pragmas, Alembic upgrades.

Why: SQLite is the zero-setup default (a file under the data directory), but the same code must
run on any SQLAlchemy URL, PostgreSQL in particular. The schema is only ever created by the
Alembic migrations shipped in this package, so a database made by `upgrade()` today can be
upgraded by a later release; `upgrade()` builds the Alembic config in code, so users need no
alembic.ini.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from lmforge.errors import ConfigError

from ...config import get_settings
from .models import Base

SQLITE_BUSY_MS = 30_000


def default_url() -> str:
    """`LMFORGE_DATABASE_URL`, else SQLite at `<home>/classroom.db`."""
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{settings.home / 'classroom.db'}"


def migrations_dir() -> Path:
    return Path(str(resources.files("lmforge.classroom.store") / "migrations"))


class Database:
    """An engine plus a session factory; use `session()` for one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.readers = sessionmaker(
            engine.execution_options(lmforge_read=True), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on error."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work; on SQLite it does not take the write lock, so pollers
        (a web page asking for new messages) never queue behind or block the writers."""
        with self.readers.begin() as session:
            yield session

    def alembic_config(self) -> Any:
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(migrations_dir()))
        # ConfigParser interpolates '%': escape it (URL-encoded passwords contain it).
        url = self.url.render_as_string(hide_password=False).replace("%", "%%")
        config.set_main_option("sqlalchemy.url", url)
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to `revision` (idempotent) with the packaged Alembic migrations."""
        from alembic import command

        config = self.alembic_config()
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def current_revision(self) -> str | None:
        from alembic.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def schema_diff(self) -> list[Any]:
        """Differences between the models and the live schema (empty when they agree)."""
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        with self.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL lets readers run beside the writer; BEGIN IMMEDIATE takes the write lock up front so
    two writers queue on busy_timeout instead of failing on a read->write lock upgrade."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get("lmforge_read", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _create_engine(url: str, connections: int | None = None) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database_url {url!r}: {exc}") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        elif not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs["pool_pre_ping"] = True
    if connections is not None and "poolclass" not in kwargs:
        # SQLite: every connection stays open. An overflow connection is closed when it is
        # returned, and a new SQLite connection runs its pragmas and parses the schema again
        # before its first query: under a web server's load that was a connection opened and
        # closed per request. A server holds connections for PostgreSQL, so there only 10 stay.
        size = connections if parsed.get_backend_name() == "sqlite" else min(10, connections)
        kwargs.update(pool_size=size, max_overflow=connections - size)
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise ConfigError(f"database_url {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine)
    return engine


def open_database(
    url: str | None = None, *, upgrade: bool = True, connections: int | None = None
) -> Database:
    """Open `url` (default: settings, else `<home>/classroom.db`) and migrate it to head.

    ``connections`` caps the pool (default SQLAlchemy's 5 + 10 overflow): a web server's request
    threads each hold one while they run, so it sizes the pool for them. An in-memory SQLite
    database keeps its single shared connection.
    """
    database = Database(_create_engine(url or default_url(), connections))
    if upgrade:
        database.upgrade()
    return database
