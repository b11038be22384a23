"""`create_app`: the FastAPI application of the MAIC web classroom.

Why a pure ASGI middleware rather than Starlette's `BaseHTTPMiddleware`: it must not buffer
or wrap streamed responses (the classroom's server-sent events), and it does three things on
every request in one place: decode the signed cookie (and send it back when it changed), cap
the request body (an upload larger than the limit is cut off while it streams in, before it
fills a disk), and add the security headers to every response, error pages included.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lmforge.classroom.store.db import Database, open_database

from . import models  # noqa: F401  (the web tables on the store's metadata)
from .deps import LoginRequired, render
from .security import COOKIE, SECURITY_HEADERS, CookieCodec, Passwords
from .settings import WebSettings, load_secret

__all__ = ["create_app"]

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
ROUTERS = ("auth", "teacher", "student", "class_stream", "dashboard")
"""Modules whose `router` the app includes; one not written yet is skipped (M2/M3 build them)."""


class BodyTooLarge(Exception):
    pass


class WebMiddleware:
    """Cookie in and out, body-size cap, security headers (see the module docstring)."""

    def __init__(self, app: ASGIApp, codec: CookieCodec, max_body: int) -> None:
        self.app, self.codec, self.max_body = app, codec, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie = self.codec.load(_cookie_value(scope))
        scope.setdefault("state", {})["web_cookie"] = cookie
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await _too_large(self.max_body, send)
            return
        seen = 0

        async def capped_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge()
            return message

        started = False

        async def wrapped_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if not await _commit_request_session(scope):
                    message = {"type": "http.response.start", "status": 500, "headers": []}
                headers = [h for h in message.get("headers", []) if h[0] != b"x-frame-options"]
                headers.extend(SECURITY_HEADERS)
                if cookie.dirty:
                    headers.append((b"set-cookie", self.codec.header(cookie)))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, capped_receive, wrapped_send)
        except BodyTooLarge:
            if not started:
                await _too_large(self.max_body, send)


async def _commit_request_session(scope: Scope) -> bool:
    """Commit the request's database session before its response goes out (see `get_db`);
    False when the commit failed (the response becomes a 500).

    A transaction that already holds its connection (on SQLite: the write lock) commits here
    on the event loop: that is quick (the lock is ours, nothing waits), and it must not wait
    for a worker thread, since threads waiting for that very lock may hold them all. Only a
    session whose writes have not touched the database yet commits in a thread (it may
    have to wait for the lock itself)."""
    session = scope.get("state", {}).get("db_session")
    if session is None or not session.in_transaction():
        return True
    transaction = session.get_transaction()
    holds_connection = bool(getattr(transaction, "_connections", True))
    try:
        if holds_connection:
            session.commit()
        elif session.new or session.dirty or session.deleted:
            await anyio.to_thread.run_sync(session.commit)
        else:
            session.commit()  # nothing was read or written: ends the empty transaction
    except Exception:
        log.exception("commit of a request's transaction failed")
        session.rollback()
        return False
    return True


def _cookie_value(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is no cookie
                return None
            if COOKIE in jar:
                return jar[COOKIE].value
    return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(limit: int, send: Send) -> None:
    body = f"request too large: the limit is {limit // (1 << 20)} MiB".encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), *SECURITY_HEADERS]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _wants_page(request: Request) -> bool:
    path = request.url.path
    accept = request.headers.get("accept", "")
    if path.startswith("/api") or path.endswith("/events") or "text/event-stream" in accept:
        return False
    if "application/json" in accept and "text/html" not in accept:
        return False  # a script polling JSON (the status page) gets JSON errors
    return request.method == "GET" or "text/html" in accept


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Any:
        if _wants_page(request) and request.method == "GET":
            return RedirectResponse("/login", status_code=303)
        return JSONResponse({"detail": "sign in first"}, status_code=401)

    @app.exception_handler(StarletteHTTPException)  # FastAPI's and the router's own 404/405
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Any:
        detail = exc.detail if isinstance(exc.detail, str) else "error"
        if request.url.path.startswith("/api") or not _wants_page(request):
            return JSONResponse({"detail": detail}, status_code=exc.status_code)
        return render(request, "error.html.j2", status_code=exc.status_code, message=detail)


def _include_routers(app: FastAPI) -> list[str]:
    """Include each module's `router`; a module that does not exist yet is skipped, any other
    import error is raised (a broken module must not hide)."""
    included = []
    for name in ROUTERS:
        module_name = f"{__package__}.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        app.include_router(module.router)
        included.append(name)
    return included


def _open_database(settings: WebSettings) -> Database:
    """The store's database (URL checked, schema migrated), with a connection pool sized for
    a web server's request threads instead of SQLAlchemy's default 5 + 10."""
    return open_database(
        settings.database_url(), upgrade=settings.migrate, connections=settings.db_connections
    )


def create_app(settings: WebSettings | None = None, *, llm: Any = None) -> FastAPI:
    """The app for `settings`: opens (and migrates) the database, loads the model lazily,
    starts the prepare worker with the server when `settings.worker` is on."""
    from lmforge.llm.registry import get_llm

    settings = settings or WebSettings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = _open_database(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if settings.worker:
            from .worker import PrepareWorker

            worker = PrepareWorker(app)
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            database.close()

    app = FastAPI(title="lmforge classroom", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.db = database
    app.state.llm = llm if llm is not None else get_llm(settings.model)
    app.state.data_dir = settings.data_dir
    app.state.passwords = Passwords(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_handlers(app)
    app.state.routers = _include_routers(app)
    codec = CookieCodec(
        load_secret(settings), max_age_s=settings.session_days * 86400, secure=settings.https
    )
    max_body = settings.limits.max_file_bytes + (1 << 20)  # the deck plus the form around it
    app.add_middleware(WebMiddleware, codec=codec, max_body=max_body)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> HTMLResponse:
        return HTMLResponse("ok")

    return app
