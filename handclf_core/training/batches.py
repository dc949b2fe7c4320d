"""Feeding a model from the frame store: the batches of a split (`splits` says which rows),
read from the store's memory map.

AlexNet's training split is 2.3 GB as uint8 and 9 GB as float32, so no split ever sits in
memory whole: `FrameBatches` reads one batch of rows at a time (about a millisecond), and
`predict_rows` scores a split batch by batch. Backend-neutral Keras only.
"""

from __future__ import annotations

import math

import keras
import numpy as np


class FrameBatches(keras.utils.PyDataset):
    """Batches (x uint8 (B, s, s, C), y int (B,)[, sample weight (B,)]) read from the store.

    Shuffling and oversampling draw a new order every epoch from (seed, epoch), so a run is
    reproducible. The training loop reads its batches by index between steps
    (`loop.fit`, which on a GPU reads the next one while the device computes). As a
    `keras.utils.PyDataset` it also feeds `model.evaluate` for validation, where Keras reads
    ahead: on TensorFlow with tf.data's own thread (workers=1: nothing competing with
    TensorFlow for a small CPU), on other backends with two worker threads.
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


def predict_rows(
    model, images, indices: np.ndarray, batch_size: int = 256, progress=None
) -> np.ndarray:
    """Softmax outputs of `model` for the store rows `indices` (sorted): (N, C) float64.
    A loop of `predict_on_batch`, as training's loop of `train_on_batch` (see `train._fit`);
    `progress(done, total)` after each batch."""
    assert np.all(np.diff(indices) > 0), "batches are read in sorted order"
    batches = FrameBatches(images, np.zeros(len(images), np.int64), indices, batch_size)
    out, done = [], 0
    for i in range(len(batches)):
        x, _ = batches[i]
        out.append(np.asarray(model.predict_on_batch(x), dtype=np.float64))
        done += len(x)
        if progress:
            progress(done, len(indices))
    if not out:
        return np.zeros((0, model.output_shape[-1]))
    return np.concatenate(out)
