"""SQLite cache of LLM calls: reruns of finished calls are free and give the same text.

The key is the SHA-256 of the canonical JSON of (model spec, messages, the generation fields that
change the output). Timeouts and retry counts are transport settings and stay out of the key;
``sample_index`` stays in, so the n-th sample of a request is its own entry.

Only finished answers are stored (:func:`finished`): a completion whose backend said why it
stopped and that has text. A cut stream, an empty one or a dropped body never is; backends raise
those as ``MalformedResponseError`` and the cache writes nothing. Entries that break the rule (an
older lmforge stored cut streams) read as misses and are replaced by the next finished answer.

A file that cannot serve as the cache (not SQLite, truncated, a folder, no permission) is one
:class:`~lmforge.errors.InputError` naming the file and the fix, raised when the cache is opened,
so every model command stops with one line and exit code 2. ``lmforge cache clear`` moves a
damaged file aside (``calls.sqlite.damaged-<time>``) and starts an empty cache: that is the only
rebuild, and only on request.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, contextmanager, suppress
from pathlib import Path

from pydantic import BaseModel

from lmforge.errors import InputError

from .base import LLM, WrappedLLM
from .types import Completion, GenerateConfig, Message, Usage


def cache_key(spec: str, messages: list[Message], config: GenerateConfig) -> str:
    payload = {
        "model": spec,
        "messages": [m.model_dump() for m in messages],
        "config": config.key_dict(),
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def finished(completion: Completion) -> bool:
    """Whether a completion may be stored: the backend said why it stopped (``finish_reason``)
    and there is text. An empty answer is not stored even when the model really stopped at once:
    it is what a lost body looks like, and asking again costs little."""
    return bool(completion.finish_reason) and completion.text != ""


class CacheDamagedError(InputError):
    """The cache file is not a readable SQLite database (garbage, truncated, torn pages);
    ``lmforge cache clear`` can move it aside."""


_FIX = "set LMFORGE_CACHE_PATH to another file, or LMFORGE_CACHE=0 to run without the cache"


def cache_error(path: Path, err: BaseException) -> InputError:
    """One line naming the file and a fix that works, for each way the file can be unusable."""
    name = getattr(err, "sqlite_errorname", "") or ""
    if path.is_dir():
        return InputError(f"is a folder, not a call cache file; {_FIX}", path=path)
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or type(err) is sqlite3.DatabaseError:
        return CacheDamagedError(
            f"the call cache is damaged ({err}); run 'lmforge cache clear' to move it aside "
            f"and start an empty one, or {_FIX}",
            path=path,
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return InputError(
            f"the call cache is locked by another process ({err}); try again when it has "
            f"finished, or {_FIX}",
            path=path,
        )
    if isinstance(err, OSError) or name.startswith(
        ("SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM")
    ):
        return InputError(
            f"cannot open the call cache ({err}); the file and its folder must be readable and "
            f"writable: fix the permissions, or {_FIX}",
            path=path,
        )
    return InputError(f"cannot use the call cache ({err}); {_FIX}", path=path)


def set_aside(path: Path) -> Path:
    """Rename a damaged cache file (and its WAL) to ``<name>.damaged-<time>``; returns the new
    path. Nothing is deleted: the old entries stay there for whoever wants to salvage them."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    try:
        path.rename(target)
        wal = path.with_name(path.name + "-wal")
        if wal.exists():
            wal.rename(target.with_name(target.name + "-wal"))
        path.with_name(path.name + "-shm").unlink(missing_ok=True)  # rebuilt from the WAL
    except OSError as err:
        raise InputError(
            f"cannot move the damaged call cache aside ({err}); {_FIX}", path=path
        ) from err
    return target


class CacheStats(BaseModel):
    path: str
    entries: int
    models: dict[str, int]
    size_bytes: int


