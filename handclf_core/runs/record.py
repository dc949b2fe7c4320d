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
import functools
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from handclf_core import records
from handclf_core.atomic import file_sha256, temp_path
from handclf_core.data.images import Preprocessing
from handclf_core.data.layout import CLASSES, cache_dir
from handclf_core.errors import HandCamError
from handclf_core.models import list_models
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.metrics import Evaluation
from handclf_core.training.devices import Environment
from handclf_core.vocab import Task

SCHEMA = 3  # run.json's layout: 3 added `predictions`
READABLE = (2, 3)  # layouts read back: a run of schema 2 has no per-frame test predictions
KEY_FORMAT = 2  # part of every run key: bumped when what a configuration trains changes, so
# older runs are never reused; unchanged by schema 3, which trains exactly what 2 did
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
class StoredFile:
    """A file of a run folder beside model.keras, checked whenever it is read."""

    name: str  # in the run folder
    bytes: int
    sha256: str


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
    model_bytes: int  # model.keras as trained: its size ...
    model_sha256: str  # ... and hash, checked whenever the run is read
    predictions: StoredFile | None = None  # every test frame's probabilities (`mistakes`)
    schema: int = SCHEMA
    digest: str = ""  # SHA-256 of the rest of the record: an edited record is not trusted
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
        {"format": KEY_FORMAT, "dataset": dataset_identity, "config": records.to_json(c)},
        sort_keys=True,
    )
    key = hashlib.sha256(blob.encode()).hexdigest()[:12]
    return runs_dir() / f"{c.model}-{c.task}-{key}"


def stored_run(dataset_identity: str, config: TrainConfig) -> Run | None:
    """The stored run of this configuration if there is one that passes its checks; a
    damaged one is logged, saying why, and treated as absent (training replaces it)."""
    final = run_path(dataset_identity, config)
    if not final.exists():
        return None
    try:
        return read_run(final)
    except HandCamError as e:
        log.warning("the stored run %s failed its checks, it will be trained again: %s",
                    final.name, e)  # fmt: skip
        return None


def _digest(data: dict) -> str:
    body = {k: v for k, v in data.items() if k != "digest"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, allow_nan=False).encode()).hexdigest()


def save_run(run: Run, folder: Path) -> None:
    """Write `run`'s record into `folder`, beside its model.keras, with its digest; whole
    or not at all (a record rewritten in place, by `mistakes.score_run`, is never torn)."""
    data = records.to_json(run)
    data["digest"] = _digest(data)
    final = folder / RECORD_FILE
    tmp = temp_path(final)
    try:
        tmp.write_text(json.dumps(data, indent=1, allow_nan=False))
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


@functools.lru_cache(maxsize=64)
def _sha256(path: Path, size: int, mtime_ns: int, inode: int) -> str:
    return file_sha256(path)  # once per file version and process: AlexNet's is 233 MB


def is_stored_file(path: Path, size: int, sha256: str) -> bool:
    """Whether the file at `path` is the one of this size and SHA-256 (hashed once per
    version of the file and process)."""
    st = path.stat()
    return st.st_size == size and _sha256(path, st.st_size, st.st_mtime_ns, st.st_ino) == sha256


def lock_path(folder: Path) -> Path:
    """The lock a process holds while it trains, or scores, the run stored at `folder`."""
    return folder.parent / f".{folder.name}.lock"


