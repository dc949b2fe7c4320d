"""How sure a test figure is, and whether a difference between two runs is real.

A test split of HandCam holds many frames but few **recordings** (the sample's: 10), and the
neighbouring frames of one recording are near-identical: the frames are not independent, the
recordings are. So every interval here comes from a bootstrap that resamples **whole test
recordings**: each of DRAWS draws picks R of the R recordings with replacement and recomputes
the figure on their frames. With so few recordings the percentile interval of such a
bootstrap is known to be too narrow (about 90% coverage instead of 95% at R = 10), so its two
sides are widened around the figure by sqrt(R / (R - 1)) * t(R - 1) / z (1.22 at R = 10, 1 as R
grows); a simulation in the tests holds it to at least 90% coverage.

A comparison of two runs is **paired**: both are scored on the same test frames, so each draw
uses the same recordings for both, and the interval is that of their difference. Runs that
differ only by their seed form a **setting**: each draw also picks the setting's seeds with
replacement and averages them, so the interval holds the noise of the seed as well as of the
test recordings.

Pure NumPy (and SciPy's t quantile): everything is a sum of per-recording tallies, so a draw
is a matrix product, whatever the number of frames (see `bench/bench_uncertainty.py`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from handclf_core.errors import HandCamError
from handclf_core.vocab import METRICS

DRAWS = 2000
LEVEL = 0.95
METHOD = (
    "bootstrap over whole test recordings: 2000 draws of the recordings with replacement "
    "(and of the seeds, for several), 95% percentile interval widened by "
    "sqrt(R/(R-1))*t(R-1)/z for R recordings"
)


@dataclass(frozen=True)
class Interval:
    """A figure with its 95% interval."""

    value: float
    low: float
    high: float

    def as_list(self) -> list[float]:
        return [self.low, self.high]

    def reaches(self, x: float = 0.0) -> bool:
        """Whether `x` lies inside the interval (ends included)."""
        return self.low <= x <= self.high


@dataclass(frozen=True)
class Intervals:
    """A run's (or a setting's) test figures with their intervals, and its baseline's."""

    test_accuracy: Interval
    balanced_accuracy: Interval
    macro_f1: Interval
    baseline: Interval  # always answering the majority class, on the same frames
    over_baseline: Interval  # test accuracy minus the baseline's, paired
    balanced_over_baseline: Interval  # balanced accuracy minus the baseline's, paired
    frame_level: Interval  # test accuracy as if every frame were independent (binomial)
    recordings: int
    frames: int
    seeds: int = 1
    method: str = METHOD

    def metric(self, name: str) -> Interval:
        return getattr(self, name)

    def as_json(self) -> dict:
        """The JSON fields of a run's summary: "intervals" and "interval_method"."""
        return {
            "intervals": {m: self.metric(m).as_list() for m in METRICS}
            | {"majority_baseline": self.baseline.as_list()},
            "interval_method": self.method,
            "test_recordings": self.recordings,
        }

    @property
    def frequencies_only(self) -> bool:
        """Whether the run is not distinguishable from always answering the majority class:
        the paired interval of its accuracy minus the baseline's reaches 0, or that of its
        balanced accuracy minus the baseline's does (a run that always answers one other
        class can beat the baseline's accuracy, never its balanced accuracy). A run that
        trades accuracy for balanced accuracy (class weights: far below on one, far above
        on the other) is distinguishable, and not flagged."""
        return self.over_baseline.reaches(0) or self.balanced_over_baseline.low <= 0


