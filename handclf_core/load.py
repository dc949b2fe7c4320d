"""Other work on this machine's CPU: how many threads besides a training want a core.

A training on a shared CPU goes at the share the other work leaves it (`training.estimate`).
The kernel's load average cannot say how much other work there is: it counts the training
itself, and it lags by a minute, so right after a training ended it still counted it (the
Train page then estimated AlexNet's quick demo at 21 minutes, four times what it had just
taken). So the count is taken directly, as a sampler thread looks a few times a second:
the threads the kernel has running or ready (`procs_running` in /proc/stat), less those of
the training's own process tree and the sampler itself. Its mean over the last WINDOW
seconds is the other work's demand, in cores. Where there is no /proc (not Linux), the
load average stands in.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

WINDOW = 20.0  # seconds of samples a reading averages
INTERVAL = 0.25  # seconds between two samples
_PROC = Path("/proc")


def _running_now() -> int | None:
    """Threads running or ready to run on the whole machine, this one included."""
    try:
        with open(_PROC / "stat", "rb") as f:
            for line in f:
                if line.startswith(b"procs_running "):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _tree(root: int) -> list[int]:
    """`root` and every process under it (the training's decoding workers, its forkserver)."""
    parents: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue  # gone meanwhile
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])  # after "(comm) S"
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, ()))
    return found


def _running_threads(pid: int) -> int:
    """Threads of process `pid` in state R (running or ready)."""
    count = 0
    try:
        tasks = list((_PROC / str(pid) / "task").iterdir())
    except OSError:
        return 0
    for task in tasks:
        try:
            stat = (task / "stat").read_bytes()
        except OSError:
            continue
        if stat[stat.rindex(b")") + 2 : stat.rindex(b")") + 3] == b"R":
            count += 1
    return count


def others_now(exclude: int | None) -> float | None:
    """One look: the threads running or ready outside the process tree of `exclude` (None:
    exclude nothing) and this thread; None where /proc cannot tell."""
    total = _running_now()
    if total is None:
        return None
    ours = sum(_running_threads(p) for p in _tree(exclude)) if exclude else 0
    mine = 0 if exclude and os.getpid() in _tree(exclude) else 1  # the looking thread
    return float(max(0, total - ours - mine))


class LoadMeter:
    """A sampler thread: `others()` is the mean count of the last WINDOW seconds of other
    work (`others_now`), excluding the process tree `exclude()` names (e.g. the training
    process; None: exclude nothing)."""

    def __init__(self, exclude: Callable[[], int | None] = lambda: None) -> None:
        self._exclude = exclude
        self._samples: deque[tuple[float, float]] = deque()
        self._sum, self._count = 0.0, 0  # every sample since the start: `mean`
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="handclf-load", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(INTERVAL)

    def _sample(self) -> None:
        value = others_now(self._exclude())
        if value is None:
            return
        now = time.monotonic()
        with self._lock:
            self._samples.append((now, value))
            self._sum, self._count = self._sum + value, self._count + 1
            while self._samples and self._samples[0][0] < now - WINDOW:
                self._samples.popleft()

    def others(self, least: int = 4) -> float:
        """Other work's mean demand (cores) over the window; with fewer than `least` samples
        (the meter just started), a few more are taken at once."""
        while len(self._samples) < least and _running_now() is not None:
            self._sample()
            time.sleep(0.02)
        with self._lock:
            values = [v for _, v in self._samples]
        if not values:  # no /proc: the load average, which counts everything
            return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        return sum(values) / len(values)

    def mean(self) -> float:
        """Other work's mean demand (cores) since the meter started (e.g. over a training)."""
        if not self._count:
            return self.others()
        with self._lock:
            return self._sum / self._count

    def close(self) -> None:
        self._stop.set()

    def __enter__(self) -> LoadMeter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def measure_others(seconds: float = 1.0, exclude: int | None = None) -> float:
    """Other work's demand (cores) over `seconds` of looking, from a command line."""
    meter = LoadMeter(lambda: exclude)
    try:
        time.sleep(seconds)
        return meter.others()
    finally:
        meter.close()
