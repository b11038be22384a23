"""`lmforge classroom serve` with real uvicorn processes on 127.0.0.1: two servers (one of
them with `--workers 2`) on one database; a sign-in made on one is valid on the other, and a
course uploaded through one is seen, prepared and published through the other."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _server(tmp: Path, db: str, *extra: str) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "lmforge.cli", "classroom", "serve", "--port", str(port),
               "--db", db, "--data-dir", str(tmp / "data"), "--model", "scripted",
               "--describe", "extract", "--outline", "rule", "--log-level", "warning",
               *extra]  # fmt: skip
    env = {**os.environ, "LMFORGE_WEB_SECRET": "shared-secret-of-the-test-" + "z" * 20}
    log = (tmp / f"server-{port}.log").open("wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # a loaded 2-core machine needs minutes
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"server exited: {(tmp / f'server-{port}.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("server did not start in 240 s")
        yield url
    finally:
        _stop(proc)
        log.close()


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (uvicorn's supervisor and its workers)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _token(client: httpx.Client, path: str) -> str:
    return CSRF.search(client.get(path).text).group(1)


@pytest.mark.slow  # three server processes start (about 40 s on a loaded 2-core machine)
def test_two_servers_share_sign_ins_and_courses(tmp_path: Path):
    from helpers import text_pdf

    db = f"sqlite:///{tmp_path / 'shared.db'}"
    deck = text_pdf(tmp_path / "cells.pdf", ("Cells", "Membranes"))
    with _server(tmp_path, db, "--workers", "2") as one, _server(tmp_path, db) as two:
        a = httpx.Client(base_url=one, follow_redirects=False, timeout=30)
        reply = a.post("/signup", data={"email": "t@example.org", "password": "x" * 10,
                       "role": "teacher", "csrf_token": _token(a, "/signup")})  # fmt: skip
        assert reply.status_code == 303
        cookie = reply.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
        with deck.open("rb") as fh:
            form = {"title": "Cells", "csrf_token": _token(a, "/courses/new")}
            files = {"deck": ("cells.pdf", fh, "application/pdf")}
            reply = a.post("/courses/new", data=form, files=files)
        assert reply.status_code == 303, reply.text
        course = reply.headers["location"]

        # The same browser (cookie jar) on the other server: signed in, sees the course.
        b = httpx.Client(base_url=two, cookies=a.cookies, follow_redirects=False, timeout=30)
        assert "Cells" in b.get("/courses").text
        deadline = time.monotonic() + 180
        while b.get(f"{course}/status").json()["status"] != "ready":
            assert time.monotonic() < deadline, b.get(f"{course}/status").json()
            time.sleep(0.5)
        reply = b.post(f"{course}/publish", data={"csrf_token": _token(b, course)})
        assert reply.status_code == 303
        assert re.search(r'id="join-code">[A-Z0-9]{8}<', a.get(course).text)
        # Signing out on one server ends the sign-in on both.
        b.post("/logout", data={"csrf_token": _token(b, "/courses")})
        a.cookies = httpx.Cookies()
        gone = httpx.Client(base_url=one, cookies={"lmforge_session": _old(cookie)})
        assert gone.get("/courses", follow_redirects=False).headers["location"] == "/login"


def _old(set_cookie: str) -> str:
    return set_cookie.split(";", 1)[0].split("=", 1)[1]


def test_serve_checks_its_options_before_starting(tmp_path: Path):
    from lmforge.classroom.web.serve import ServeConfig, serve, settings_of
    from lmforge.errors import ConfigError, InputError

    base = {"model": "scripted", "data_dir": tmp_path}
    with pytest.raises(InputError, match="no such file"):
        serve(ServeConfig(**base, ssl_certfile=tmp_path / "c.pem", ssl_keyfile=tmp_path / "k"))
    with pytest.raises(ConfigError, match="both --ssl-certfile and --ssl-keyfile"):
        serve(ServeConfig(**base, ssl_certfile=tmp_path / "c.pem"))
    with pytest.raises(ConfigError, match="unknown model spec"):
        serve(ServeConfig(model="nope", data_dir=tmp_path))
    assert not (tmp_path / "classroom.db").exists()  # nothing made before the checks pass
    settings = settings_of(ServeConfig(**base, max_upload_mib=7, https=True, describe="extract"))
    assert settings.limits.max_file_bytes == 7 << 20 and settings.https
    assert settings.prepare_describe == "extract"
    assert settings.database_url() == f"sqlite:///{tmp_path / 'classroom.db'}"
