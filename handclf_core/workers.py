"""Process pools safe to start from the app: never a fork of a threaded parent, never a
second run of the parent's main script.

The frame store's decoding, its variants and the built-in sample's drawing run in worker
processes. They start from a forkserver: a fork of the app's process (Streamlit's threads,
TensorFlow's) could inherit a lock held by a thread that does not exist in the child and
hang. The server imports the modules the workers need once (`preload`); workers forked from
it start in ~10 ms instead of importing NumPy, Pillow and pandas each.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

from handclf_core.atomic import pid_alive
from handclf_core.errors import HandCamError


def cpu_count() -> int:
    """The cores this process may use (its affinity, where the system has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def context(preload: Sequence[str] = ()):
    """The multiprocessing context of every worker: forkserver (preloading these modules;
    ignored once the server runs), or spawn where there is no forkserver."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver" and preload:
        ctx.set_forkserver_preload(list(preload))
    return ctx


def process_pool(
    workers: int | None, tasks: int, preload: Sequence[str], initializer=None, initargs=()
) -> ProcessPoolExecutor:
    """A pool of `workers` processes (None: one per core), never more than `tasks`. Each
    worker exits on its own when this process dies (killed, out of memory): it holds
    temporary files open and memory that a dead parent can no longer free."""
    count = max(1, min(workers or cpu_count(), tasks))
    start = (os.getpid(), initializer, initargs)
    return ProcessPoolExecutor(count, context(preload), initializer=_watched, initargs=start)


def _watched(parent: int, initializer, initargs) -> None:
    """A worker's start: a watch on the parent, then the pool's own initializer."""
    server = os.getppid()  # the forkserver, which exits when the parent does

    def watch() -> None:
        while os.getppid() == server and pid_alive(parent):
            time.sleep(0.5)
        os._exit(1)  # no clean-up to run: the parent's temporary files are stale now

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


@contextmanager
def main_script_hidden():
    """Workers need only this package, but multiprocessing re-runs the parent's main script
    in a new worker (or forkserver) when `__main__` has a file: inside Streamlit that is the
    app's page script, which would load the dataset again in every worker."""
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__.pop(k) for k in ("__file__",) if k in vars(main)} if main else {}
    spec = getattr(main, "__spec__", None)
    if spec is not None:
        main.__spec__ = None
    try:
        yield
    finally:
        if main is not None:
            vars(main).update(saved)
            if spec is not None:
                main.__spec__ = spec


def run_tasks(
    pool: ProcessPoolExecutor,
    fn: Callable,
    tasks: list[tuple],
    total: int,
    progress: Callable[[int, int], None] | None,
    *,
    done: int = 0,
    finished: Callable | None = None,
    kept: str = "nothing partial was kept, run it again",
) -> None:
    """Run fn(*task) for every task in the pool, reporting progress(done, total) from `done`.

    Each task returns how much it did, or a result that `finished(result)` (called here, as
    each task ends) turns into that count. On an error or interrupt, drop the queued tasks,
    wait for the running ones and hand those that end well to `finished` too (the caller
    keeps them, or removes the temporary files they wrote). `kept` tells a user what is left
    when a worker process dies."""
    futures, seen = [], set()
    try:
        with main_script_hidden():  # the workers start during these submits
            futures = [pool.submit(fn, *task) for task in tasks]
        for fut in as_completed(futures):
            seen.add(fut)
            result = fut.result()  # re-raises a worker's error, e.g. HandCamError
            done += finished(result) if finished else result
            if progress:
                progress(done, total)
    except BaseException as error:
        pool.shutdown(wait=True, cancel_futures=True)
        for fut in futures if finished else ():
            if fut not in seen and not fut.cancelled() and fut.exception() is None:
                done += finished(fut.result())
        if not isinstance(error, BrokenProcessPool):
            raise
        role = fn.__name__.strip("_").removesuffix("_chunk")  # decode, derive, render
        raise HandCamError(
            f"a {role} worker process died (killed, or out of memory) after {done:,} of "
            f"{total:,}; {kept}"
        ) from None
    pool.shutdown(wait=True)
