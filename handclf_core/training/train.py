"""Training: train one of the registry's models on a dataset, or load it when it is stored.

`train(ds, config)` builds (or opens) the frame store, derives the run's inputs, fits the
model on batches streamed from the store (`batches.FrameBatches`), scores the test split
once, and publishes `model.keras` + `run.json` under the run's key. The code uses Keras 3's
backend-neutral API only, so it runs on TensorFlow (the default) or JAX; a GPU is used when
the backend sees one (`devices`).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import keras
import numpy as np
from filelock import FileLock, Timeout

from handclf_core.atomic import disk_errors, file_sha256, remove_stale, temp_path
from handclf_core.data.dataset import HandCamDataset
from handclf_core.data.layout import CLASSES
from handclf_core.data.store import build_store
from handclf_core.errors import HandCamError
from handclf_core.inside.mistakes import ScoredFrames, write_predictions
from handclf_core.models import create_model, get_recipe, make_optimizer
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.metrics import evaluate_predictions
from handclf_core.runs.record import (
    DatasetRef,
    FrameCounts,
    Run,
    Timings,
    lock_path,
    publish,
    read_run,
    run_path,
    save_run,
    stored_run,
)
from handclf_core.training.batches import FrameBatches, predict_rows
from handclf_core.training.devices import configure_device, environment, strategy
from handclf_core.training.progress import Batch, Epoch, Progress, Step
from handclf_core.training.splits import TRAIN_SCORED, evenly, split_indices
from handclf_core.vocab import Balance, DeviceKind, Split, Stage


class TrainingCancelled(Exception):
    """Raised by a progress callback to stop training; nothing is stored."""


class _ProgressCallback(keras.callbacks.Callback):
    """Reports per batch and per epoch: loss, accuracy, images/second, ETA."""

    def __init__(self, progress: Progress, epochs: int, batches: int, batch_size: int):
        super().__init__()
        self.progress, self.epochs, self.batches = progress, epochs, batches
        self.batch_size = batch_size
        self.history: dict[str, list[float]] = {}

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.seen = 0
        self.done = 0

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
            Batch(
                epoch=self.epoch + 1,
                epochs=self.epochs,
                batch=batch + 1,
                batches=self.batches,
                loss=float(logs.get("loss", 0)),
                accuracy=float(logs.get("accuracy", 0)),
                images_per_second=rate,
                eta_seconds=eta,
            )
        )

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        rate, eta = self._rate()
        self.progress(Epoch(epoch + 1, self.epochs, rate, eta, logs))


def _batches(data: FrameBatches, prefetch: bool):
    """The batches of one epoch; with `prefetch`, the next one is read while the device
    computes on this one."""
    if not prefetch:
        yield from (data[i] for i in range(len(data)))
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        ahead = pool.submit(data.__getitem__, 0)
        for i in range(len(data)):
            batch = ahead.result()
            if i + 1 < len(data):
                ahead = pool.submit(data.__getitem__, i + 1)
            yield batch


def _fit(model, train: FrameBatches, val, epochs: int, callback, prefetch: bool) -> None:
    """`model.fit` as a loop of `train_on_batch`: the same steps, metrics and callback
    hooks. Measured on the classroom's 2-core CPU (README, "AlexNet's speed"), `fit`'s
    tf.data pipeline, whose threads compete with the step's for the two cores, reached
    0.7-0.85 of the steady-state step rate; this loop, reading each batch from the memory
    map between steps (about a millisecond), 0.99. On a GPU the next batch is read while
    the device computes (`prefetch`)."""
    callback.set_model(model)
    callback.on_train_begin()
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch)
        sums: dict[str, float] = {}
        seen = 0
        for i, batch in enumerate(_batches(train, prefetch)):
            x, y, *weight = batch
            # Each call scores its own batch (train_on_batch resets the metrics): the
            # epoch's figures are their means weighted by batch size, as fit's are.
            scores = model.train_on_batch(x, y, sample_weight=weight[0] if weight else None,
                                          return_dict=True)  # fmt: skip
            seen += len(y)
            for k, v in scores.items():
                sums[k] = sums.get(k, 0.0) + float(v) * len(y)
            callback.on_train_batch_end(i, {k: v / seen for k, v in sums.items()})
        logs = {k: v / max(seen, 1) for k, v in sums.items()}
        if val is not None:
            scores = model.evaluate(val, verbose=0, return_dict=True)
            logs.update({f"val_{k}": float(v) for k, v in scores.items()})
        train.on_epoch_end()
        callback.on_epoch_end(epoch, logs)


def _class_weights(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """scikit-learn's "balanced" weight per class id: total / (classes present · count)."""
    from sklearn.utils.class_weight import compute_class_weight

    present = np.unique(labels)
    weights = np.zeros(n_classes, np.float32)
    weights[present] = compute_class_weight("balanced", classes=present, y=labels)
    return weights


