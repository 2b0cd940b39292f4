"""Heavy work off the request path: a small process pool with a per-user quota.

On a server, reading, converting and validating a dataset is CPU-bound Python. Run in the
server's own process it holds the interpreter lock, and every other user's "hello" waits
(four users converting 70 MB CSVs once made a fifth user's reply take 41 s). `run_heavy`
runs such a call in a separate worker process instead, so the server process only waits
on a future, and:

- at most `WORKERS` calls run at once on the machine (the rest queue), and
- at most `PER_USER` of them belong to one user (a user's extra calls wait their turn),
  so one person converting many files cannot take every worker.

Progress still reaches the caller: the worker writes `(done, total)` to a small file and
a thread in the server reads it back every `POLL_S` and calls the caller's callback. A
call whose arguments cannot be sent to another process (a cloud client), and every call
in the terminal chat (`user=None`), runs in the caller's thread as before.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Progress = Callable[[int, int], None]

#: Worker processes on the machine (each runs one heavy call at a time).
WORKERS = max(1, min(4, (os.cpu_count() or 2)))
#: Heavy calls one user may have running at once.
PER_USER = 1
#: How often progress is relayed from a worker, in seconds.
POLL_S = 0.5

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
_quotas: dict[str, threading.BoundedSemaphore] = {}


def _executor() -> ProcessPoolExecutor:
    """The shared pool, started on first use with `spawn` (forking a threaded server is unsafe)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            import multiprocessing

            _pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def _quota(user: str) -> threading.BoundedSemaphore:
    with _pool_lock:
        return _quotas.setdefault(user, threading.BoundedSemaphore(PER_USER))


def _write_progress(path: str, done: int, total: int) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write(f"{done} {total}")
    os.replace(tmp, path)


def _in_worker(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any], progress_file: str | None) -> T:
    """What a worker process runs: `fn`, with its progress written to `progress_file`."""
    if progress_file is not None:
        kwargs = {**kwargs, "progress": lambda done, total: _write_progress(progress_file, int(done), int(total))}
    return fn(*args, **kwargs)


def _relay(future: Future[Any], path: Path, progress: Progress) -> None:
    """Call `progress` in this thread with what the worker last wrote, until the call ends."""
    last = ""
    finished = False
    while not finished:
        finished = bool(wait([future], timeout=POLL_S).done)
        try:
            text = path.read_text(encoding="ascii")
        except OSError:
            continue
        if text and text != last:
            last = text
            done, total = (int(x) for x in text.split())
            progress(done, total)


def _sendable(*values: Any) -> bool:
    try:
        pickle.dumps(values)
    except Exception:  # a client with sockets or locks: run it here instead
        return False
    return True


def run_heavy(user: str | None, fn: Callable[..., T], *args: Any, progress: Progress | None = None,
              **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in a worker process under `user`'s quota; in this thread when `user` is None.

    `progress`, when given, is passed to `fn` as its `progress=` keyword (in the worker it
    is relayed back). Errors raised by `fn` (a `DataError` with its hint) are raised here.
    """
    if user is None or not _sendable(fn, args, kwargs):
        return fn(*args, progress=progress, **kwargs) if progress is not None else fn(*args, **kwargs)
    from concurrent.futures.process import BrokenProcessPool

    with _quota(user):
        pool = _executor()
        try:
            if progress is None:
                return pool.submit(_in_worker, fn, args, kwargs, None).result()
            with tempfile.TemporaryDirectory(prefix="tuning-agent-progress-") as folder:
                path = Path(folder) / "progress"
                future = pool.submit(_in_worker, fn, args, kwargs, str(path))
                _relay(future, path, progress)
                return future.result()
        except BrokenProcessPool:
            _replace_broken(pool)
            from tools.errors import ToolError

            raise ToolError("The worker reading the data stopped unexpectedly (it may have run out of memory); "
                            "nothing was changed.", "Try again; if it happens again, try a smaller file.") from None


def _replace_broken(pool: ProcessPoolExecutor) -> None:
    """Drop a pool whose worker died, so that the next call (this user's or anyone's) gets a new one: a
    broken pool refuses every later call, which made one crash stop data reading for every user."""
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown() -> None:
    """Stop the pool's workers (tests; the server's workers end with it)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None
