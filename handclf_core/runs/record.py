"""A trained run as it is kept: the `Run` record, its `run.json`, and the name its
configuration gives it.

A run lives in a folder named `<model>-<task>-<key>` (`runs.folders` says where) as
`model.keras` (plain Keras: load it with `keras.models.load_model`), `predictions.npz`
(`runs.predictions`) and `run.json`: the `Run` record below, written by `save_run` and read
back by `read_run`, which checks it against the record's fields and types, its schema
version, its digest, its name and its model file. The key hashes everything that changes
the result, so asking for a stored configuration loads it instead of training. No Keras
import here: the Compare page lists runs fast.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from handclf_core import records
from handclf_core.atomic import file_sha256, write_file
from handclf_core.data.images import Preprocessing
from handclf_core.errors import HandCamError
from handclf_core.i18n import N_
from handclf_core.runs.checks import check_record
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.device import Environment
from handclf_core.runs.metrics import Evaluation
from handclf_core.runs.model_file import check_model_file
from handclf_core.vocab import CLASSES, Task, Validation

SCHEMA = 4  # run.json's layout: 3 added `predictions`; 4 typed `config.validation`
READABLE = (2, 3, 4)  # layouts read back: a run of schema 2 has no per-frame test predictions
KEY_FORMAT = 2  # part of every run key: bumped when what a configuration trains changes, so
# older runs are never reused; unchanged by schemas 3 and 4, which train exactly what 2 did
MODEL_FILE, RECORD_FILE = "model.keras", "run.json"

MAX_RECORD_BYTES = 8 * 2**20  # a run.json is about 70 kB; a larger one is not read whole


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
    # What the time estimate (`training.estimate`) learns from; None in runs stored before:
    data_seconds: float | None = None  # the frame store decoded, the inputs derived (0: kept)
    other_load: float | None = None  # other work's mean demand on the CPU meanwhile, in cores


@dataclass(frozen=True)
class RunFile:
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
    predictions: RunFile | None = None  # every test frame's probabilities
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
            raise HandCamError(
                f"run {self.name} has not been stored",
                key=N_("error.run.not_stored"),
                name=self.name,
            )
        return self.path / MODEL_FILE


def _key_config(config: TrainConfig) -> dict:
    """The configuration as its run key hashes it. Validation is written as runs were keyed
    before it was a vocabulary term (the held-out recording, "random" or ""), so that runs
    stored then keep their names."""
    c = records.to_json(config)
    legacy = {Validation.RANDOM: "random", Validation.NONE: ""}
    c["validation"] = legacy.get(config.validation, config.held_out)
    del c["held_out"]
    return c


def run_name(dataset_identity: str, config: TrainConfig) -> str:
    """The folder name of the run of this configuration on this dataset: model-task-key."""
    c = config.resolved()
    blob = json.dumps(
        {"format": KEY_FORMAT, "dataset": dataset_identity, "config": _key_config(c)},
        sort_keys=True,
    )
    return f"{c.model}-{c.task}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def _parse(meta: Path) -> dict:
    """The JSON of a run record, read at most MAX_RECORD_BYTES (a pipe, a device, a folder
    refused by name). NaN, Infinity and 1e400 are parsed (as floats that are not finite),
    for the schema's check to name the field that holds one."""
    from handclf_core.data.trees import read_file

    raw = read_file(meta, MAX_RECORD_BYTES)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:  # JSONDecodeError too
        raise HandCamError(
            f"{meta}: expected a run record (JSON), found: {e}",
            key=N_("error.run.not_json"),
            path=str(meta),
        ) from None


def _digest(data: dict) -> str:
    body = {k: v for k, v in data.items() if k != "digest"}
    # NaN allowed here only to tell an edited record: the schema's check refuses it after.
    return hashlib.sha256(json.dumps(body, sort_keys=True, allow_nan=True).encode()).hexdigest()


def _upgrade(data: dict) -> dict:
    """A record of schema 2 or 3 in today's layout: its validation, a string then ("lab/4",
    "random" or ""), as the vocabulary term and the recording held out."""
    config = data.get("config")
    if isinstance(config, dict) and "held_out" not in config:
        text = config.get("validation")
        if not isinstance(text, str):  # left for the schema's check to name
            return data
        kinds = {"random": Validation.RANDOM, "": Validation.NONE}
        config["validation"] = str(kinds.get(text, Validation.RECORDING))
        config["held_out"] = None if text in kinds else text
    return data


