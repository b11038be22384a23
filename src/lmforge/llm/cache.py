"""SQLite cache of LLM calls: reruns of finished calls are free and give the same text.

The key is the SHA-256 of the canonical JSON of (model spec, messages, the generation fields that
change the output). Timeouts and retry counts are transport settings and stay out of the key;
``sample_index`` stays in, so the n-th sample of a request is its own entry.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

from pydantic import BaseModel

from .base import LLM, WrappedLLM
from .types import Completion, GenerateConfig, Message


def cache_key(spec: str, messages: list[Message], config: GenerateConfig) -> str:
    payload = {
        "model": spec,
        "messages": [m.model_dump() for m in messages],
        "config": config.key_dict(),
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CacheStats(BaseModel):
    path: str
    entries: int
    models: dict[str, int]
    size_bytes: int


class CallCache:
    """A key-value table in WAL mode, so several processes (shards) on one host can share one
    file. WAL needs shared memory, so shards on different hosts (a Slurm array over NFS) should
    each point ``LMFORGE_CACHE_PATH`` at a file of their own."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, model TEXT NOT NULL,"
            " completion TEXT NOT NULL, created REAL NOT NULL)"
        )
        self._db.commit()

    def get(self, key: str) -> Completion | None:
        with self._lock:
            row = self._db.execute("SELECT completion FROM calls WHERE key = ?", (key,)).fetchone()
        return Completion.model_validate_json(row[0]) if row else None

    def put(self, key: str, model: str, completion: Completion) -> None:
        stored = completion.model_dump_json(exclude={"cached", "retries"})
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?)",
                (key, model, stored, time.time()),
            )
            self._db.commit()

    def stats(self) -> CacheStats:
        with self._lock:
            rows = self._db.execute("SELECT model, COUNT(*) FROM calls GROUP BY model").fetchall()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
        return CacheStats(
            path=str(self.path), entries=sum(n for _, n in rows), models=dict(rows), size_bytes=size
        )

    def clear(self, model: str | None = None) -> int:
        with self._lock:
            if model is None:
                cur = self._db.execute("DELETE FROM calls")
            else:
                cur = self._db.execute("DELETE FROM calls WHERE model = ?", (model,))
            self._db.commit()
        return cur.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedLLM(WrappedLLM):
    """Wraps any backend; a hit returns the stored completion marked ``cached=True``."""

    def __init__(self, inner: LLM, cache: CallCache) -> None:
        super().__init__(inner)
        self.cache = cache
        self.hits = 0
        self.misses = 0

    async def _generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        key = cache_key(self.spec, messages, config)
        # reads go to a thread (a busy disk must not stall the loop); WAL readers never wait
        hit = await asyncio.to_thread(self.cache.get, key)
        if hit is not None:
            self.hits += 1
            return hit.model_copy(update={"cached": True})
        self.misses += 1
        completion = await self.inner._generate(messages, config)
        # stored before the next await: a cancellation right after the call cannot lose it
        self.cache.put(key, self.spec, completion)
        return completion

    async def _stream(self, messages: list[Message], config: GenerateConfig) -> AsyncIterator[str]:
        """Streams are for people watching: served from the cache when possible, never stored
        piecemeal (the joined text is stored once the stream ends)."""
        key = cache_key(self.spec, messages, config)
        hit = self.cache.get(key)
        if hit is not None:
            yield hit.text
            return
        pieces = []
        async with aclosing(self.inner._stream(messages, config)) as stream:
            async for piece in stream:
                pieces.append(piece)
                yield piece
        self.cache.put(key, self.spec, Completion(text="".join(pieces), model=self.spec))

    def __getattr__(self, name: str):
        # scoring methods (hf sequence_logprobs, ...) pass straight through
        return getattr(self.inner, name)

    async def aclose(self) -> None:
        await self.inner.aclose()
