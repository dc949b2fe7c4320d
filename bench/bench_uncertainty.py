"""How long a run's 95% intervals take: the real test split's size, side by side.

    python bench/bench_uncertainty.py [--repeat 5]

12,776 test frames (the real HandCam test split), 10 recordings, 24 classes, 2,000 draws:
`runs.uncertainty.intervals` for one run and for a setting of 3 seeds, and a paired
`compare`; beside them, the same bootstrap written the plain way (each draw gathers the
frames of its recordings and recomputes the metrics with scikit-learn), on 100 draws and
scaled to 2,000. Prints one line per figure, with the load average.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from handclf_core.runs.uncertainty import DRAWS, Scored, compare, intervals  # noqa: E402


def _split(seed: int = 0):
    rng = np.random.default_rng(seed)
    recordings = np.repeat(np.arange(10), [1278] * 9 + [1274])  # 12,776 frames
    true = np.where(rng.random(recordings.size) < 0.5, 0, rng.integers(1, 24, recordings.size))
    guess = lambda p: np.where(rng.random(true.size) < p, true, rng.integers(0, 24, true.size))  # noqa: E731
    return true, recordings, guess


def _best(f, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def _plain(true, recordings, predicted, draws: int) -> None:
    """The bootstrap as usually written: frames gathered per draw, metrics from sklearn."""
    from sklearn.metrics import balanced_accuracy_score, f1_score

    rng = np.random.default_rng(0)
    at = [np.flatnonzero(recordings == r) for r in range(10)]
    for _ in range(draws):
        rows = np.concatenate([at[r] for r in rng.integers(0, 10, 10)])
        t, p = true[rows], predicted[rows]
        np.mean(t == p), balanced_accuracy_score(t, p), f1_score(t, p, average="macro")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    true, rec, guess = _split()
    one = Scored.of(true, rec, guess(0.6), 24, 0)
    three = Scored.of(true, rec, np.stack([guess(0.6), guess(0.55), guess(0.65)]), 24, 0)
    other = Scored.of(true, rec, guess(0.5), 24, 0)
    intervals(one)  # the first call imports SciPy's t quantile
    _plain(true, rec, one.predicted[0], 1)  # and scikit-learn, for the plain one
    print(f"load average {os.getloadavg()[0]:.1f}; {true.size:,} frames, 10 recordings, 24 "
          f"classes, {DRAWS} draws; best of {args.repeat}")  # fmt: skip
    figures = {
        "intervals, one run": _best(lambda: intervals(one), args.repeat),
        "intervals, 3 seeds": _best(lambda: intervals(three), args.repeat),
        "paired compare": _best(lambda: compare(one, other), args.repeat),
    }
    plain = _best(lambda: _plain(true, rec, one.predicted[0], 100), 1) * DRAWS / 100
    for label, seconds in figures.items():
        print(f"{label:22s} {seconds * 1000:8.1f} ms")
    print(
        f"{'plain bootstrap':22s} {plain * 1000:8.1f} ms (100 draws, x{DRAWS // 100}); "
        f"{plain / figures['intervals, one run']:.0f}x the one-run figure"
    )


if __name__ == "__main__":
    main()
