"""Ctrl-C for the CLI: the first stops the command at once and says so, the second quits.

Kept out of ``cli.py`` (a verb table): the signal handler, and the exit that does not wait for
threads still busy with a model call.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

_interrupted = False
"""Whether this command had its first Ctrl-C."""


def on_sigint(signum: int, frame: object) -> None:
    """Ctrl-C: the first stops the command at once, the second quits without cleaning up.

    Why not asyncio's own handling: ``asyncio.run`` answers a first Ctrl-C by cancelling its
    task and then, before it returns, waits for its executor's threads, where a model call in
    flight (llama.cpp, transformers) goes on to its end: the Ctrl-C seemed swallowed. Raising
    here instead, and handing the loop a fresh executor, lets the command end now; the calls
    in flight are left to the process exit (:func:`exit_interrupted`).
    """
    global _interrupted
    if _interrupted:
        os.write(2, b"\ninterrupted again: quitting now\n")
        os._exit(130)
    _interrupted = True
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            from concurrent.futures import ThreadPoolExecutor

            loop.set_default_executor(ThreadPoolExecutor())
    raise KeyboardInterrupt


def exit_interrupted() -> None:
    """Exit 130 now: without waiting for threads still busy with a call (nothing they could
    still write is needed; what finished is on disk)."""
    sys.stderr.write("interrupted\n")
    busy = [t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive()]
    if any(not t.daemon for t in busy):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(130)


def install() -> bool:
    """Take over SIGINT when this is the main thread and nobody else has; True when taken."""
    global _interrupted
    own = threading.current_thread() is threading.main_thread()
    own = own and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if own:
        _interrupted = False
        signal.signal(signal.SIGINT, on_sigint)
    return own


def uninstall() -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
