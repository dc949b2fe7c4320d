"""Benchmark: the time estimates the app shows, against the times measured, side by side.

    python bench/bench_estimates.py [--out docs/estimates.json] [--scenarios quiet,beside]
    python bench/bench_estimates.py --calibrate   # the classroom rates of training/estimate.py

Each scenario starts on a fresh cache (the built-in sample's frames read in place) and runs
the app's own path: its job queue (`TrainingJobs`) and training process (at the app's
priority), with the load meter the app keeps (other work, never the training process).
Before each job, the estimate the page would show at that moment is taken
(`estimate.job_estimate` / `store_estimate`, the load counted now); then the job is
submitted and timed from the press to its end:

1. the frame store's build (and CNN_basic's inputs), the first job: the training process
   starts with it;
2. the three quick demos, in a row (no run stored before them: the classroom rates);
3. CNN_basic's and AlexNet's quick demos again with another seed: the estimate now comes
   from the runs just stored (the Train page said 21:13 here once, for a 4:54 run);
4. a 3-run experiment grid (CNN_basic gray and mirrored, Mnist RGB, quick), estimated as
   the Train page sums it before the button is pressed, timed to its last run's end.

Scenarios: `quiet`, and `beside` one CPU-bound process at the normal priority (a busy loop:
in a classroom, the server drawing the students' pages). Goal: every estimate within ±30%
of the measured time. Prints a table and writes the figures, with the machine and its load,
as JSON.

`--calibrate` measures, on a quiet machine, what the estimate falls back on without earlier
runs: each recipe's loop rate and fixed seconds at its sizes and precisions (two runs of
1 and 3 epochs: their difference is the loop alone), the first steps' tracing, and the
training process's start.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from handclf_core.data.dataset import open_dataset  # noqa: E402
from handclf_core.data.images import Preprocessing  # noqa: E402
from handclf_core.data.sample import ensure_sample  # noqa: E402
from handclf_core.load import LoadMeter  # noqa: E402
from handclf_core.runs.config import TrainConfig  # noqa: E402
from handclf_core.runs.experiments import grid, quick  # noqa: E402
from handclf_core.runs.folders import list_runs  # noqa: E402
from handclf_core.training.estimate_data import (  # noqa: E402
    data_seconds,
    job_estimate,
    store_estimate,
)
from handclf_core.training.jobs import TrainingJobs  # noqa: E402

GOAL = 0.30  # |estimate / measured - 1| at most this
GRID = ("cnn_basic.gray", "cnn_basic.mirrored", "mnist.rgb")


def _quick(model: str, seed: int = 0) -> TrainConfig:
    return quick(TrainConfig(model=model, seed=seed))


def _timed(jobs: TrainingJobs, ds, meter: LoadMeter, what: str, configs, store=None) -> dict:
    """Estimate `configs` (or the store's build of `store`) as the page would now, then
    submit them and time them to the last one's end."""
    other = meter.others()
    start = not jobs.trainer_running
    device = jobs.device(timeout=0)
    if store is not None:
        e = store_estimate(data_seconds(ds, store, other=other), other=other, start=start)
        estimates = [e]
    else:
        runs = list_runs(ds.identity)
        estimates = [
            job_estimate(ds, c, runs, device, other=other, start=start and i == 0)
            for i, c in enumerate(configs)
        ]
    began = time.perf_counter()
    if store is not None:
        submitted = [jobs.submit_store(ds, store)]
    else:
        submitted = [jobs.submit(ds, c) for c in configs]
    for job in submitted:
        job.wait()
        if job.status != "done":
            raise SystemExit(f"{what}: {job.status} {job.error}")
    measured = time.perf_counter() - began
    seconds = sum(e.seconds for e in estimates)
    row = {
        "job": what,
        "estimate_s": round(seconds, 1),
        "measured_s": round(measured, 1),
        "ratio": round(seconds / measured, 3),
        "within_goal": abs(seconds / measured - 1) <= GOAL,
        "basis": estimates[0].basis,
        "runs": estimates[0].runs,
        "other_load": round(other, 2),
        "cpu_share": round(estimates[0].share, 3),
        "parts": {
            k: round(sum(e.parts.get(k, 0.0) for e in estimates), 1)
            for k in ("start", "data", "fixed", "loop", "scoring")
        },
    }
    print(
        f"  {what:<34} estimate {seconds:7.1f} s  measured {measured:7.1f} s  "
        f"ratio {seconds / measured:5.2f}  (other {other:.1f}, {row['basis']})",
        file=sys.stderr,
        flush=True,
    )
    return row


def scenario(name: str, data: Path) -> dict:
    """Every job of the module doc on a fresh cache, beside a busy loop when `beside`. In
    a process of its own (`--scenario`): the training process starts from a forkserver that
    keeps the environment (the cache) of the process's first start."""
    done = subprocess.run(
        [sys.executable, __file__, "--scenario", name, "--data", str(data)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_scenario(name: str, data: Path) -> dict:
    os.environ["HANDCLF_CACHE"] = tempfile.mkdtemp(prefix=f"handclf-bench-estimates-{name}-")
    busy = (
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) if name == "beside" else None
    )
    jobs = TrainingJobs()
    meter = LoadMeter(lambda: jobs.trainer_pid)
    load = os.getloadavg()
    try:
        time.sleep(3.0)  # the meter's first look; the busy loop running
        ds = open_dataset(data)
        rows = [
            _timed(
                jobs, ds, meter, "frame store + CNN_basic inputs", [], store=Preprocessing(size=32)
            )
        ]
        for model in ("cnn_basic", "mnist", "alexnet"):
            rows.append(_timed(jobs, ds, meter, f"{model} quick demo", [_quick(model)]))
        for model in ("cnn_basic", "alexnet"):
            rows.append(
                _timed(jobs, ds, meter, f"{model} quick demo, once stored", [_quick(model, seed=1)])
            )
        configs = dict(grid("quick"))
        rows.append(_timed(jobs, ds, meter, "3-run experiment grid", [configs[k] for k in GRID]))
    finally:
        meter.close()
        jobs.close()
        if busy is not None:
            busy.kill()
            busy.wait()
    return {
        "scenario": name,
        "load_at_start": [round(x, 2) for x in load],
        "load_at_end": [round(x, 2) for x in os.getloadavg()],
        "jobs": rows,
    }


def calibrate(data: Path) -> None:
    """The classroom constants of training/estimate.py, measured here (module doc)."""
    os.environ["HANDCLF_CACHE"] = tempfile.mkdtemp(prefix="handclf-bench-calibrate-")
    from handclf_core.training.estimate import FORWARD_SHARE
    from handclf_core.training.train import train

    jobs = TrainingJobs()
    began = time.perf_counter()
    jobs.device(timeout=300)
    print(f"training process start: {time.perf_counter() - began:.1f} s")
    jobs.close()
    ds = open_dataset(data)
    traces = []
    for model, precision, size in (
        ("cnn_basic", "float32", 32),
        ("cnn_basic", "mixed_bfloat16", 32),
        ("mnist", "float32", 28),
        ("mnist", "mixed_bfloat16", 28),
        ("alexnet", "float32", 128),
        ("alexnet", "mixed_bfloat16", 128),
        ("alexnet", "float32", 227),
        ("alexnet", "mixed_bfloat16", 227),
    ):
        found = []
        for seed, epochs in ((0, 1), (1, 3)):
            config = quick(
                TrainConfig(model=model, precision=precision, size=size, seed=seed, epochs=epochs)
            )
            if model == "alexnet" and size == 227:  # minutes a run: fewer frames
                config = dataclasses.replace(config, limit=600)
            run, _ = train(ds, config)
            found.append(run)
        (a, b) = found
        t, f = a.timings, a.frames
        units = [
            r.config.epochs * (r.frames.train + FORWARD_SHARE * r.frames.validation) for r in found
        ]
        rate = (units[1] - units[0]) / (b.timings.fit_seconds - t.fit_seconds)
        trace = t.fit_seconds - units[0] / rate
        traces.append(trace)
        scored = f.test + a.train_frames_scored
        rest = t.seconds - (t.data_seconds or 0.0) - t.fit_seconds - FORWARD_SHARE * scored / rate
        print(
            f'    ("{model}", Precision.{precision.upper()}, {size}): ({rate:.0f}, '
            f"{trace + rest:.1f}),  # trace {trace:.1f} s, other {a.timings.other_load:.2f}"
        )
    print(f"TRACE_SECONDS about {statistics.median(traces):.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="docs/estimates.json")
    ap.add_argument("--scenarios", default="quiet,beside")
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--scenario", help=argparse.SUPPRESS)  # one scenario, in this process
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.scenario:
        print(json.dumps(run_scenario(args.scenario, Path(args.data))))
        return
    data = ensure_sample()  # the project cache's built-in sample, read in place
    if args.calibrate:
        calibrate(data)
        return
    results = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "when": time.strftime("%Y-%m-%d %H:%M"),
        },
        "goal": f"estimate within ±{GOAL:.0%} of the measured time",
        "scenarios": [],
    }
    for name in args.scenarios.split(","):
        print(f"{name}:", flush=True)
        results["scenarios"].append(scenario(name, data))
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    rows = [r for s in results["scenarios"] for r in s["jobs"]]
    print(
        f"{sum(r['within_goal'] for r in rows)} of {len(rows)} within ±{GOAL:.0%}; "
        f"written to {args.out}"
    )


if __name__ == "__main__":
    main()
