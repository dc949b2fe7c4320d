"""What the classroom benchmarks share: the app started on a free port with its script runs
timed (`bench/classroom_server.py`) and its log kept, the server's CPU seconds and memory
(PSS), percentiles, a cache folder of the benchmark's own, and a training beside.

Used by `bench/bench_classroom.py` (browsers), `bench/classroom_protocol.py` (the app's
WebSocket protocol, no browser) and `bench/classroom_offenders.py` (bad input).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu(proc: psutil.Process) -> float:
    """CPU seconds of the server's processes so far: those alive now, and those that ended
    (the kernel adds a reaped child's times to its parent's `children_*`: a training
    process that left idle during a measurement stays counted)."""
    total = 0.0
    for p in tree(proc):
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


def memory(proc: psutil.Process) -> int:
    """The server's memory: the proportional set size (PSS) of its processes, summed. The
    web and training processes both map TensorFlow's libraries: resident sizes would count
    those pages twice."""
    total = 0
    for p in tree(proc):
        with contextlib.suppress(psutil.Error):
            total += p.memory_full_info().pss
    return total


class Sampler(threading.Thread):
    """The server's memory (`memory`), every 0.5 s; `peak` since the last reset."""

    def __init__(self, proc: psutil.Process):
        super().__init__(daemon=True)
        self.proc, self.peak, self.stop = proc, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self.peak = max(self.peak, memory(self.proc))


@contextlib.contextmanager
def server(env: dict, log: Path, options: tuple[str, ...] = ()):
    """The app on a free port, its script runs timed into `log` (bench/classroom_server.py),
    what it writes (its log) into `log` with the suffix ".out"; `options` for `streamlit
    run` ("--server.maxMessageSize=..."). Yields its URL and process."""
    port = free_port()
    command = ["bench/classroom_server.py", "run", "streamlit_app.py", "--server.headless=true",
               f"--server.port={port}", "--server.address=127.0.0.1",
               "--browser.gatherUsageStats=false", *options]  # fmt: skip
    env = {**env, "HANDCLF_RUN_LOG": str(log)}
    with _serving(command, env, log, port, start_s=60) as served:
        yield served


@contextlib.contextmanager
def deployed(env: dict, log: Path, processes: int):
    """The app as `deploy/classroom.sh` serves it: `processes` Streamlit processes behind
    nginx, on a free port; what it prints into `log` with the suffix ".out" (the processes'
    own logs stay in the deploy's run folder, and their script runs are not timed: the
    students' own times are the figures). Yields nginx's URL and the deploy's process, whose
    tree holds the Streamlit processes and nginx."""
    port = free_port()
    log.touch()
    command = ["deploy/classroom.py", "--processes", str(processes), "--port", str(port)]
    with _serving(command, env, log, port, start_s=120) as served:
        yield served


@contextlib.contextmanager
def _serving(command: list[str], env: dict, log: Path, port: int, start_s: float):
    """`python command` from the project's folder, its output in `log` with the suffix
    ".out", until it answers on 127.0.0.1:`port` (within `start_s` seconds, or it stopped:
    an error naming its output); yields the URL and its process, stopped after."""
    out = log.with_suffix(".out").open("w")
    proc = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + start_s
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                out.close()
                raise SystemExit(f"{command[0]} did not start: see {out.name}") from None
            time.sleep(0.3)
    try:
        yield url, psutil.Process(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        out.close()


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def server_runs(log: Path, since: float, until: float) -> tuple[dict, dict]:
    """The server's whole-page script runs between two moments, in seconds by page path,
    and its fragments' runs (count, seconds in all)."""
    pages: dict[str, list[float]] = {}
    fragments = {"runs": 0, "seconds": 0.0}
    for line in log.read_text().splitlines():
        run = json.loads(line)
        if not since <= run["start"] <= until:
            continue
        if run["fragment"]:
            fragments["runs"] += 1
            fragments["seconds"] += run["end"] - run["start"]
        else:
            pages.setdefault(run["page"], []).append(run["end"] - run["start"])
    return pages, fragments


def one_seed(seed: int) -> Path:
    """A new cache folder: the project cache's sample and its runs of `seed`, hard-linked."""
    source = project_cache()
    target = Path(tempfile.mkdtemp(prefix="handclf-classroom-"))
    shutil.copytree(source / "sample", target / "sample", copy_function=os.link)
    for run in sorted((source / "runs").glob("*/run.json")):
        if json.loads(run.read_text())["config"]["seed"] == seed:
            shutil.copytree(run.parent, target / "runs" / run.parent.name, copy_function=os.link)
    return target


def project_cache() -> Path:
    from handclf_core.paths import cache_dir

    return cache_dir()


# What a server's log may not say during a benchmark: a warning, an error, a traceback.
ALARMING = re.compile(r"Traceback|Warning|WARNING|Error|ERROR|Exception|warn\(", re.ASCII)


def log_problems(log: Path) -> list[str]:
    """The lines of the server's log (`server`'s ".out") that sound an alarm."""
    out = log.with_suffix(".out")
    lines = out.read_text(errors="replace").splitlines() if out.exists() else []
    return [line for line in lines if ALARMING.search(line)]


def training_beside(cache: Path, model: str = "alexnet") -> subprocess.Popen:
    """`model`'s quick demo training through the app's own training queue and process
    (`training.jobs`: the same process setup, priority and threads as the app's) on the
    cache folder `cache` (the served one: its job on the board that every page's sidebar
    follows, as in class); returns once the training loop runs. Stop it with
    `.terminate()`."""
    cache.mkdir(parents=True, exist_ok=True)
    if not (cache / "sample").exists():  # the sample, whose store it builds once
        shutil.copytree(project_cache() / "sample", cache / "sample", copy_function=os.link)
    seed = 1000 + int(time.time()) % 1000  # a run not stored: it trains
    proc = subprocess.Popen(
        [sys.executable, "bench/train_beside.py", model, str(seed)],
        cwd=ROOT, env={**os.environ, "HANDCLF_CACHE": str(cache)},
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    for line in proc.stdout:  # its stages, one a line, until the training loop
        if line.strip() == "training":
            return proc
    raise SystemExit(f"the training beside ended before training (exit {proc.wait()})")
