"""Training: train one of the registry's models on a dataset, or load it when it is stored.

Batches stream from the frame store's memory-mapped variant (AlexNet's training split is
2.3 GB as uint8, 9 GB as float32: it never sits in memory whole), through a
`keras.utils.PyDataset` whose worker threads prefetch the next batches while the model
trains. The code uses Keras 3's backend-neutral API only, so it runs on TensorFlow (the
default) or JAX; a GPU is used when the backend sees one.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
from filelock import FileLock, Timeout

from .config import CLASSES
from .dataset import HandCamDataset
from .errors import HandCamError
from .evaluate import evaluate_predictions
from .models import create_model, get_recipe, make_optimizer
from .runs import TrainConfig, publish, read_run, run_path
from .store import build_store

TRAIN_EVAL_LIMIT = 2000  # train-split frames scored for the over-fitting figure (evenly spaced)

Progress = Callable[[dict], None]


class TrainingCancelled(Exception):
    """Raised by a progress callback to stop training; nothing is stored."""


def _evenly(indices: np.ndarray, limit: int | None) -> np.ndarray:
    if limit is None or len(indices) <= limit:
        return indices
    return indices[np.unique(np.linspace(0, len(indices) - 1, limit).round().astype(int))]


class FrameBatches(keras.utils.PyDataset):
    """Batches (x uint8 (B, s, s, C), y int (B,)[, sample weight (B,)]) read from the store.

    Shuffling and oversampling draw a new order every epoch from (seed, epoch), so a run is
    reproducible. Batches are prefetched while the model computes: on TensorFlow by tf.data's
    own prefetch thread (workers=1: no thread pool restarted each epoch, nothing competing
    with TensorFlow for a small CPU), on other backends by two Keras worker threads.
    """

    def __init__(
        self,
        images,
        labels,
        indices,
        batch_size,
        *,
        shuffle=False,
        seed=0,
        weights=None,
        oversample=False,
        workers=None,
    ):
        if workers is None:
            workers = 1 if keras.backend.backend() == "tensorflow" else 2
        super().__init__(workers=workers, use_multiprocessing=False, max_queue_size=8)
        self.images, self.labels, self.indices = images, labels, np.asarray(indices)
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.weights, self.oversample = weights, oversample
        self.epoch = 0
        self._order = self._draw()

    def _draw(self) -> np.ndarray:
        rng = np.random.default_rng([self.seed, self.epoch])
        if self.oversample:
            # Every class equally likely per draw: rare classes are seen more often.
            y = self.labels[self.indices]
            counts = np.bincount(y)
            p = 1.0 / counts[y]
            return rng.choice(self.indices, size=len(self.indices), p=p / p.sum())
        return rng.permutation(self.indices) if self.shuffle else self.indices

    def __len__(self) -> int:
        return math.ceil(len(self._order) / self.batch_size)

    def __getitem__(self, i):
        # Sorted rows read the memory map in file order; a batch's content is unchanged.
        rows = np.sort(self._order[i * self.batch_size : (i + 1) * self.batch_size])
        y = self.labels[rows]
        if self.weights is None:
            return self.images[rows], y
        return self.images[rows], y, self.weights[y]

    def on_epoch_end(self):
        self.epoch += 1
        self._order = self._draw()


class _ProgressCallback(keras.callbacks.Callback):
    """Reports per batch and per epoch: loss, accuracy, images/second, ETA."""

    def __init__(self, progress: Progress, epochs: int, batches: int, batch_size: int):
        super().__init__()
        self.progress, self.epochs, self.batches, self.batch_size = (
            progress,
            epochs,
            batches,
            batch_size,
        )
        self.history: dict[str, list[float]] = {}

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def _rate(self) -> tuple[float, float]:
        elapsed = time.perf_counter() - self.start
        rate = self.seen / elapsed if elapsed > 0 else 0.0
        left = (self.epochs * self.batches - self.done) * self.batch_size
        return rate, (left / rate if rate else float("nan"))

    def on_train_batch_end(self, batch, logs=None):
        self.seen += self.batch_size
        self.done = self.epoch * self.batches + batch + 1
        rate, eta = self._rate()
        logs = logs or {}
        self.progress(
            {
                "event": "batch",
                "epoch": self.epoch + 1,
                "epochs": self.epochs,
                "batch": batch + 1,
                "batches": self.batches,
                "loss": float(logs.get("loss", 0)),
                "accuracy": float(logs.get("accuracy", 0)),
                "images_per_second": rate,
                "eta_seconds": eta,
            }
        )

    def on_epoch_end(self, epoch, logs=None):
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(float(v))
        rate, eta = self._rate()
        self.progress(
            {
                "event": "epoch",
                "epoch": epoch + 1,
                "epochs": self.epochs,
                "images_per_second": rate,
                "eta_seconds": eta,
                **{k: float(v) for k, v in (logs or {}).items()},
            }
        )


def configure_device() -> dict:
    """Find the accelerator the Keras backend sees; on a GPU, grow memory as needed and
    compute in mixed precision (float16 with a float32 softmax) where the GPU supports it."""
    backend = keras.backend.backend()
    gpus: list[str] = []
    capable = False
    if backend == "tensorflow":
        import tensorflow as tf

        for gpu in tf.config.list_physical_devices("GPU"):
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:
                pass  # already initialised by an earlier run in this process
            details = tf.config.experimental.get_device_details(gpu)
            gpus.append(details.get("device_name", gpu.name))
            capable = details.get("compute_capability", (0, 0)) >= (7, 0)
    elif backend == "jax":
        import jax

        gpus = [d.device_kind for d in jax.devices() if d.platform == "gpu"]
        capable = bool(gpus)
    if capable:
        keras.mixed_precision.set_global_policy("mixed_float16")
    device = f"GPU x{len(gpus)}: {gpus[0]}" if gpus else f"CPU ({os.cpu_count()} cores)"
    return {"device": device, "backend": backend, "gpus": len(gpus), "mixed_precision": capable}


def _strategy(device: dict):
    """Several GPUs on TensorFlow: replicate the model on each (MirroredStrategy)."""
    if device["backend"] == "tensorflow" and device["gpus"] > 1:
        import tensorflow as tf

        return tf.distribute.MirroredStrategy()
    from contextlib import nullcontext

    return type("NoStrategy", (), {"scope": staticmethod(nullcontext)})()


def split_indices(frames, config: TrainConfig) -> dict[str, np.ndarray]:
    """Row indices of the store for train, validation (a held-out recording) and test."""
    held = config.validation_recording()
    is_val = np.zeros(len(frames), bool)
    if held:
        is_val = (frames.split == "train").to_numpy() & (
            (frames.scene == held[0]) & (frames.recording == held[1])
        ).to_numpy()
        if not is_val.any():
            raise HandCamError(
                f"validation recording {config.validation!r} is not in the training split"
            )
    train = np.flatnonzero((frames.split == "train").to_numpy() & ~is_val)
    test = np.flatnonzero((frames.split == "test").to_numpy())
    return {
        k: _evenly(v, config.limit)
        for k, v in {"train": train, "validation": np.flatnonzero(is_val), "test": test}.items()
    }


def _predict(model, images, indices, batch_size=256) -> np.ndarray:
    assert np.all(np.diff(indices) > 0), "batches are read in sorted order"
    batches = FrameBatches(images, np.zeros(len(images), np.int64), indices, batch_size)
    return np.asarray(model.predict(batches, verbose=0), dtype=np.float64)


def _environment(device: dict) -> dict:
    env = {
        **device,
        "keras": keras.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    if device["backend"] == "tensorflow":
        import tensorflow as tf

        env["tensorflow"] = tf.__version__
    return env


def _train(
    ds: HandCamDataset, config: TrainConfig, folder: Path, name: str, progress: Progress
) -> dict:
    """Train into `folder` (a temporary one) the run to be published as `name`."""
    c = config.resolved()
    started = time.perf_counter()
    device = configure_device()
    keras.utils.set_random_seed(c.seed)
    if device["backend"] == "tensorflow" and not device["gpus"]:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()  # same seed, same metrics on the CPU

    def stage(name):
        return lambda done, total: progress(
            {"event": "prepare", "stage": name, "done": done, "total": total}
        )

    store, _ = build_store(ds, progress=stage("decoding frames"))
    images = store.variant(c.preprocessing(), progress=stage("resizing frames"))
    labels = store.frames[c.task].to_numpy().astype(np.int64)
    parts = split_indices(store.frames, c)
    classes = CLASSES[c.task]
    weights = None
    if c.balance == "class_weight":
        from sklearn.utils.class_weight import compute_class_weight

        present = np.unique(labels[parts["train"]])
        weights = np.zeros(len(classes), np.float32)  # total / (classes · count)
        weights[present] = compute_class_weight(
            "balanced", classes=present, y=labels[parts["train"]]
        )
    train = FrameBatches(
        images,
        labels,
        parts["train"],
        c.batch_size,
        shuffle=c.shuffle,
        seed=c.seed,
        weights=weights,
        oversample=c.balance == "oversample",
    )
    val = None
    if len(parts["validation"]):
        val = FrameBatches(images, labels, parts["validation"], 256)

    with _strategy(device).scope():
        model = create_model(c.model, task=c.task, input_size=c.size, channels=images.shape[-1])
        model.compile(
            optimizer=make_optimizer(get_recipe(c.model), c.learning_rate, c.momentum),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    callback = _ProgressCallback(progress, c.epochs, len(train), c.batch_size)
    fit_start = time.perf_counter()
    model.fit(train, validation_data=val, epochs=c.epochs, callbacks=[callback], verbose=0)
    fit_seconds = time.perf_counter() - fit_start

    progress({"event": "evaluate", "split": "test"})
    eval_start = time.perf_counter()
    majority = int(np.argmax(np.bincount(labels[parts["train"]], minlength=len(classes))))
    test = evaluate_predictions(
        labels[parts["test"]],
        _predict(model, images, parts["test"]),
        classes,
        split="test",
        majority_class=majority,
    )
    scored = _evenly(parts["train"], TRAIN_EVAL_LIMIT)
    train_acc = float(np.mean(_predict(model, images, scored).argmax(1) == labels[scored]))
    model.save(folder / "model.keras")
    seen = c.epochs * len(parts["train"])
    run = {
        "format": 1,
        "name": name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": dataclasses.asdict(c),
        "dataset": {
            "identity": ds.identity,
            "description": ds.description,
            "sample": ds.is_sample,
        },
        "classes": list(classes),
        "preprocessing": dataclasses.asdict(c.preprocessing()),
        "input_shape": list(images.shape[1:]),
        "params": int(model.count_params()),
        "frames": {k: len(v) for k, v in parts.items()},
        "history": callback.history,
        "metrics": {"test": test, "train_accuracy": train_acc, "train_frames_scored": len(scored)},
        "timings": {
            "seconds": time.perf_counter() - started,
            "fit_seconds": fit_seconds,
            "eval_seconds": time.perf_counter() - eval_start,
            "images_per_second": seen / fit_seconds,
        },
        "environment": _environment(device),
    }
    (folder / "run.json").write_text(json.dumps(run, indent=1, allow_nan=False))
    return run


def train(
    ds: HandCamDataset,
    config: TrainConfig,
    *,
    retrain: bool = False,
    wait: bool = True,
    progress: Progress | None = None,
) -> tuple[dict, bool]:
    """Train a model on a dataset, or load its stored run when this configuration has one.

    Args:
        ds: an opened dataset (see `load_dataset`).
        config: what to train; None fields take the model's recipe.
        retrain: train even when a stored run exists, and replace it.
        wait: when another process is training the same configuration, wait for it (True)
            or raise HandCamError saying so (False).
        progress: called with a dict per event ("prepare", "batch", "epoch", "evaluate");
            it may raise TrainingCancelled to stop cleanly.

    Returns (run metadata as stored in run.json, plus "path"; True when it was loaded).
    """
    progress = progress or (lambda event: None)
    final = run_path(ds.identity, config)
    if final.exists() and not retrain:
        return read_run(final), True
    final.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(final.parent / f".{final.name}.lock")
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        raise HandCamError(
            f"{final.name} is being trained by another process; try again when it is done"
        ) from None
    try:
        if final.exists() and not retrain:  # the other process finished it while we waited
            return read_run(final), True
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
        try:
            _train(ds, config, tmp, final.name, progress)
            publish(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # gone already when published
        return read_run(final), False
    finally:
        lock.release()