class CallCache:
    """A key-value table in WAL mode, so several processes (shards) on one host can share one
    file. WAL needs shared memory, so shards on different hosts (a Slurm array over NFS) should
    each point ``LMFORGE_CACHE_PATH`` at a file of their own.

    Every SQLite failure leaves as the one-line :class:`InputError` of :func:`cache_error`:
    opening checks the file, so a garbage or truncated one stops a command before any call."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False, timeout=60)
        except (sqlite3.Error, OSError) as err:
            raise cache_error(self.path, err) from err
        try:
            # SQLite reads the header here: not a database, or shorter than it says, fails now
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, model TEXT NOT NULL,"
                " completion TEXT NOT NULL, created REAL NOT NULL)"
            )
            db.commit()
        except sqlite3.Error as err:
            db.close()
            raise cache_error(self.path, err) from err
        return db

    @contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as err:
                raise cache_error(self.path, err) from err

    def get(self, key: str) -> Completion | None:
        """The stored finished answer, or None; an entry this version cannot read is a miss."""
        with self._sql() as db:
            row = db.execute("SELECT completion FROM calls WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            completion = Completion.model_validate_json(row[0])
        except ValueError:
            return None
        return completion if finished(completion) else None

    def put(self, key: str, model: str, completion: Completion) -> bool:
        """Store a finished answer; anything else (:func:`finished`) is not stored. Returns
        whether it was."""
        if not finished(completion):
            return False
        stored = completion.model_dump_json(exclude={"cached", "retries"})
        with self._sql() as db:
            db.execute(
                "INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?)",
                (key, model, stored, time.time()),
            )
            db.commit()
        return True

    def stats(self) -> CacheStats:
        with self._sql() as db:
            rows = db.execute("SELECT model, COUNT(*) FROM calls GROUP BY model").fetchall()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
        return CacheStats(
            path=str(self.path), entries=sum(n for _, n in rows), models=dict(rows), size_bytes=size
        )

    def clear(self, model: str | None = None) -> int:
        with self._sql() as db:
            if model is None:
                cur = db.execute("DELETE FROM calls")
            else:
                cur = db.execute("DELETE FROM calls WHERE model = ?", (model,))
            db.commit()
        return cur.rowcount

    def reset(self) -> Path:
        """Move this (damaged) file aside and go on with an empty cache at the same path;
        returns where the old file went."""
        with self._lock:
            with suppress(sqlite3.Error):
                self._db.close()
            moved = set_aside(self.path)
            self._db = self._connect()
        return moved

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
        """Streams are for people watching: served from the cache when possible, stored once
        the stream has ended with the backend's finish reason, never piecemeal.

        Backends that stream natively say how a stream ended through ``_stream_chunks`` (their
        finish reason; a cut stream raises). A backend without native streaming is asked once
        (``_generate``); one that streams but cannot say how it ended is passed through and
        nothing is stored.
        """
        key = cache_key(self.spec, messages, config)
        hit = await asyncio.to_thread(self.cache.get, key)
        if hit is not None:
            self.hits += 1
            yield hit.text
            return
        self.misses += 1
        chunks = getattr(self.inner, "_stream_chunks", None)
        if chunks is None:
            if type(self.inner)._stream is LLM._stream:
                completion = await self.inner._generate(messages, config)
                self.cache.put(key, self.spec, completion)
                yield completion.text
                return
            async with aclosing(self.inner._stream(messages, config)) as stream:
                async for piece in stream:
                    yield piece
            return
        pieces: list[str] = []
        finish: str | None = None
        usage = Usage()
        async with aclosing(chunks(messages, config)) as stream:
            async for chunk in stream:
                finish = chunk.finish_reason or finish
                usage = chunk.usage or usage
                if chunk.text:
                    pieces.append(chunk.text)
                    yield chunk.text
        completion = Completion(
            text="".join(pieces), model=self.spec, finish_reason=finish, usage=usage
        )
        self.cache.put(key, self.spec, completion)

    def __getattr__(self, name: str):
        # scoring methods (hf sequence_logprobs, ...) pass straight through
        return getattr(self.inner, name)

    async def aclose(self) -> None:
        await self.inner.aclose()
