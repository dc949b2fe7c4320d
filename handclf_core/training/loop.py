"""The training loop: `fit` as a loop of `train_on_batch` over batches from the frame store,
with the same steps, metrics and callback hooks, reporting progress as typed events.

Why not `model.fit`: measured on the classroom's 2-core CPU (README, "AlexNet's speed"),
fit's tf.data pipeline, whose threads compete with the step's for the two cores, reached
0.7-0.85 of the steady-state step rate; this loop, reading each batch from the memory map
between steps (about a millisecond), 0.99. On a GPU the next batch is read while the device
computes (`prefetch`). Backend-neutral Keras only.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from handclf_core.training.batches import FrameBatches
from handclf_core.training.progress import Batch, Epoch, Progress


class TrainingCancelled(Exception):
    """Raised by a progress callback to stop training; nothing is stored."""


class ProgressCallback(keras.callbacks.Callback):
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


def fit(model, train: FrameBatches, val, epochs: int, callback, prefetch: bool) -> None:
    """Train `model` for `epochs` on `train`, validating on `val` (batches, or None) after
    each epoch, calling `callback`'s hooks as `model.fit` would (module doc)."""
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


def class_weights(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """scikit-learn's "balanced" weight per class id: total / (classes present · count)."""
    from sklearn.utils.class_weight import compute_class_weight

    present = np.unique(labels)
    weights = np.zeros(n_classes, np.float32)
    weights[present] = compute_class_weight("balanced", classes=present, y=labels)
    return weights
