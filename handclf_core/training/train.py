"""Train one of the registry's models on a dataset, or load its run when it is kept.

`train(ds, config)` builds (or opens) the frame store, derives the run's inputs, fits the
model on batches streamed from the store (`loop.fit`), scores the test split once, and
publishes `model.keras`, `predictions.npz` and `run.json` under the run's key, whole or not
at all. Keras 3's backend-neutral API only, so it runs on TensorFlow (the default) or JAX;
a GPU is used when the backend sees one (`devices`). One process trains a configuration;
another asking for it waits and loads it (a file lock).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import keras
import numpy as np
from filelock import FileLock, Timeout

from handclf_core.atomic import disk_errors, file_sha256, remove_stale, written
from handclf_core.data.dataset import HandCamDataset
from handclf_core.data.store import build_store
from handclf_core.errors import HandCamError
from handclf_core.load import LoadMeter
from handclf_core.models import create_model, get_recipe, make_optimizer
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.folders import lock_path, run_path, saved_run
from handclf_core.runs.metrics import evaluate_predictions
from handclf_core.runs.predictions import ScoredFrames, write_predictions
from handclf_core.runs.record import (
    DatasetRef,
    FrameCounts,
    Run,
    Timings,
    read_run,
    save_run,
)
from handclf_core.training.batches import FrameBatches, predict_rows
from handclf_core.training.devices import configure_device, environment, strategy
from handclf_core.training.loop import ProgressCallback, class_weights, fit
from handclf_core.training.progress import Progress, Step
from handclf_core.training.splits import TRAIN_SCORED, effective, evenly, split_indices
from handclf_core.vocab import CLASSES, Balance, DeviceKind, Split, Stage

log = logging.getLogger(__name__)


def _train(
    ds: HandCamDataset, config: TrainConfig, folder: Path, name: str, progress: Progress
) -> Run:
    """Train into `folder` (a temporary one) the run to be published as `name`."""
    with LoadMeter(lambda: os.getpid()) as meter:  # other work beside it, for its record
        return _train_measured(ds, config.resolved(), folder, name, progress, meter)


def _train_measured(
    ds: HandCamDataset, c: TrainConfig, folder: Path, name: str, progress: Progress, meter
) -> Run:
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
    data_seconds = time.perf_counter() - started
    labels = store.frames[c.task].to_numpy().astype(np.int64)
    parts = split_indices(store.frames, c)
    classes = CLASSES[c.task]
    train_rows = parts[Split.TRAIN]
    weights = None
    if c.balance == Balance.CLASS_WEIGHT:
        weights = class_weights(labels[train_rows], len(classes))
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
    callback = ProgressCallback(progress, c.epochs, len(train), c.batch_size)
    fit_start = time.perf_counter()
    fit(model, train, val, c.epochs, callback, prefetch=device.kind == DeviceKind.GPU)
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
    save_for_inference(model, model_file)
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
            data_seconds=data_seconds,
            other_load=meter.mean(),
        ),
        environment=environment(device),
        model_bytes=model_file.stat().st_size,
        model_sha256=file_sha256(model_file),
        predictions=predictions,
    )
    save_run(run, folder)
    return run


def save_for_inference(model, path: Path) -> None:
    """`model` as a `.keras` file of its layers and weights only: no optimizer state (AlexNet's
    SGD momentum is as large as its weights, 234 of the 467 MB a full save writes) and no
    compile configuration, so `keras.models.load_model` loads it anywhere without a warning
    about an optimizer it does not restore (compile it to train it further). Every load here
    is for inference (compile=False). Each layer keeps its precision policy (its config)."""
    twin = model.__class__.from_config(model.get_config())
    twin.set_weights(model.get_weights())
    twin.save(path)


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
    config = effective(config.resolved(), ds.hand_frames())  # an idle limit: the same run
    final = run_path(ds.identity, config)
    if final.is_symlink():  # not a run: trained, and published in the link's place
        log.warning(
            "%s is a link, not a run folder: the run is trained and replaces the "
            "link (never followed: what it leads to is left as it is)",
            final,
        )
    elif not retrain and (stored := saved_run(ds.identity, config)):
        return stored, True
    lock = FileLock(lock_path(final))
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        raise HandCamError(
            f"{final.name} is being trained by another process; try again when it is done"
        ) from None
    try:
        if not retrain and final.is_dir() and not final.is_symlink():  # trained meanwhile?
            try:
                return read_run(final), True
            except HandCamError:
                pass  # damaged: said above, and trained again here
        remove_stale(final.parent)  # runs killed before they finished
        with disk_errors(f"run {final.name}", final.parent), written(final) as tmp:
            tmp.mkdir()
            _train(ds, config, tmp, final.name, progress)
        return read_run(final), False
    finally:
        lock.release()
