"""Which test frames a run gets wrong: its per-frame test predictions, stored with the run.

Training writes `predictions.npz` into the run folder beside model.keras: the store rows of
the test frames, their true class ids and the model's probabilities for each. The run's
record holds the file's size and SHA-256 (`Run.predictions`), so a damaged or replaced file
is refused, never trusted. A cell of the confusion matrix (true class -> predicted class)
is then a lookup (`cell`), with no re-scoring; the frames behind it come from the frame
store (`ScoredFrame`). A run stored before schema 3 has no such file: `score_run` scores its
test frames once, on request, and adds the file and the field to its record.

No Keras import here but in `score_run`: listing the cells of a run is instant.
"""

from __future__ import annotations

import dataclasses
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from handclf_core.atomic import disk_errors, file_sha256, temp_path
from handclf_core.errors import HandCamError
from handclf_core.inside.predict import Ranked
from handclf_core.runs.record import (
    SCHEMA,
    Run,
    StoredFile,
    is_stored_file,
    lock_path,
    read_run,
    save_run,
)
from handclf_core.vocab import Camera, Hand

PREDICTIONS_FILE = "predictions.npz"
TOP = 3  # classes shown per frame


@dataclass(frozen=True, eq=False)
class ScoredFrames:
    """A run's answer for every test frame, in store order."""

    rows: np.ndarray  # (N,) int: the frames' rows in the frame store, ascending
    true: np.ndarray  # (N,) int: their class ids
    probabilities: np.ndarray  # (N, C) float32: the model's softmax outputs

    @property
    def predicted(self) -> np.ndarray:
        """(N,) int: the arg-max class of each frame."""
        return self.probabilities.argmax(axis=1)

    def confusion(self) -> np.ndarray:
        """(C, C) int: frames per (true, predicted) pair, rows true."""
        c = self.probabilities.shape[1]
        return np.bincount(self.true * c + self.predicted, minlength=c * c).reshape(c, c)

    def cell(self, true_id: int, predicted_id: int) -> np.ndarray:
        """Positions (into rows, true, probabilities) of the frames of class `true_id` that
        the model called `predicted_id`, in store order."""
        return np.flatnonzero((self.true == true_id) & (self.predicted == predicted_id))


@dataclass(frozen=True)
class Cell:
    """One non-empty cell of a confusion matrix."""

    true: str  # the class ids' names
    predicted: str
    frames: int

    @property
    def mistake(self) -> bool:
        return self.true != self.predicted


def cells(matrix, classes) -> list[Cell]:
    """Every non-empty cell of a confusion matrix ((C, C), rows true; a run's stored one or
    `ScoredFrames.confusion()`): the mistakes first, most frames first, then the right
    answers."""
    matrix = np.asarray(matrix)
    found = [
        Cell(classes[i], classes[j], int(matrix[i, j]))
        for i, j in zip(*np.nonzero(matrix), strict=True)
    ]
    return sorted(found, key=lambda c: (not c.mistake, -c.frames, c.true, c.predicted))


def write_predictions(folder: Path, predictions: ScoredFrames) -> StoredFile:
    """Write `predictions` into the run folder `folder`, whole or not at all; the record of
    the file to keep in the run."""
    final = folder / PREDICTIONS_FILE
    tmp = temp_path(final, ".npz")
    buffer = io.BytesIO()
    np.savez(
        buffer,
        rows=predictions.rows.astype(np.int64),
        true=predictions.true.astype(np.int64),
        probabilities=predictions.probabilities.astype(np.float32),
    )
    try:
        with disk_errors(f"the test predictions of {folder.name}", folder):
            tmp.write_bytes(buffer.getvalue())
            os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return StoredFile(PREDICTIONS_FILE, final.stat().st_size, file_sha256(final))


def read_predictions(run: Run) -> ScoredFrames | None:
    """The run's stored test predictions; None when it has none (stored before schema 3).
    HandCamError naming the file when it is not the one written for the run."""
    if run.predictions is None:
        return None
    path = run.model_file.parent / run.predictions.name
    expected = f"the test predictions written for run {run.name}"
    if not path.is_file():
        raise HandCamError(f"{path}: expected {expected}, found no file (score the run again)")
    if not is_stored_file(path, run.predictions.bytes, run.predictions.sha256):
        raise HandCamError(f"{path}: expected {expected}, found another file (score it again)")
    with np.load(path, allow_pickle=False) as data:
        rows, true, probs = data["rows"], data["true"], data["probabilities"]
    n, c = run.frames.test, len(run.classes)
    if rows.shape != (n,) or true.shape != (n,) or probs.shape != (n, c):
        raise HandCamError(
            f"{path}: expected {n} test frames of {c} classes, found arrays of "
            f"{rows.shape}, {true.shape}, {probs.shape}"
        )
    return ScoredFrames(rows, true, probs)


