"""A run's answer for every test frame: the `predictions.npz` file kept beside its model.

Training writes it into the run folder: the store rows of the test frames, their true class
ids and the model's probabilities for each. The run's record holds the file's size and
SHA-256 (`Run.predictions`), so a damaged or replaced file is refused, never trusted. A cell
of the confusion matrix is then a lookup (`ScoredFrames.cell`), with no re-scoring. A run
kept before schema 3 has no such file: `inside.mistakes.score_run` scores it on request.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from handclf_core.atomic import disk_errors, file_sha256, write_file
from handclf_core.errors import HandCamError
from handclf_core.i18n import N_
from handclf_core.runs.checks import PREDICTIONS_FILE
from handclf_core.runs.record import Run, RunFile, file_matches


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


def write_predictions(folder: Path, predictions: ScoredFrames) -> RunFile:
    """Write `predictions` into the run folder `folder`, whole or not at all; the record of
    the file to keep in the run."""
    final = folder / PREDICTIONS_FILE
    buffer = io.BytesIO()
    np.savez(
        buffer,
        rows=predictions.rows.astype(np.int64),
        true=predictions.true.astype(np.int64),
        probabilities=predictions.probabilities.astype(np.float32),
    )
    with disk_errors(f"the test predictions of {folder.name}", folder):
        write_file(final, buffer.getvalue())
    return RunFile(PREDICTIONS_FILE, final.stat().st_size, file_sha256(final))


def read_predictions(run: Run) -> ScoredFrames | None:
    """The run's kept test predictions; None when it has none (kept before schema 3).
    HandCamError naming the file when it is not the one written for the run, or its
    contents are not what training writes (checked like the label files: members, dtypes,
    shapes, ranges, finite probabilities), even if its record was edited to match it."""
    if run.predictions is None:
        return None
    path = run.model_file.parent / run.predictions.name
    expected = f"the test predictions written for run {run.name}"
    if path.is_dir() or not path.is_file():
        folder = path.is_dir()
        raise HandCamError(
            f"{path}: expected {expected}, found {'a folder' if folder else 'no file'} (score "
            "the run again)",
            key=N_("error.predictions.folder") if folder else N_("error.predictions.missing"),
            path=str(path),
            run=run.name,
        )
    if not file_matches(path, run.predictions.bytes, run.predictions.sha256):
        raise HandCamError(
            f"{path}: expected {expected}, found another file (score it again)",
            key=N_("error.predictions.changed"),
            path=str(path),
            run=run.name,
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            rows, true, probs = (data[k] for k in ("rows", "true", "probabilities"))
    except KeyError as e:
        raise HandCamError(
            f"{path}: expected the members rows, true and probabilities, found none named {e}",
            key=N_("error.predictions.members"),
            path=str(path),
        ) from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:  # object arrays: ValueError
        raise HandCamError(
            f"{path}: expected NumPy arrays of numbers, found: {e}",
            key=N_("error.predictions.not_arrays"),
            path=str(path),
        ) from None
    _check(path, rows, true, probs, run.frames.test, len(run.classes))
    return ScoredFrames(rows, true, probs)


def _check(path: Path, rows, true, probs, n: int, c: int) -> None:
    """HandCamError unless the arrays are n test frames' rows (ascending), true class ids
    (0..c-1) and probabilities (n, c) in 0..1."""
    if rows.shape != (n,) or true.shape != (n,) or probs.shape != (n, c):
        raise HandCamError(
            f"{path}: expected {n} test frames of {c} classes, found arrays of "
            f"{rows.shape}, {true.shape}, {probs.shape}",
            key=N_("error.predictions.shape"),
            path=str(path),
            frames=n,
            classes=c,
        )
    if rows.dtype.kind not in "iu" or true.dtype.kind not in "iu" or probs.dtype.kind != "f":
        raise HandCamError(
            f"{path}: expected whole rows and class ids and float probabilities, "
            f"found {rows.dtype}, {true.dtype}, {probs.dtype}",
            key=N_("error.predictions.types"),
            path=str(path),
        )
    if n and (rows.min() < 0 or np.any(np.diff(rows) <= 0)):
        raise HandCamError(
            f"{path}: expected frame-store rows in ascending order, found {rows[:5].tolist()}...",
            key=N_("error.predictions.rows"),
            path=str(path),
        )
    if n and (true.min() < 0 or true.max() >= c):
        raise HandCamError(
            f"{path}: expected class ids 0..{c - 1}, found {true.min()}..{true.max()}",
            key=N_("error.predictions.class_ids"),
            path=str(path),
            last=c - 1,
            low=int(true.min()),
            high=int(true.max()),
        )
    if not np.all(np.isfinite(probs)) or n and (probs.min() < 0 or probs.max() > 1 + 1e-3):
        raise HandCamError(
            f"{path}: expected probabilities in 0..1, found NaN, infinity or values out of range",
            key=N_("error.predictions.probabilities"),
            path=str(path),
        )