def save_run(run: Run, folder: Path) -> None:
    """Write `run`'s record into `folder`, beside its model.keras, with its digest; whole
    or not at all (a record rewritten in place, by `inside.mistakes.score_run`, is never
    torn)."""
    data = records.to_json(run)
    data["digest"] = _digest(data)
    write_file(folder / RECORD_FILE, json.dumps(data, indent=1, allow_nan=False))


@functools.lru_cache(maxsize=64)
def _sha256(path: Path, size: int, mtime_ns: int, inode: int) -> str:
    return file_sha256(path)  # once per file version and process: AlexNet's is 233 MB


def file_matches(path: Path, size: int, sha256: str) -> bool:
    """Whether the file at `path` is the one of this size and SHA-256 (hashed once per
    version of the file and process)."""
    st = path.stat()
    return st.st_size == size and _sha256(path, st.st_size, st.st_mtime_ns, st.st_ino) == sha256


def _field_error(error: HandCamError, meta: Path) -> HandCamError:
    """An error of the record's schema or figures ("META: FIELD: expected ..., found ..."),
    with its explanation for the app: the same English line, naming the field."""
    if error.key:
        return error
    field = str(error).removeprefix(f"{meta}: ").split(": ", 1)[0]
    return HandCamError(str(error), key=N_("error.run.bad_field"), path=str(meta), field=field)


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
        raise HandCamError(
            f"{path}: expected a stored run (model.keras and run.json), found none",
            key=N_("error.run.missing"),
            path=str(path),
        )
    for entry in (folder, meta, model):
        if entry.is_symlink():  # a run is read and written where it is, never elsewhere
            raise HandCamError(
                f"{entry}: expected a file of the run itself, found a link "
                "(delete the run's folder; training makes it again)",
                key=N_("error.run.link"),
                path=str(entry),
            )
    data = _parse(meta)
    if not isinstance(data, dict) or data.get("schema") not in READABLE:
        found = data.get("schema", "none") if isinstance(data, dict) else type(data).__name__
        raise HandCamError(
            f"{meta}: expected a run record of schema {READABLE[0]} to {SCHEMA}, found {found} "
            "(a run of another version of the project is not used: delete its folder)",
            key=N_("error.run.schema"),
            path=str(meta),
            low=READABLE[0],
            high=SCHEMA,
            found=str(found),
        )
    if data.get("digest") != _digest(data):
        raise HandCamError(
            f"{meta}: expected the record as training wrote it, found it edited",
            key=N_("error.run.edited"),
            path=str(meta),
        )
    try:
        run = records.from_json(Run, _upgrade(data), str(meta))
        expected = run_name(run.dataset.identity, run.config)
    except HandCamError as e:  # a field of the wrong type, or missing
        raise _field_error(e, meta) from None
    except (TypeError, ValueError, KeyError, AttributeError) as e:  # what the types let by
        raise HandCamError(
            f"{meta}: expected a run record, found one that is not: {e}",
            key=N_("error.run.not_record"),
            path=str(meta),
        ) from None
    c, prep = run.config, run.preprocessing
    if run.classes != CLASSES[c.task] or run.input_shape != (prep.size, prep.size, prep.channels):
        raise HandCamError(
            f"{meta}: expected the {len(CLASSES[c.task])} classes of {c.task} and inputs of "
            f"{(prep.size, prep.size, prep.channels)}, found {len(run.classes)} classes and "
            f"{run.input_shape}",
            key=N_("error.run.classes"),
            path=str(meta),
            classes=len(CLASSES[c.task]),
            task=str(c.task),
            shape="x".join(map(str, (prep.size, prep.size, prep.channels))),
        )
    try:
        check_record(run, meta)  # the figures in their ranges, the names inside the run
    except HandCamError as e:
        raise _field_error(e, meta) from None
    if run.name != folder.name or expected != folder.name:
        raise HandCamError(
            f"{meta}: expected the record of run {folder.name}, found one whose configuration "
            f"names {expected}",
            key=N_("error.run.other_name"),
            path=str(meta),
            name=folder.name,
            found=expected,
        )
    if not file_matches(model, run.model_bytes, run.model_sha256):
        raise HandCamError(
            f"{model}: expected the model trained for this run ({run.model_bytes:,} bytes, "
            f"SHA-256 {run.model_sha256[:12]}…), found another file ({model.stat().st_size:,} "
            "bytes)",
            key=N_("error.run.model_changed"),
            path=str(model),
            size=run.model_bytes,
            found=model.stat().st_size,
        )
    try:
        check_model_file(model)  # what it would build, before Keras may load it
    except HandCamError as e:
        if e.key:
            raise
        raise HandCamError(str(e), key=N_("error.run.model_refused"), path=str(model)) from None
    return dataclasses.replace(run, path=folder)
