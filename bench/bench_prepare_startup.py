"""Benchmark: what `prepare` pays besides decoding, and what it costs a small job.

    python bench/bench_prepare_startup.py [--frames 320] [--rounds 3] [--out report.json]

On the same full-size frames as bench_prepare.py (made once in the cache folder), each round
measures, side by side:

    decode only   the frames decoded by one process per core, workers started beforehand
                  (bench_prepare's (a): the limit)
    prepare       a fresh frame store and its 32x32 variant, as `python -m handclf_core
                  prepare` does, split by its progress reports into start-up (until the
                  first chunk is decoded, less that chunk's own decoding), decoding, and
                  the rest (the base's fsync, frames.csv, the variant)

and, in a fresh Python process each, the worker start-up itself: a pool of one process per
core through the forkserver (cold: the server starts and imports NumPy, Pillow, pandas and
the reader; warm: a second pool of the same process) against a plain fork. The fixed cost
is prepare's time less the frames at the decode-only rate; the README gives it as a share
of a small job and of the real dataset's 27,768 hand frames.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from bench_prepare import decode_only, machine, make_dataset  # noqa: E402

from handclf_core.data.dataset import open_dataset  # noqa: E402
from handclf_core.data.images import Preprocessing  # noqa: E402
from handclf_core.data.store import prepare, store_path  # noqa: E402

FULL_HAND_FRAMES = 27_768
STARTUP = """
import multiprocessing, sys, time
from concurrent.futures import ProcessPoolExecutor
from handclf_core.data import store_workers
from handclf_core.workers import process_pool
def answered():
    started = time.perf_counter()
    if sys.argv[1] == "fork":
        pool = ProcessPoolExecutor(2, multiprocessing.get_context("fork"))
    else:
        pool = process_pool(2, 2, store_workers._PRELOAD)
    list(pool.map(abs, [1, 2]))
    seconds = time.perf_counter() - started
    pool.shutdown()
    return seconds
print(answered(), answered())
"""


def startup(kind: str) -> tuple[float, float]:
    """(first pool, second pool) seconds until two workers answered, in a fresh process."""
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", STARTUP, kind], cwd=root, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    cold, warm = out.split()
    return float(cold), float(warm)


def one_round(ds, paths: list[str], workers: int) -> dict:
    limit = decode_only(paths, workers)
    shutil.rmtree(store_path(ds), ignore_errors=True)  # a fresh store
    marks = []
    started = time.perf_counter()
    prepare(ds, Preprocessing(32), progress=lambda d, t: marks.append((time.perf_counter(), d)))
    total = time.perf_counter() - started
    n = len(paths)
    end = next(i for i, m in enumerate(marks) if m[1] == n)  # the last decoded chunk
    first_t, first_d = marks[0][0] - started, marks[0][1]
    decode_end = marks[end][0] - started
    fork, server = startup("fork"), startup("forkserver")
    return {
        "decode_only_fps": limit,
        "prepare_seconds": total,
        "prepare_fps": n / total,
        "ratio": n / total / limit,
        "fixed_seconds": total - n / limit,
        "startup_seconds": first_t - first_d / limit,  # until the first chunk, less its work
        "decode_seconds": decode_end,
        "after_decoding_seconds": total - decode_end,
        "pool_fork": fork,
        "pool_forkserver": server,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=320, help="hand frames (default 320)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    workers = os.cpu_count() or 1
    ds = open_dataset(make_dataset(max(1, round(args.frames / 40))))
    paths = [str(ds.frames_tree.root / f) for f in ds.hand_frames().file]
    for p in paths:  # into the page cache, so that no measurement reads the disk
        Path(p).read_bytes()
    report = {"machine": machine(), "frames": len(paths)}
    report["rounds"] = rounds = [one_round(ds, paths, workers) for _ in range(args.rounds)]
    report["machine"]["load_average_at_end"] = os.getloadavg()

    def med(key, i=None):
        return statistics.median(r[key] if i is None else r[key][i] for r in rounds)

    fixed, limit = med("fixed_seconds"), med("decode_only_fps")
    report["median"] = {k: med(k) for k in rounds[0] if not k.startswith("pool_")}
    full = FULL_HAND_FRAMES / limit
    report["fixed_share"] = {"frames": fixed / (fixed + len(paths) / limit),
                             "27768": fixed / (fixed + full)}  # fmt: skip
    m = report["machine"]
    print(f"{m['cpu_model']}, {m['cpus']} CPUs; {len(paths)} frames, {args.rounds} rounds "
          f"(load average at the end {m['load_average_at_end'][0]:.1f})")  # fmt: skip
    for i, r in enumerate(rounds, 1):
        print(f"  round {i}: ratio {r['ratio']:.2f}, prepare {r['prepare_seconds']:.2f} s, "
              f"fixed {r['fixed_seconds']:.2f} s (start-up {r['startup_seconds']:.2f} s, "
              f"after decoding {r['after_decoding_seconds']:.2f} s)")  # fmt: skip
    print(f"pool of {workers} workers until they answer, fresh process: forkserver "
          f"{med('pool_forkserver', 0):.2f} s cold, {med('pool_forkserver', 1):.2f} s warm; "
          f"fork {med('pool_fork', 0):.2f} s")  # fmt: skip
    print(
        f"fixed cost {fixed:.2f} s: {report['fixed_share']['frames']:.1%} of {len(paths)} "
        f"frames, {report['fixed_share']['27768']:.2%} of 27,768 ({full / 60:.1f} min)"
    )
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
