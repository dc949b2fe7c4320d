"""Why a training beside slows the pages: a page's kind of work (pure Python, one thread, as a
Streamlit script holds the GIL) timed alone and beside AlexNet's quick demo training through
the app's own training process, its scheduling and threads varied.

    python bench/bench_training_beside.py [--reps 40] [--out docs/training-beside.json]

Each condition starts a fresh training (`classroom_measure.training_beside`, on the cache
folder cache/bench-training), waits until its training loop runs, then times `--reps`
"pages" (`WORK`: about 0.1 s of Python on a quiet core) in a process at the web process's
priority. Conditions: none (alone); the app's setup before this change (nice 10, TensorFlow's
default threads: one per core); nice 10 with one TensorFlow thread; the idle scheduling
class (SCHED_IDLE) with the default threads. Reports each condition's median and 95th
percentile, the training's own pace (batches a second, from its process's CPU), and the
load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from bench import classroom_measure as measure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONDITIONS = {  # name -> environment of the training (the app reads these, `training.trainer`)
    "alone": None,
    "nice 10, TF threads default": {"HANDCLF_TRAINING_SCHED": "nice"},
    "nice 10, 1 TF thread": {"HANDCLF_TRAINING_SCHED": "nice", "HANDCLF_TRAINING_THREADS": "1"},
    "SCHED_IDLE, TF threads default": {"HANDCLF_TRAINING_SCHED": "idle"},
}


def work() -> float:
    """One "page": Python objects made and thrown away, one thread; its seconds."""
    start = time.perf_counter()
    rows = [{"name": f"run {i}", "value": i * 0.5} for i in range(60_000)]
    total = sum(r["value"] for r in rows if r["name"].endswith("7"))
    assert total > 0
    return time.perf_counter() - start


def condition(env: dict | None, reps: int) -> dict:
    training = None
    if env is not None:
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            training = measure.training_beside(ROOT / "cache" / "bench-training")
        finally:
            for k, v in saved.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
        time.sleep(5)  # into its steady pace
    load = os.getloadavg()[0]
    cpu0 = _training_cpu(training)
    t0 = time.perf_counter()
    seconds = []
    for _ in range(reps):
        seconds.append(work())
        time.sleep(0.05)  # a page, then the next one: the training may take the core back
    wall = time.perf_counter() - t0
    share = (_training_cpu(training) - cpu0) / wall if training else 0.0
    if training:
        training.terminate()
        training.wait(30)
    return {
        "median_s": round(statistics.median(seconds), 3),
        "p95_s": round(measure.percentile(seconds, 0.95), 3),
        "training_cpu_cores": round(share, 2),  # the training's CPU while the pages ran
        "load": round(load, 2),
    }


def _training_cpu(proc) -> float:
    return measure.cpu(psutil.Process(proc.pid)) if proc is not None else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--only", nargs="*", help="names of conditions to run")
    args = parser.parse_args()
    results = {}
    for name, env in CONDITIONS.items():
        if args.only and name not in args.only:
            continue
        results[name] = condition(env, args.reps)
        r = results[name]
        print(f"  {name:32} page {r['median_s']:.3f} / {r['p95_s']:.3f} s, training "
              f"{r['training_cpu_cores']:.2f} cores, load {r['load']}", flush=True)  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count(),
                                        "conditions": results}, indent=1) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
