"""Passwords, the signed session cookie, CSRF tokens, rate limits and security headers.

Why this shape: the cookie is signed (itsdangerous) and carries only a random sign-in id and
the CSRF token, never an account id; the sign-in itself is a `Login` row, so logout revokes it
on every worker, and a leaked secret alone cannot forge a sign-in for an account. The CSRF
token is the double-submit kind tied to that signed cookie: a page embeds it, the POST sends it
back (form field or header), and a site that cannot read our cookie cannot know it. Rate-limit
counters are rows (`RateEvent`), so two workers count together.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .models import RateEvent

__all__ = [
    "COOKIE",
    "CSP",
    "SECURITY_HEADERS",
    "CookieCodec",
    "WebCookie",
    "Passwords",
    "rate_clear",
    "rate_count",
    "rate_hit",
    "tokens_match",
]

COOKIE = "lmforge_session"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""No inline script or style, no plugins, no framing; everything from this origin."""
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class Passwords:
    """argon2id hashing with the app's cost (default: argon2-cffi's, the RFC 9106 low-memory
    profile t=3, m=64 MiB, p=4); the stored hash names its own parameters, so a hash made
    under other costs still verifies."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4) -> None:
        self.hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when `password` matches; an unknown account still pays for one verification,
        so the time of a failed sign-in does not tell whether the e-mail exists."""
        if stored is None:
            self._dummy = self._dummy or self.hasher.hash("not a password anyone has")
        try:
            return self.hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False


def tokens_match(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


@dataclass
class WebCookie:
    """What the signed cookie holds: the sign-in id (None when signed out) and the CSRF token."""

    login: str | None = None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    dirty: bool = False
    """Set when the cookie must be (re)sent with the response."""
    fresh: bool = False
    """Made here: the browser sent no valid cookie (so it cannot hold a valid CSRF token)."""

    def rotate(self, login: str | None) -> None:
        """A new sign-in (or none) gets a new CSRF token: no token outlives a sign-in change."""
        self.login, self.csrf, self.dirty = login, secrets.token_urlsafe(32), True


class CookieCodec:
    """Signs and checks the cookie; a bad or expired one counts as no cookie."""

    def __init__(self, secret: str, *, max_age_s: int, secure: bool) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="lmforge.classroom.web")
        self.max_age_s, self.secure = max_age_s, secure

    def load(self, raw: str | None) -> WebCookie:
        if not raw:
            return WebCookie(dirty=True, fresh=True)
        try:
            data: Any = self._serializer.loads(raw, max_age=self.max_age_s)
        except BadSignature:
            return WebCookie(dirty=True, fresh=True)
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return WebCookie(dirty=True, fresh=True)
        login = data.get("l")
        return WebCookie(login=login if isinstance(login, str) else None, csrf=data["c"])

    def header(self, cookie: WebCookie) -> bytes:
        value = self._serializer.dumps({"l": cookie.login, "c": cookie.csrf})
        parts = [
            f"{COOKIE}={value}",
            "Path=/",
            f"Max-Age={self.max_age_s}",
            "HttpOnly",
            "SameSite=Lax",
        ]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts).encode("latin-1")


def _since(seconds: int) -> datetime:
    return datetime.now(timezone.utc) - timedelta(seconds=seconds)


def rate_count(db: Session, key: str, window_s: int) -> int:
    """Events under `key` in the last `window_s` seconds."""
    query = select(func.count()).where(
        RateEvent.key == key, RateEvent.created_at >= _since(window_s)
    )
    return db.scalar(query) or 0


def rate_hit(db: Session, key: str, *, limit: int, window_s: int) -> bool:
    """Count one event under `key`; False when the limit was already reached in the window
    (the event is then not counted, so a flood does not extend its own ban)."""
    if rate_count(db, key, window_s) >= limit:
        return False
    db.add(RateEvent(key=key))
    db.execute(
        delete(RateEvent).where(RateEvent.key == key, RateEvent.created_at < _since(window_s))
    )
    return True


def rate_clear(db: Session, key: str) -> None:
    db.execute(delete(RateEvent).where(RateEvent.key == key))