@dataclass(frozen=True)
class Scored:
    """What the intervals are computed from: a setting's answers on one set of test frames.

    true: (N,) class ids; recordings: (N,) each frame's recording as 0..R-1 (`of` numbers
    any labels, "house/1" included); predicted: (S, N) arg-max class ids, one row per seed
    (one row for a single run)."""

    true: np.ndarray
    recordings: np.ndarray
    predicted: np.ndarray
    classes: int
    majority: int  # the training split's most frequent class id (the baseline's answer)

    @classmethod
    def of(cls, true, recordings, predicted, classes: int, majority: int) -> Scored:
        true = np.asarray(true, dtype=np.int64)
        recordings = np.asarray(recordings)
        predicted = np.atleast_2d(np.asarray(predicted, dtype=np.int64))
        n = true.shape[0]
        if true.ndim != 1 or n == 0 or recordings.shape != (n,) or predicted.shape[1:] != (n,):
            raise HandCamError(
                f"expected N > 0 true ids, N recordings and (S, N) predictions, found "
                f"{true.shape}, {recordings.shape}, {predicted.shape}"
            )
        for what, ids in (("true", true), ("predicted", predicted)):
            if ids.min() < 0 or ids.max() >= classes:
                raise HandCamError(f"expected {what} class ids in 0..{classes - 1}, found "
                                   f"{ids.min()}..{ids.max()}")  # fmt: skip
        if not 0 <= majority < classes:
            raise HandCamError(
                f"expected a majority class id in 0..{classes - 1}, found {majority}"
            )
        _, recordings = np.unique(recordings, return_inverse=True)  # 0..R-1, none empty
        return cls(true, recordings.astype(np.int64), predicted, classes, majority)

    def tallies(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per recording and class: frames of the class (R, C); frames of it called right
        (S, R, C); frames called it (S, R, C)."""
        r, c = int(self.recordings.max()) + 1, self.classes
        cell = self.recordings * c
        n = np.bincount(cell + self.true, minlength=r * c).reshape(r, c)
        right = self.predicted == self.true
        k = np.stack([np.bincount(cell + self.true, weights=ok, minlength=r * c)
                      for ok in right]).reshape(-1, r, c)  # fmt: skip
        p = np.stack([np.bincount(cell + row, minlength=r * c)
                      for row in self.predicted]).reshape(-1, r, c)  # fmt: skip
        return n.astype(float), k, p.astype(float)


def _figures(n: np.ndarray, k: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """The three metrics from class totals: n (..., C) true frames, k (..., C) right, p
    (..., C) predicted; averaged over classes as `metrics.evaluate_predictions` does."""
    present = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = k.sum(-1) / n.sum(-1)
        recall = np.where(present, k / np.where(present, n, 1), 0.0)
        balanced = recall.sum(-1) / present.sum(-1)
        seen = present | (p > 0)
        f1 = np.where(seen, 2 * k / np.where(seen, n + p, 1), 0.0)
        macro = f1.sum(-1) / seen.sum(-1)
    return {"test_accuracy": accuracy, "balanced_accuracy": balanced, "macro_f1": macro}


def _baseline(n: np.ndarray, majority: int) -> dict[str, np.ndarray]:
    """The baseline's accuracy and balanced accuracy from class totals n (..., C)."""
    present = n > 0
    balanced = np.where(present[..., majority], 1, 0) / present.sum(-1)
    return {"test_accuracy": n[..., majority] / n.sum(-1), "balanced_accuracy": balanced}


@functools.cache
def widening(recordings: int) -> float:
    """sqrt(R/(R-1)) * t(R-1)/z: how much the percentile interval of a bootstrap over R
    clusters is widened (1.22 at R = 10; 1.0 for a single recording, which has no spread)."""
    if recordings < 2:
        return 1.0
    from scipy.special import ndtri, stdtrit

    q = 0.5 + LEVEL / 2
    return math.sqrt(recordings / (recordings - 1)) * float(stdtrit(recordings - 1, q) / ndtri(q))


def _interval(point: float, draws: np.ndarray, recordings: int, bounds=(0.0, 1.0)) -> Interval:
    if recordings < 2:  # one test recording: nothing to resample, and nothing known beyond it
        return Interval(float(point), float(bounds[0]), float(bounds[1]))
    lo, hi = np.quantile(draws, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    w = widening(recordings)
    low, high = point - w * max(point - lo, 0.0), point + w * max(hi - point, 0.0)
    return Interval(float(point), float(max(low, bounds[0])), float(min(high, bounds[1])))


def _weights(recordings: int, draws: int, seed: int) -> np.ndarray:
    """(draws, R) how many times each recording is drawn, in each draw."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(recordings, np.full(recordings, 1 / recordings), size=draws).astype(
        float
    )


def _seed_means(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """values (B, S): per draw, the mean of S seeds drawn with replacement."""
    b, s = values.shape
    if s == 1:
        return values[:, 0]
    pick = rng.integers(0, s, size=(b, s))
    return np.take_along_axis(values, pick, axis=1).mean(axis=1)


def _setting_draws(scored: Scored, w: np.ndarray, rng) -> tuple[dict, dict, np.ndarray]:
    """Per draw (rows of w) the setting's metrics (seeds drawn and averaged), and its
    point figures (the mean over its seeds on every frame). Also the class totals per draw."""
    n, k, p = scored.tallies()
    totals_n = w @ n  # (B, C)
    draws = _figures(
        totals_n[:, None, :], np.einsum("br,src->bsc", w, k), np.einsum("br,src->bsc", w, p)
    )  # fmt: skip  (B, S) each
    point = {m: float(v.mean()) for m, v in _figures(n.sum(0), k.sum(1), p.sum(1)).items()}
    return {m: _seed_means(v, rng) for m, v in draws.items()}, point, totals_n


def intervals(scored: Scored, *, draws: int = DRAWS, seed: int = 0) -> Intervals:
    """The test figures of a run (or a setting of several seeds) with their 95% intervals,
    from a bootstrap over whole test recordings (see the module docstring)."""
    r = int(scored.recordings.max()) + 1
    present = np.unique(scored.recordings).size
    w = _weights(r, draws, seed)
    per_draw, point, totals_n = _setting_draws(scored, w, np.random.default_rng([seed, 1]))
    n_all = np.bincount(scored.true, minlength=scored.classes).astype(float)
    base_draws, base_point = _baseline(totals_n, scored.majority), _baseline(n_all, scored.majority)
    base_acc, base_bal = float(base_point["test_accuracy"]), float(base_point["balanced_accuracy"])
    figures = {m: _interval(point[m], per_draw[m], present) for m in METRICS}
    p, frames = point["test_accuracy"], scored.true.size
    half = 1.959964 * math.sqrt(max(p * (1 - p), 0.0) / frames)
    return Intervals(
        **figures,
        baseline=_interval(base_acc, base_draws["test_accuracy"], present),
        over_baseline=_interval(
            p - base_acc, per_draw["test_accuracy"] - base_draws["test_accuracy"], present, (-1, 1)
        ),  # fmt: skip
        balanced_over_baseline=_interval(
            point["balanced_accuracy"] - base_bal,
            per_draw["balanced_accuracy"] - base_draws["balanced_accuracy"],
            present,
            (-1, 1),
        ),
        frame_level=Interval(p, max(p - half, 0.0), min(p + half, 1.0)),
        recordings=present,
        frames=frames,
        seeds=scored.predicted.shape[0],
    )


@dataclass(frozen=True)
class Difference:
    """A minus B on the same test frames, with its paired 95% interval and the verdict."""

    metric: str
    difference: Interval
    recordings: int
    verdict: str  # "a", "b" (the interval is on that side of 0) or "neither"

    def as_json(self) -> dict:
        d = self.difference
        return {"metric": self.metric, "difference": d.value, "interval": d.as_list(),
                "verdict": self.verdict, "test_recordings": self.recordings,
                "interval_method": METHOD}  # fmt: skip


def same_frames(a: Scored, b: Scored) -> None:
    """HandCamError unless a and b were scored on the same test frames (same labels, same
    recordings, same classes): only then is a paired difference meaningful."""
    if (a.classes != b.classes or a.true.shape != b.true.shape
            or not np.array_equal(a.true, b.true)
            or not np.array_equal(a.recordings, b.recordings)):  # fmt: skip
        raise HandCamError(
            f"expected two runs scored on the same test frames, found {a.true.size} and "
            f"{b.true.size} frames with other labels or recordings: runs of another dataset "
            "or task cannot be compared frame by frame"
        )


def compare(
    a: Scored, b: Scored, metric: str = "test_accuracy", *, draws: int = DRAWS, seed: int = 0
) -> Difference:
    """metric(a) - metric(b) on the same test frames, with the paired bootstrap interval:
    the same recordings in each draw for both, each setting's seeds drawn on their own.
    The verdict names the side the whole interval is on, else "neither"."""
    if metric not in METRICS:
        raise HandCamError(f"metric: expected one of {', '.join(METRICS)}, found {metric!r}")
    same_frames(a, b)
    present = np.unique(a.recordings).size
    if a.predicted.shape == b.predicted.shape and np.array_equal(a.predicted, b.predicted):
        return Difference(metric, Interval(0.0, 0.0, 0.0), present, "neither")  # the same
    w = _weights(int(a.recordings.max()) + 1, draws, seed)
    da, pa, _ = _setting_draws(a, w, np.random.default_rng([seed, 1]))
    db, pb, _ = _setting_draws(b, w, np.random.default_rng([seed, 2]))
    diff = _interval(pa[metric] - pb[metric], da[metric] - db[metric], present, (-1, 1))
    verdict = "a" if diff.low > 0 else "b" if diff.high < 0 else "neither"
    return Difference(metric, diff, present, verdict)
