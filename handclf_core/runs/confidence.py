"""Stored runs with their intervals: from a run's kept test predictions to `uncertainty`.

A run's test frames come with their recordings from the frame table of the dataset it was
trained on (its hand frames: `HandCamDataset.hand_frames()`, or the frame store's
`frames.csv`, which is the same table): the rows its `predictions.npz` keeps are rows of
that table, and their labels are checked against it, so frames of another dataset are
refused rather than grouped wrongly. Runs that differ only by their seed are one
**setting** (`settings`); its intervals pool the seeds (see `uncertainty`).

Computed once per run and kept in this process (keyed by the predictions file's digest):
a page or a command asks as often as it likes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from handclf_core.errors import HandCamError
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.predictions import ScoredFrames, read_predictions
from handclf_core.runs.record import Run
from handclf_core.runs.uncertainty import Difference, Intervals, Scored, compare, intervals

_KEPT: dict[tuple, Intervals] = {}  # (run names, predictions digests) -> intervals


def setting(config: TrainConfig) -> TrainConfig:
    """The configuration without its seed: what runs of one setting share."""
    return dataclasses.replace(config, seed=0)


def settings(runs: Sequence[Run]) -> list[list[Run]]:
    """The runs grouped by setting (equal but for the seed), in the order each setting is
    first met; within a setting, by seed."""
    groups: dict[tuple, list[Run]] = {}
    for run in runs:
        key = (run.dataset.identity, setting(run.config))
        groups.setdefault(key, []).append(run)
    return [sorted(g, key=lambda r: r.config.seed) for g in groups.values()]


def test_recordings(run: Run, found: ScoredFrames, frames: pd.DataFrame) -> np.ndarray:
    """The recording ("house/1") of each of the run's test frames, from the frame table
    `frames` of its dataset's hand frames; HandCamError when the table is not the one the
    run was scored on (too short, or other labels at its rows)."""
    rows = found.rows
    if len(rows) and rows.max() >= len(frames):
        raise HandCamError(f"run {run.name}: expected a frame table of more than {rows.max()} "
                           f"frames, found {len(frames)}: not the dataset it was scored "
                           "on")  # fmt: skip
    picked = frames.iloc[rows]
    if not np.array_equal(picked[run.task].to_numpy(), found.true):
        raise HandCamError(f"run {run.name}: expected the dataset it was scored on, found one "
                           "whose test frames have other labels")  # fmt: skip
    return (picked.scene.astype(str) + "/" + picked.recording.astype(str)).to_numpy()


def scored(runs: Sequence[Run], frames: pd.DataFrame) -> Scored:
    """The runs of one setting (or one run) as `uncertainty.Scored`: their answers on the
    same test frames, one row per run. HandCamError when a run has no kept predictions
    (score it first: `inside.mistakes.predictions_or_score`) or they were scored on other
    frames."""
    first = runs[0]
    answers = []
    for run in runs:
        found = read_predictions(run)
        if found is None:
            raise HandCamError(f"run {run.name} has no kept test predictions: score it first")
        if answers and not np.array_equal(found.rows, answers[0].rows):
            raise HandCamError(f"runs {first.name} and {run.name} were scored on other test "
                               "frames")  # fmt: skip
        answers.append(found)
    recordings = test_recordings(first, answers[0], frames)
    return Scored.of(
        answers[0].true,
        recordings,
        np.stack([a.predicted for a in answers]),
        len(first.classes),
        first.test.majority_baseline.class_id,
    )


def _key(runs: Sequence[Run]) -> tuple:
    return tuple((r.name, r.predictions.sha256 if r.predictions else None) for r in runs)


def run_intervals(runs: Run | Sequence[Run], frames: pd.DataFrame) -> Intervals:
    """The intervals of a run, or of a setting's runs pooled over their seeds; kept in this
    process. HandCamError as `scored`."""
    runs = [runs] if isinstance(runs, Run) else list(runs)
    key = _key(runs)
    if key not in _KEPT:
        _KEPT[key] = intervals(scored(runs, frames))
    return _KEPT[key]


def compare_runs(
    a: Run | Sequence[Run], b: Run | Sequence[Run], frames: pd.DataFrame,
    metric: str = "test_accuracy",
) -> Difference:  # fmt: skip
    """a minus b (each a run or a setting's runs) on `metric`, paired on the same test
    frames; HandCamError when they were scored on different test frames (another dataset or
    task) or either has no kept predictions."""
    a = [a] if isinstance(a, Run) else list(a)
    b = [b] if isinstance(b, Run) else list(b)
    if a[0].dataset.identity != b[0].dataset.identity or a[0].task != b[0].task:
        raise HandCamError(
            f"{a[0].name} and {b[0].name}: expected two runs of one dataset and task, found "
            f"{a[0].dataset.description} ({a[0].task}) and {b[0].dataset.description} "
            f"({b[0].task}): they were scored on different test frames"
        )
    return compare(scored(a, frames), scored(b, frames), metric)
