"""Stored training runs: the `Run` record, its `run.json`, its place in the cache, listing.

A run lives in `<cache>/runs/<model>-<task>-<key>/` as `model.keras` (plain Keras: load it
with `keras.models.load_model`) and `run.json`: the `Run` record below, written by `save_run`
and read back by `read_run`, which checks it against the record's fields and types (and its
schema version). The key hashes everything that changes the result, so asking for a stored
configuration loads it instead of training. A run folder appears only by an atomic rename
once complete, so an interrupted run leaves nothing a later one would load. No Keras import
here: the Compare page lists runs fast.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import records
from .config import cache_dir
from .devices import Environment
from .errors import HandCamError
from .evaluate import Evaluation
from .images import Preprocessing
from .models import list_models
from .runconfig import TrainConfig
from .vocab import Task

SCHEMA = 2  # run.json's layout; part of every run key, so older runs are never reused
MODEL_FILE, RECORD_FILE = "model.keras", "run.json"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetRef:
    """The dataset a run was trained on."""

    identity: str  # `HandCamDataset.identity`: its content hash
    description: str  # what the user gave (a path), for people
    sample: bool  # the built-in sample's synthetic pictures


@dataclass(frozen=True)
class FrameCounts:
    """Frames of each split the run used (after `limit`)."""

    train: int
    validation: int
    test: int


@dataclass(frozen=True)
class Timings:
    seconds: float  # the whole run: store, training, scoring
    fit_seconds: float  # the training loop alone
    eval_seconds: float  # scoring the test split and the train-accuracy frames
    images_per_second: float  # training frames seen per second of the loop


@dataclass(frozen=True)
class Run:
    """One stored run: what was trained, on what, how it scored. Read with `read_run`."""

    name: str  # the run folder's name: <model>-<task>-<key>
    created: str  # ISO 8601, local time
    config: TrainConfig  # resolved: no None left
    dataset: DatasetRef
    classes: tuple[str, ...]  # class names in id order
    input_shape: tuple[int, int, int]  # (size, size, channels)
    params: int
    frames: FrameCounts
    history: dict[str, tuple[float, ...]]  # per epoch: loss, accuracy, val_loss, val_accuracy
    test: Evaluation  # the test split: the figures a run is judged by
    train_accuracy: float  # on up to train_frames_scored training frames: the over-fitting gap
    train_frames_scored: int
    timings: Timings
    environment: Environment
    schema: int = SCHEMA
    path: Path | None = field(default=None, compare=False, metadata={"stored": False})

    @property
    def model(self) -> str:
        return self.config.model

    @property
    def task(self) -> Task:
        return self.config.task

    @property
    def preprocessing(self) -> Preprocessing:
        return self.config.preprocessing()

    @property
    def model_file(self) -> Path:
        if self.path is None:
            raise HandCamError(f"run {self.name} has not been stored")
        return self.path / MODEL_FILE


def runs_dir() -> Path:
    return cache_dir() / "runs"


def run_path(dataset_identity: str, config: TrainConfig) -> Path:
    """Where the run of this configuration on this dataset is (or would be) stored."""
    c = config.resolved()
    blob = json.dumps(
        {"format": SCHEMA, "dataset": dataset_identity, "config": records.to_json(c)},
        sort_keys=True,
    )
    key = hashlib.sha256(blob.encode()).hexdigest()[:12]
    return runs_dir() / f"{c.model}-{c.task}-{key}"


def save_run(run: Run, folder: Path) -> None:
    """Write `run`'s record into `folder` (beside its model.keras)."""
    text = json.dumps(records.to_json(run), indent=1, allow_nan=False)
    (folder / RECORD_FILE).write_text(text)


def read_run(path: str | Path) -> Run:
    """The stored run at `path` (a run folder, or its model.keras), checked: HandCamError
    naming the file when it is not a complete run or its record does not parse."""
    path = Path(path)
    folder = path.parent if path.suffix == ".keras" else path
    meta = folder / RECORD_FILE
    if not (meta.is_file() and (folder / MODEL_FILE).is_file()):
        raise HandCamError(f"{path}: expected a stored run (model.keras and run.json), found none")
    try:
        data = json.loads(meta.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise HandCamError(f"{meta}: expected a run record (JSON), found: {e}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema", "none") if isinstance(data, dict) else type(data).__name__
        raise HandCamError(f"{meta}: expected a run record of schema {SCHEMA}, found {found}")
    run = records.from_json(Run, data, str(meta))
    expected = run_path(run.dataset.identity, run.config).name
    if run.name != folder.name or expected != folder.name:
        raise HandCamError(
            f"{meta}: expected the record of run {folder.name}, found one whose configuration "
            f"names {expected}"
        )
    return dataclasses.replace(run, path=folder)


def list_runs(dataset_identity: str | None = None, task: str | None = None) -> list[Run]:
    """Every complete stored run, newest first, optionally of one dataset and task. A run
    whose record cannot be read is left out (see `read_run` for why it failed)."""
    root = runs_dir()
    runs = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if folder.name.startswith(".") or not (folder / RECORD_FILE).is_file():
            continue  # a temporary folder of a run in progress
        try:
            run = read_run(folder)
        except HandCamError as e:
            log.warning("skipping a damaged run: %s", e)
            continue
        if dataset_identity and run.dataset.identity != dataset_identity:
            continue
        if task and run.task != task:
            continue
        runs.append(run)
    return sorted(runs, key=lambda r: r.created, reverse=True)


def latest_per_model(runs: list[Run]) -> list[Run]:
    """The newest run of each model (runs come newest first), in the registry's order."""
    newest: dict[str, Run] = {}
    for run in runs:
        newest.setdefault(run.model, run)
    order = {m: i for i, m in enumerate(list_models())}
    return sorted(newest.values(), key=lambda r: order.get(r.model, len(order)))


def publish(tmp: Path, final: Path) -> None:
    """Make a completed run folder visible, replacing an older run of the same key."""
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{tmp.name}")
        final.rename(old)
    tmp.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
