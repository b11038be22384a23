"""A stack sampler for load runs: where a server process spends its time, threads included.

Why our own: cProfile follows one thread (the anyio worker threads that run sync routes and
dependencies go unseen) and py-spy is not installed. Every `interval_s` this thread takes
`sys._current_frames()` and counts, per function, the samples in which it is on some
thread's stack (inclusive) and on top of it (self). Idle threads show up in their wait
functions (`wait`, `select`), which a reader skips. Only switched on by the environment
variable `LMFORGE_WEB_PROFILE=PATH` (the load benchmark's `--profile`); the counts are
rewritten to PATH.<pid> every few seconds, since a uvicorn worker process ends without
running `atexit`.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType

__all__ = ["PROFILE_ENV", "start_from_env"]

PROFILE_ENV = "LMFORGE_WEB_PROFILE"


def _where(frame: FrameType) -> str:
    code = frame.f_code
    return f"{Path(code.co_filename).name}:{code.co_firstlineno}:{code.co_name}"


class _Sampler(threading.Thread):
    def __init__(self, path: Path, interval_s: float, dump_s: float) -> None:
        super().__init__(name="lmforge-sampler", daemon=True)
        self.path, self.interval_s, self.dump_s = path, interval_s, dump_s
        self.inclusive: Counter[str] = Counter()
        self.self_: Counter[str] = Counter()
        self.samples = 0

    def run(self) -> None:
        me = threading.get_ident()
        last_dump = time.monotonic()
        while True:
            time.sleep(self.interval_s)
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                self.samples += 1
                self.self_[_where(frame)] += 1
                seen: set[str] = set()
                walk: FrameType | None = frame
                while walk is not None:
                    seen.add(_where(walk))
                    walk = walk.f_back
                self.inclusive.update(seen)
            if time.monotonic() - last_dump > self.dump_s:
                self.dump()
                last_dump = time.monotonic()

    def dump(self, top: int = 60) -> None:
        lines = [f"samples {self.samples} (thread stacks, every {self.interval_s * 1000:.0f} ms)"]
        for title, counts in (("self", self.self_), ("inclusive", self.inclusive)):
            lines.append(f"--- {title}")
            lines += [f"{n:8d} {where}" for where, n in counts.most_common(top)]
        self.path.write_text("\n".join(lines) + "\n")


def start_from_env(interval_s: float = 0.005, dump_s: float = 5.0) -> bool:
    """Start the sampler when `LMFORGE_WEB_PROFILE` is set; True if it started."""
    target = os.environ.get(PROFILE_ENV)
    if not target:
        return False
    _Sampler(Path(f"{target}.{os.getpid()}"), interval_s, dump_s).start()
    return True
