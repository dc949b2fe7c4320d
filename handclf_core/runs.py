"""Stored training runs: their configuration, their place in the cache, listing and loading.

A run lives in `<cache>/runs/<model>-<task>-<key>/` as `model.keras` (plain Keras: load it
with `keras.models.load_model`) and `run.json` (the full configuration, class names,
preprocessing, history, test-split metrics, timings and environment). The key hashes
everything that changes the result, so asking for a stored configuration loads it instead of
training. A run folder appears only by an atomic rename once complete, so an interrupted run
leaves nothing a later one would load. No Keras import here: the Compare page lists runs fast.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from .config import CLASSES, cache_dir
from .errors import HandCamError
from .images import Preprocessing
from .models import get_recipe, list_models

RUN_FORMAT = 1  # bump when stored runs change meaning, so old ones are not reused
BALANCE = ("none", "class_weight", "oversample")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that changes a trained model; None fields take the model's recipe."""

    model: str = "cnn_basic"  # a registry name: cnn_basic, mnist, alexnet
    task: str = "obj"  # label set: obj (24 classes), ges (13), FA (2)
    epochs: int | None = None  # passes over the training frames
    batch_size: int | None = None  # frames per gradient step
    learning_rate: float | None = None  # of the recipe's optimizer (Adam, Adadelta, SGD)
    momentum: float | None = None  # SGD's momentum (alexnet: 0.9; 0 is the plain SGD)
    size: int | None = None  # input side in pixels (32, 28, 227 in the recipes)
    gray: bool | None = None  # one grayscale channel (the mnist recipe) instead of RGB
    flip_right: bool | None = None  # mirror right-hand frames (the alexnet recipe)
    crop: bool = False  # centre-crop the 16:9 frame; the assignment squashed it
    balance: str = "none"  # none (the assignment), class_weight, or oversample
    shuffle: bool = True  # reshuffle the training frames every epoch
    limit: int | None = None  # at most this many frames per split, evenly spaced (demos)
    # A whole recording of the training split held out for validation: neighbouring frames
    # are near-identical, so a random slice of frames would leak into training.
    validation: str = "lab/4"  # "scene/recording", or "" for no validation
    seed: int = 0  # weights, shuffling and dropout; same seed, same metrics on the CPU

    def resolved(self) -> TrainConfig:
        """A copy with every None filled from the recipe, after checking each value."""
        if self.model not in list_models():
            raise HandCamError(
                f"unknown model {self.model!r}; expected one of {', '.join(list_models())}"
            )
        if self.task not in CLASSES:
            raise HandCamError(f"unknown task {self.task!r}; expected one of {', '.join(CLASSES)}")
        if self.balance not in BALANCE:
            raise HandCamError(
                f"unknown balancing {self.balance!r}; expected one of {', '.join(BALANCE)}"
            )
        for name in ("epochs", "batch_size", "limit"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise HandCamError(f"{name} must be at least 1, found {value}")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise HandCamError(f"learning rate must be positive, found {self.learning_rate}")
        r = get_recipe(self.model)
        if self.momentum is not None:
            if not 0 <= self.momentum < 1:
                raise HandCamError(f"momentum must be in [0, 1), found {self.momentum}")
            if self.momentum and r.optimizer != "sgd":
                raise HandCamError(
                    f"momentum applies to SGD only; {self.model} trains with {r.optimizer}"
                )
        return dataclasses.replace(
            self,
            epochs=self.epochs or r.epochs,
            batch_size=self.batch_size or r.batch_size,
            learning_rate=self.learning_rate or r.learning_rate,
            momentum=r.momentum if self.momentum is None else self.momentum,
            size=self.size or r.input_size,
            gray=(r.channels == 1) if self.gray is None else self.gray,
            flip_right=r.flip_right if self.flip_right is None else self.flip_right,
        )

    def preprocessing(self) -> Preprocessing:
        c = self.resolved()
        return Preprocessing(size=c.size, gray=c.gray, flip_right=c.flip_right, crop=c.crop)

    def validation_recording(self) -> tuple[str, int] | None:
        if not self.validation:
            return None
        scene, _, rec = self.validation.partition("/")
        if not rec.isdigit():
            raise HandCamError(f"validation: expected 'scene/recording', found {self.validation!r}")
        return scene, int(rec)


def runs_dir() -> Path:
    return cache_dir() / "runs"


def run_path(dataset_identity: str, config: TrainConfig) -> Path:
    """Where the run of this configuration on this dataset is (or would be) stored."""
    c = config.resolved()
    blob = json.dumps(
        {"format": RUN_FORMAT, "dataset": dataset_identity, "config": dataclasses.asdict(c)},
        sort_keys=True,
    )
    key = hashlib.sha256(blob.encode()).hexdigest()[:12]
    return runs_dir() / f"{c.model}-{c.task}-{key}"


def read_run(path: str | Path) -> dict:
    """The run.json of a stored run (a run folder, or its model.keras)."""
    path = Path(path)
    folder = path.parent if path.suffix == ".keras" else path
    meta = folder / "run.json"
    if not (meta.is_file() and (folder / "model.keras").is_file()):
        raise HandCamError(f"{path}: expected a stored run (model.keras and run.json), found none")
    run = json.loads(meta.read_text())
    run["path"] = str(folder)
    return run


def list_runs(dataset_identity: str | None = None, task: str | None = None) -> list[dict]:
    """Every complete stored run, newest first, optionally of one dataset and task."""
    root = runs_dir()
    runs = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if folder.name.startswith(".") or not (folder / "run.json").is_file():
            continue  # a temporary folder of a run in progress
        run = read_run(folder)
        if dataset_identity and run["dataset"]["identity"] != dataset_identity:
            continue
        if task and run["config"]["task"] != task:
            continue
        runs.append(run)
    return sorted(runs, key=lambda r: r["created"], reverse=True)


def publish(tmp: Path, final: Path) -> None:
    """Make a completed run folder visible, replacing an older run of the same key."""
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{tmp.name}")
        final.rename(old)
    tmp.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
