"""Which test frames a run gets wrong: the cells of its confusion matrix, and the frames
behind one, described from the frame store with their top-3 classes.

Everything reads the run's kept test predictions (`runs.predictions`); a run kept before
they were (schema 2) is scored once, on request, by `score_run`. The frames shown come from
the dataset's frame store, checked first to be the one the run was scored on.

No Keras import here but in `score_run`: listing the cells of a run is instant.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from handclf_core.atomic import remove_stale
from handclf_core.errors import HandCamError
from handclf_core.inside.predict import Ranked
from handclf_core.runs.folders import lock_path, run_folder
from handclf_core.runs.predictions import ScoredFrames, read_predictions, write_predictions
from handclf_core.runs.record import RECORD_FILE, SCHEMA, Run, read_run, save_run
from handclf_core.vocab import Camera, Hand

TOP = 3  # classes shown per frame
SCORED_WHERE = (
    "a run is scored in its own folder of the runs folder, never through a link: "
    "train it there, or move its folder there"
)


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
    """Every non-empty cell of a confusion matrix ((C, C), rows true; a run's kept one or
    `ScoredFrames.confusion()`): the mistakes first, most frames first, then the right
    answers."""
    matrix = np.asarray(matrix)
    found = [
        Cell(classes[i], classes[j], int(matrix[i, j]))
        for i, j in zip(*np.nonzero(matrix), strict=True)
    ]
    return sorted(found, key=lambda c: (not c.mistake, -c.frames, c.true, c.predicted))


def score_run(run: Run, ds, *, again: bool = False, progress=None) -> Run:
    """Score the test frames of a kept run that has no predictions yet (kept before
    schema 3), write its `predictions.npz` and add it to its record: once, on request.

    Args:
        run: a kept run (`read_run`); returned unchanged when it has its predictions.
        ds: the dataset it was trained on (its identity is checked).
        again: score it even when it has predictions (their file was found damaged).
        progress: called as progress(done, total) over the test frames.

    Returns the run as now kept. HandCamError when `ds` is another dataset, the run is
    being trained or scored by another process (its lock is held), or its folder is not a
    folder of its own in the runs folder (a link there is never written through).
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
    folder = run_folder(str(run.model_file.parent), fix=SCORED_WHERE)
    try:
        lock = FileLock(lock_path(folder))
        lock.acquire(timeout=0)
    except Timeout:
        raise HandCamError(
            f"{run.name} is being trained or scored; try again when it is done"
        ) from None
    try:
        if not (folder / RECORD_FILE).is_file():
            raise HandCamError(f"{run.name} was deleted meanwhile: nothing to score")
        remove_stale(folder)  # a scoring killed while it wrote
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
                hand=Camera(f.camera).hand,
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


def parse_cell(text: str, classes) -> tuple[int, int]:
    """ "cookie:free" as the (true, predicted) class ids of a confusion cell; HandCamError
    saying what was expected."""
    true, colon, predicted = text.partition(":")
    if not colon:
        raise HandCamError(f"--cell: expected TRUE:PREDICTED (e.g. cookie:free), found {text!r}")
    for name in (true, predicted):
        if name not in classes:
            raise HandCamError(f"--cell {text}: expected two of the classes "
                               f"{', '.join(classes)}; found {name!r}")  # fmt: skip
    return classes.index(true), classes.index(predicted)


def cell_frames(
    run: Run, found: ScoredFrames, ds, true_id: int, predicted_id: int, limit: int
) -> tuple[int, list[ScoredFrame]]:
    """How many test frames the cell (true, predicted) holds, and the first `limit` of them
    described from `ds`'s frame store (checked to be the one the run was scored on)."""
    from handclf_core.data.store import open_store

    store = open_store(ds)
    if store is None:
        raise HandCamError(f"{ds.description}: expected its frame store, found none "
                           "(python -m handclf_core prepare builds it)")  # fmt: skip
    check_store(found, store.frames, run.task)
    positions = found.cell(true_id, predicted_id)
    return len(positions), frames_at(found, positions[:limit], store.frames, run.classes)


def predictions_or_score(
    run: Run, ds, *, warn=None, progress=None
) -> tuple[Run, ScoredFrames, bool]:
    """The run's kept test predictions; a run without them (or with a damaged file, said
    through `warn(message)`) is scored first. Returns (the run as now kept, its
    predictions, whether it was scored now)."""
    try:
        found = read_predictions(run)
    except HandCamError as e:
        if warn:
            warn(str(e))
        found = None
    if found is not None:
        return run, found, False
    run = score_run(run, ds, again=run.predictions is not None, progress=progress)
    return run, read_predictions(run), True
