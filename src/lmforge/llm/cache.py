"""SQLite cache of LLM calls: reruns of finished calls are free and give the same text.

The key is the SHA-256 of the canonical JSON of (model spec, messages, the generation fields that
change the output). Timeouts and retry counts are transport settings and stay out of the key;
``sample_index`` stays in, so the n-th sample of a request is its own entry.

Only finished answers are stored (:func:`finished`): a completion whose backend said why it
stopped and that has text. A cut stream, an empty one or a dropped body never is; backends raise
those as ``MalformedResponseError`` and the cache writes nothing. Entries that break the rule (an
older lmforge stored cut streams) read as misses and are replaced by the next finished answer.

Calls made on an event loop (:class:`CachedLLM`) read and write through the cache's own thread
and connection (:meth:`CallCache.aget`, :meth:`CallCache.aput`), in batches: whatever is queued
when the thread wakes is one transaction, one commit for all its writes (group commit) and one
query for all its reads, so the loop never waits on the disk and a busy run pays a commit per
batch, not per call. **What survives a kill:** an answer :class:`CachedLLM` has returned was
committed first (``aput`` resolves after the commit), so a call whose result reached the runner
(and so any row it wrote) is in the cache after a ``SIGKILL`` at any later moment. It is in the
WAL with ``synchronous=NORMAL``: a crash of the process cannot lose it; a power cut can lose the
last commits (SQLite's own trade-off for WAL, as before).

A file that cannot serve as the cache (not SQLite, truncated, a folder, no permission) is one
:class:`~lmforge.errors.InputError` naming the file and the fix, raised when the cache is opened,
so every model command stops with one line and exit code 2. ``lmforge cache clear`` moves a
damaged file aside (``calls.sqlite.damaged-<time>``) and starts an empty cache: that is the only
rebuild, and only on request.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, contextmanager, suppress
from functools import partial
from pathlib import Path

from pydantic import BaseModel

from lmforge.errors import InputError

from .base import LLM, WrappedLLM
from .cache_key import cache_key
from .cache_thread import GET, INSERT, PUT, CacheThread, this_process
from .types import Completion, GenerateConfig, Message, Usage


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


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the cache file, checked (every failure is :func:`cache_error`'s)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, timeout=60)
    except (sqlite3.Error, OSError) as err:
        raise cache_error(path, err) from err
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
        raise cache_error(path, err) from err
    return db


class CacheStats(BaseModel):
    path: str
    entries: int
    models: dict[str, int]
    size_bytes: int


def _read(stored: str | None) -> Completion | None:
    """A stored entry as a Completion; one this version cannot read, or not finished, is None."""
    if stored is None:
        return None
    try:
        completion = Completion.model_validate_json(stored)
    except ValueError:
        return None
    return completion if finished(completion) else None


def _stored(completion: Completion) -> str:
    return completion.model_dump_json(exclude={"cached", "retries"})


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
        self._worker: CacheThread | None = None

    def _connect(self) -> sqlite3.Connection:
        return connect(self.path)

    @contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as err:
                raise cache_error(self.path, err) from err

    def _thread(self) -> CacheThread:
        worker = self._worker
        if worker is None or worker.pid != this_process() or worker.stopping:  # or a fork's copy
            # nothing in the thread refers to this object: it stops when this is collected
            worker = CacheThread(partial(connect, self.path), partial(cache_error, self.path))
            weakref.finalize(self, worker.stop_soon).atexit = False  # at exit: stop_workers
            self._worker = worker
        return worker

    def _flush(self) -> None:
        if self._worker is not None and self._worker.pid == this_process():
            self._worker.flush()

    def get(self, key: str) -> Completion | None:
        """The stored finished answer, or None; an entry this version cannot read is a miss."""
        with self._sql() as db:
            row = db.execute("SELECT completion FROM calls WHERE key = ?", (key,)).fetchone()
        return _read(row[0] if row else None)

    def put(self, key: str, model: str, completion: Completion) -> bool:
        """Store a finished answer; anything else (:func:`finished`) is not stored. Returns
        whether it was."""
        if not finished(completion):
            return False
        with self._sql() as db:
            db.execute(INSERT, (key, model, _stored(completion), time.time()))
            db.commit()
        return True

    async def aget(self, key: str) -> Completion | None:
        """:meth:`get` for a coroutine: read by the cache's thread, batched with other reads."""
        return _read(await self._thread().submit(GET, key))

    async def aput(self, key: str, model: str, completion: Completion) -> bool:
        """:meth:`put` for a coroutine: returns once the entry is committed, in one commit with
        the other writes queued meanwhile. The write is queued before the first ``await``, so
        cancelling the caller does not lose it."""
        if not finished(completion):
            return False
        row = (key, model, _stored(completion), time.time())
        return await self._thread().submit(PUT, row)

    def stats(self) -> CacheStats:
        self._flush()
        with self._sql() as db:
            rows = db.execute("SELECT model, COUNT(*) FROM calls GROUP BY model").fetchall()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
        return CacheStats(
            path=str(self.path), entries=sum(n for _, n in rows), models=dict(rows), size_bytes=size
        )

    def clear(self, model: str | None = None) -> int:
        self._flush()
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
        self._stop()
        with self._lock:
            with suppress(sqlite3.Error):
                self._db.close()
            moved = set_aside(self.path)
            self._db = self._connect()
        return moved

    def _stop(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None and worker.pid == this_process():
            worker.stop()

    def close(self) -> None:
        """Commit what is queued, stop the thread, close the connections."""
        self._stop()
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
        # the cache's thread reads and writes (a busy disk must not stall the loop)
        hit = await self.cache.aget(key)
        if hit is not None:
            self.hits += 1
            hit.cached = True  # a fresh object per read
            return hit
        self.misses += 1
        completion = await self.inner._generate(messages, config)
        # queued before the next await (a cancellation cannot lose it); returned once committed
        await self.cache.aput(key, self.spec, completion)
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
        hit = await self.cache.aget(key)
        if hit is not None:
            self.hits += 1
            yield hit.text
            return
        self.misses += 1
        chunks = getattr(self.inner, "_stream_chunks", None)
        if chunks is None:
            if type(self.inner)._stream is LLM._stream:
                completion = await self.inner._generate(messages, config)
                await self.cache.aput(key, self.spec, completion)
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
        await self.cache.aput(key, self.spec, completion)

    def __getattr__(self, name: str):
        # scoring methods (hf sequence_logprobs, ...) pass straight through
        return getattr(self.inner, name)

    async def aclose(self) -> None:
        await self.inner.aclose()