def score_run(run: Run, ds, *, again: bool = False, progress=None) -> Run:
    """Score the test frames of a stored run that has no predictions yet (stored before
    schema 3), write its `predictions.npz` and add it to its record: once, on request.

    Args:
        run: a stored run (`read_run`); returned unchanged when it has its predictions.
        ds: the dataset it was trained on (its identity is checked).
        again: score it even when it has predictions (their file was found damaged).
        progress: called as progress(done, total) over the test frames.

    Returns the run as now stored. HandCamError when `ds` is another dataset, or the run is
    being trained or scored by another process (its lock is held).
    """
    from filelock import FileLock, Timeout

    from handclf_core.data.store import build_store
    from handclf_core.inside.predict import load_model
    from handclf_core.training.batches import predict_rows
    from handclf_core.training.splits import split_indices
    from handclf_core.vocab import Split

    if run.predictions is not None and not again:
        return run
    check_dataset(run, ds)
    folder = run.model_file.parent
    try:
        lock = FileLock(lock_path(folder))
        lock.acquire(timeout=0)
    except Timeout:
        raise HandCamError(
            f"{run.name} is being trained or scored; try again when it is done"
        ) from None
    try:
        store, _ = build_store(ds)
        images = store.variant(run.preprocessing)
        rows = split_indices(store.frames, run.config)[Split.TEST]
        labels = store.frames[run.task].to_numpy().astype(np.int64)
        probs = predict_rows(load_model(run), images, rows, progress=progress)
        stored = write_predictions(folder, ScoredFrames(rows, labels[rows], probs))
        save_run(dataclasses.replace(run, predictions=stored, schema=SCHEMA), folder)
    finally:
        lock.release()
    return read_run(folder)


def check_dataset(run: Run, ds) -> None:
    """HandCamError unless `ds` is the dataset `run` was trained on."""
    if ds.identity != run.dataset.identity:
        raise HandCamError(f"run {run.name} was trained on {run.dataset.description}, not on "
                           f"{ds.description}: open that dataset (`--data` on the command "
                           "line)")  # fmt: skip


@dataclass(frozen=True)
class ScoredFrame:
    """One test frame as a cell shows it."""

    row: int  # in the frame store
    file: str  # the dataset's file name
    hand: Hand
    recording: str  # "scene/N"
    frame: int  # its number in the recording
    true: str
    top: tuple[Ranked, ...]  # most probable first


def frames_at(
    predictions: ScoredFrames, positions: np.ndarray, frames: pd.DataFrame, classes
) -> list[ScoredFrame]:
    """The frames at `positions` (from `ScoredFrames.cell`), described from the frame
    store's table `frames` (`FrameStore.frames`, checked with `check_store` first), each
    with its top-3 classes."""
    rows = predictions.rows[positions]
    shown = []
    for pos, row in zip(positions, rows, strict=True):
        f = frames.iloc[int(row)]
        p = predictions.probabilities[pos]
        order = np.argsort(-p)[:TOP]
        shown.append(
            ScoredFrame(
                row=int(row),
                file=str(f.file),
                hand=Hand.RIGHT if f.camera == Camera.RHAND else Hand.LEFT,
                recording=f"{f.scene}/{f.recording}",
                frame=int(f.frame),
                true=classes[int(predictions.true[pos])],
                top=tuple(Ranked(classes[i], float(p[i])) for i in order),
            )
        )
    return shown


def check_store(predictions: ScoredFrames, frames: pd.DataFrame, task: str) -> None:
    """HandCamError unless the store's table `frames` gives the test frames the labels the
    run was scored with (a store rebuilt from other data would show the wrong frames)."""
    rows = predictions.rows
    if len(rows) and rows.max() >= len(frames):
        raise HandCamError(f"expected a frame store of more than {rows.max()} frames, found "
                           f"{len(frames)}: it is not the one the run was scored on")  # fmt: skip
    if not np.array_equal(frames[task].to_numpy()[rows], predictions.true):
        raise HandCamError("expected the frame store the run was scored on, found one whose "
                           "test frames have other labels")  # fmt: skip