def _train(
    ds: HandCamDataset, config: TrainConfig, folder: Path, name: str, progress: Progress
) -> Run:
    """Train into `folder` (a temporary one) the run to be published as `name`."""
    c = config.resolved()
    started = time.perf_counter()
    device = configure_device()
    keras.utils.set_random_seed(c.seed)
    if device.backend == "tensorflow" and device.kind == DeviceKind.CPU:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()  # same seed, same metrics on the CPU

    def stage(stage: Stage):
        return lambda done, total: progress(Step(stage, done=done, total=total))

    store, _ = build_store(ds, progress=stage(Stage.DECODING))
    images = store.variant(c.preprocessing(), progress=stage(Stage.RESIZING))
    labels = store.frames[c.task].to_numpy().astype(np.int64)
    parts = split_indices(store.frames, c)
    classes = CLASSES[c.task]
    train_rows = parts[Split.TRAIN]
    weights = None
    if c.balance == Balance.CLASS_WEIGHT:
        weights = _class_weights(labels[train_rows], len(classes))
    train = FrameBatches(
        images,
        labels,
        train_rows,
        c.batch_size,
        shuffle=c.shuffle,
        seed=c.seed,
        weights=weights,
        oversample=c.balance == Balance.OVERSAMPLE,
    )
    val = None
    if len(parts[Split.VALIDATION]):
        val = FrameBatches(images, labels, parts[Split.VALIDATION], 256)

    # The layers keep the policy they were built under (and model.keras records it).
    keras.mixed_precision.set_global_policy(str(c.precision))
    try:
        with strategy(device).scope():
            model = create_model(c.model, task=c.task, input_size=c.size, channels=images.shape[-1])
            model.compile(
                optimizer=make_optimizer(get_recipe(c.model), c.learning_rate, c.momentum),
                loss="sparse_categorical_crossentropy",
                metrics=["accuracy"],
            )
    finally:
        keras.mixed_precision.set_global_policy("float32")
    callback = _ProgressCallback(progress, c.epochs, len(train), c.batch_size)
    fit_start = time.perf_counter()
    _fit(model, train, val, c.epochs, callback, prefetch=device.kind == DeviceKind.GPU)
    fit_seconds = time.perf_counter() - fit_start

    progress(Step(Stage.SCORING, split=Split.TEST))
    eval_start = time.perf_counter()
    majority = int(np.argmax(np.bincount(labels[train_rows], minlength=len(classes))))
    test_rows = parts[Split.TEST]
    test_probs = predict_rows(model, images, test_rows)
    test = evaluate_predictions(
        labels[test_rows],
        test_probs,
        classes,
        split=Split.TEST,
        majority_class=majority,
    )
    scored = evenly(train_rows, TRAIN_SCORED)
    train_acc = float(np.mean(predict_rows(model, images, scored).argmax(1) == labels[scored]))
    model_file = folder / "model.keras"
    model.save(model_file)
    scored_test = ScoredFrames(test_rows, labels[test_rows], test_probs)
    predictions = write_predictions(folder, scored_test)
    run = Run(
        name=name,
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        config=c,
        dataset=DatasetRef(ds.identity, ds.description, ds.is_sample),
        classes=tuple(classes),
        input_shape=tuple(int(d) for d in images.shape[1:]),
        params=int(model.count_params()),
        frames=FrameCounts(*(len(parts[s]) for s in (Split.TRAIN, Split.VALIDATION, Split.TEST))),
        history={k: tuple(v) for k, v in callback.history.items()},
        test=test,
        train_accuracy=train_acc,
        train_frames_scored=len(scored),
        timings=Timings(
            seconds=time.perf_counter() - started,
            fit_seconds=fit_seconds,
            eval_seconds=time.perf_counter() - eval_start,
            images_per_second=c.epochs * len(train_rows) / fit_seconds,
        ),
        environment=environment(device),
        model_bytes=model_file.stat().st_size,
        model_sha256=file_sha256(model_file),
        predictions=predictions,
    )
    save_run(run, folder)
    return run


def train(
    ds: HandCamDataset,
    config: TrainConfig,
    *,
    retrain: bool = False,
    wait: bool = True,
    progress: Progress | None = None,
) -> tuple[Run, bool]:
    """Train a model on a dataset, or load its stored run when this configuration has one.

    Args:
        ds: an opened dataset (see `load_dataset`).
        config: what to train; None fields take the model's recipe.
        retrain: train even when a stored run exists, and replace it.
        wait: when another process is training the same configuration, wait for it (True)
            or raise HandCamError saying so (False).
        progress: called with each `progress.Step`, `Batch` and `Epoch`; it may raise
            TrainingCancelled to stop cleanly.

    Returns (the stored run, True when it was loaded rather than trained).
    """
    progress = progress or (lambda event: None)
    configure_device()  # first: a None precision resolves to what this device is fast at
    config = config.resolved()
    final = run_path(ds.identity, config)
    if not retrain and (stored := stored_run(ds.identity, config)):
        return stored, True
    final.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path(final))
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        raise HandCamError(
            f"{final.name} is being trained by another process; try again when it is done"
        ) from None
    try:
        if not retrain and final.exists():  # trained meanwhile by the process we waited for?
            try:
                return read_run(final), True
            except HandCamError:
                pass  # damaged: said above, and trained again here
        remove_stale(final.parent)  # runs killed before they finished
        tmp = temp_path(final)
        try:
            tmp.mkdir()
            with disk_errors(f"run {final.name}", final.parent):
                _train(ds, config, tmp, final.name, progress)
            publish(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # gone already when published
        return read_run(final), False
    finally:
        lock.release()
