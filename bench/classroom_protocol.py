"""A class on one server without browsers: N students speaking the app's WebSocket protocol
(`bench/protocol_client.py`), `python bench/bench_classroom.py --protocol`.

For each N, on a freshly started server: the teacher opens every page once; after `pause`
seconds the teacher says "open the app" and the N students arrive spread over `spread`
seconds (evenly), each walks Home, Dataset, Compare and Predict (each page as soon as the
last one is drawn) and keeps Predict open, answering its auto-reruns as a browser does,
until every student has walked and `hold` seconds more. Per page: the seconds from the
request to its `script_finished` at the client (median, 95th percentile), and the server's
own script run (`bench/classroom_server.py`). The errors the pages showed or the clients
met; the server's CPU seconds per student (arrivals and walks), its peak memory (PSS),
and the lines of its log that sound an alarm (`classroom_measure.log_problems`). No
browser's CPU on the machine: the figures are the server's.
"""

from __future__ import annotations

import asyncio
import collections
import shutil
import statistics
import time
from pathlib import Path

import psutil

from bench import classroom_measure as measure
from bench.protocol_client import Tab

TEACHER = ["", "Dataset", "Preprocessing", "Train", "Compare", "Predict"]  # URL names
WALK = ["", "Dataset", "Compare", "Predict"]
PAGE_TIMEOUT = 120  # seconds: a page not drawn by then is an error
TITLES = {"": "Home", "Dataset": "Dataset", "Compare": "Compare", "Predict": "Predict"}


async def _student(url: str, delay: float, times: dict, errors: list, notes: list,
                   done: asyncio.Event, walked: list) -> None:  # fmt: skip
    await asyncio.sleep(delay)
    page = "(connecting)"
    try:
        async with Tab(url) as tab:
            for page in WALK:
                drawn = await tab.open(page, timeout=PAGE_TIMEOUT)
                times[page].append(drawn.seconds)
                errors.extend(f"{TITLES[page]}: {e}" for e in drawn.errors)
                notes.extend(f"{TITLES[page]}: {e[:80]}" for e in tab.notes)
            walked.append(time.perf_counter())
            await done.wait()  # Predict stays open, its auto-reruns answered
    except Exception as e:  # a refused or dropped connection, a page that never ended
        errors.append(f"{TITLES.get(page, page)}: client: {type(e).__name__} {e}")
        walked.append(time.perf_counter())


async def teacher(url: str) -> dict:
    """Every page once, in order: seconds each."""
    async with Tab(url) as tab:
        return {TITLES.get(p, p): round((await tab.open(p)).seconds, 2) for p in TEACHER}


async def students(url: str, proc: psutil.Process, log: Path, n: int, spread: float = 10,
                   hold: float = 10) -> dict:  # fmt: skip
    """N students arriving evenly over `spread` s; their figures (see the module's)."""
    times: dict[str, list[float]] = collections.defaultdict(list)
    errors: list[str] = []
    notes: list[str] = []  # info boxes: a page that stopped at a guard says so here
    walked: list[float] = []
    done = asyncio.Event()
    sampler = measure.Sampler(proc)
    sampler.peak = measure.memory(proc)
    sampler.start()
    load = psutil.getloadavg()[0]
    cpu0, t0, since = measure.cpu(proc), time.perf_counter(), time.time()
    delays = [spread * i / max(n - 1, 1) for i in range(n)]
    tasks = [
        asyncio.create_task(_student(url, d, times, errors, notes, done, walked)) for d in delays
    ]
    deadline = time.perf_counter() + spread + 600
    while len(walked) < n and time.perf_counter() < deadline:  # a stuck client: counted
        await asyncio.sleep(0.1)
    wall, cpu = time.perf_counter() - t0, measure.cpu(proc) - cpu0
    await asyncio.sleep(hold)  # every page open: the auto-reruns go on
    held_cpu = measure.cpu(proc) - cpu0 - cpu
    done.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    sampler.stop.set()
    runs, fragments = measure.server_runs(log, since, time.time())
    pages = {}
    for page in WALK:
        mine, drawn = times[page] or [0.0], runs.get(page, [0.0])
        pages[TITLES[page]] = {
            "median_s": round(statistics.median(mine), 2),
            "p95_s": round(measure.percentile(mine, 0.95), 2),
            "drawn": len(times[page]),
            "server_median_s": round(statistics.median(drawn), 2),
            "server_p95_s": round(measure.percentile(drawn, 0.95), 2),
        }
    return {
        "students": n,
        "spread_s": spread,
        "pages": pages,
        "p95_all_s": round(
            measure.percentile([s for v in times.values() for s in v] or [0], 0.95), 2
        ),
        "errors": dict(collections.Counter(errors)),
        "notes": dict(collections.Counter(notes)),
        "walk_wall_s": round(wall, 1),
        "server_cpu_s_per_student": round(cpu / n, 3),
        "server_cpu_s_per_student_held": round(held_cpu / n / hold, 4),
        "fragment_runs": fragments["runs"],
        "server_peak_mb": round(sampler.peak / 2**20),
        "load_before": round(load, 2),
        "load_after": round(psutil.getloadavg()[0], 2),
    }


def one_class(env: dict, log: Path, n: int, spread: float, pause: float, hold: float,
              train: Path | None = None, processes: int = 0) -> dict:  # fmt: skip
    """A fresh server (`processes` behind nginx, `deploy/`, if given), the teacher, then the
    class (with a training beside, on the cache folder `train`, if given); its log checked.
    A run the training stored, and its job's record, are removed afterwards: each class
    starts from the same runs."""
    before = set(train.glob("runs/*")) | set(train.glob("jobs/*")) if train else set()
    served = measure.deployed(env, log, processes) if processes else measure.server(env, log)
    with served as (url, proc):
        # The teacher's walk warms the process it reaches; through nginx each new browser goes
        # to the next process in turn. One walk per process left one process cold here (its
        # students' Predict 2.6 s median: the models loaded for them), cause not found; two
        # per process warmed both (60 students: every page's 95th percentile 0.12 s).
        for _ in range(max(2 * processes, 1)):
            walk = asyncio.run(teacher(url))
        training = measure.training_beside(train) if train else None
        try:
            time.sleep(pause)
            record = asyncio.run(students(url, proc, log, n, spread, hold))
        finally:
            if training:
                training.terminate()
                training.wait(30)
    for left in (
        set(train.glob("runs/*")) | set(train.glob("jobs/*")) if train else set()
    ) - before:
        shutil.rmtree(left) if left.is_dir() else left.unlink()
    record["teacher_s"] = walk
    record["deploy_processes"] = processes or None
    record["training_beside"] = "alexnet quick demo" if training else None
    record["log_problems"] = measure.log_problems(log)[:20]
    return record


def show(r: dict) -> None:
    cells = "  ".join(f"{k} {v['median_s']:.2f}/{v['p95_s']:.2f}" for k, v in r["pages"].items())
    beside = " (training beside)" if r.get("training_beside") else ""
    print(f"  N={r['students']:>3}{beside}: {cells} | p95 all {r['p95_all_s']:.2f} s, "
          f"{sum(r['errors'].values())} errors, {r['server_cpu_s_per_student']:.3f} CPU s a "
          f"student, peak {r['server_peak_mb']} MB PSS, {len(r['log_problems'])} log "
          f"problems, load {r['load_before']}-{r['load_after']}", flush=True)  # fmt: skip