def read_run(path: str | Path) -> Run:
    """The stored run at `path` (a run folder, or its model.keras), checked in full: its
    record against the schema and its digest (edited by hand?), its folder name against
    the key of its configuration, its classes and input shape against that configuration,
    and its model.keras against the size and SHA-256 recorded when it was trained.
    HandCamError naming the file and the check that failed."""
    path = Path(path)
    folder = path.parent if path.suffix == ".keras" else path
    meta, model = folder / RECORD_FILE, folder / MODEL_FILE
    if not (meta.is_file() and model.is_file()):
        raise HandCamError(f"{path}: expected a stored run (model.keras and run.json), found none")
    try:
        data = json.loads(meta.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise HandCamError(f"{meta}: expected a run record (JSON), found: {e}") from None
    if not isinstance(data, dict) or data.get("schema") not in READABLE:
        found = data.get("schema", "none") if isinstance(data, dict) else type(data).__name__
        raise HandCamError(
            f"{meta}: expected a run record of schema {READABLE[0]} to {SCHEMA}, found {found} "
            "(a run of another version of the project is not used: delete its folder)"
        )
    if data.get("digest") != _digest(data):
        raise HandCamError(f"{meta}: expected the record as training wrote it, found it edited")
    run = records.from_json(Run, data, str(meta))
    expected = run_path(run.dataset.identity, run.config).name
    if run.name != folder.name or expected != folder.name:
        raise HandCamError(
            f"{meta}: expected the record of run {folder.name}, found one whose configuration "
            f"names {expected}"
        )
    c, prep = run.config, run.preprocessing
    if run.classes != CLASSES[c.task] or run.input_shape != (prep.size, prep.size, prep.channels):
        raise HandCamError(
            f"{meta}: expected the {len(CLASSES[c.task])} classes of {c.task} and inputs of "
            f"{(prep.size, prep.size, prep.channels)}, found {len(run.classes)} classes and "
            f"{run.input_shape}"
        )
    if not is_stored_file(model, run.model_bytes, run.model_sha256):
        raise HandCamError(
            f"{model}: expected the model trained for this run ({run.model_bytes:,} bytes, "
            f"SHA-256 {run.model_sha256[:12]}…), found another file ({model.stat().st_size:,} "
            "bytes)"
        )
    return dataclasses.replace(run, path=folder)


def scan_runs(
    dataset_identity: str | None = None, task: str | None = None
) -> tuple[list[Run], list[str]]:
    """The stored runs that pass every check of `read_run`, newest first, optionally of one
    dataset and task; and one line per run folder that fails them, saying why."""
    root = runs_dir()
    runs, damaged = [], []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if folder.name.startswith(".") or not folder.is_dir():
            continue  # a temporary folder of a run in progress, a lock file
        try:
            run = read_run(folder)
        except HandCamError as e:
            damaged.append(str(e))
            continue
        if dataset_identity and run.dataset.identity != dataset_identity:
            continue
        if task and run.task != task:
            continue
        runs.append(run)
    return sorted(runs, key=lambda r: r.created, reverse=True), damaged


def list_runs(dataset_identity: str | None = None, task: str | None = None) -> list[Run]:
    """Every stored run that passes its checks, newest first, optionally of one dataset and
    task; each one left out is logged as a warning saying why."""
    runs, damaged = scan_runs(dataset_identity, task)
    for problem in damaged:
        log.warning("a stored run is left out, it failed its checks: %s", problem)
    return runs


def latest_per_model(runs: list[Run]) -> list[Run]:
    """The newest run of each model (runs come newest first), in the registry's order."""
    newest: dict[str, Run] = {}
    for run in runs:
        newest.setdefault(run.model, run)
    order = {m: i for i, m in enumerate(list_models())}
    return sorted(newest.values(), key=lambda r: order.get(r.model, len(order)))


def find_stored(name: str) -> Path:
    """The folder of the stored run named `name` (a run folder's name, or its path)."""
    path = Path(name)
    folder = path if path.is_dir() else runs_dir() / path.name
    if folder.resolve().parent != runs_dir().resolve() or not (folder / RECORD_FILE).is_file():
        raise HandCamError(
            f"{name}: expected the name of a stored run (`python -m handclf_core runs list` "
            "lists them), found none"
        )
    return folder


def delete_run(name: str) -> Path:
    """Delete the stored run `name` (see `find_stored`): renamed out of sight first, so
    that nothing ever lists or loads a half-deleted run, then removed. Returns its folder."""
    folder = find_stored(name)
    gone = temp_path(folder)  # a killed delete leaves a temporary folder: `remove_stale`'s
    folder.rename(gone)
    shutil.rmtree(gone, ignore_errors=True)
    return folder


def run_archive(run: Run, out) -> None:
    """Write `run`'s model.keras and run.json as a zip into `out` (a path or binary file):
    what a student downloads to keep or to load elsewhere with `keras.models.load_model`."""
    import zipfile

    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:  # model.keras is a zip
        for file in (MODEL_FILE, RECORD_FILE):
            archive.write(run.model_file.parent / file, f"{run.name}/{file}")


def publish(tmp: Path, final: Path) -> None:
    """Make a completed run folder visible, replacing an older run of the same key."""
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{tmp.name}")
        final.rename(old)
    tmp.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
