"""Which store rows a run trains, validates and is tested on: the dataset's train and test
folders, the validation frames held out of train (a recording, or a random 20%), and the
`limit` of quick runs. Plain NumPy and pandas, no Keras: the Train page estimates a run's
time from these counts without loading a backend.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from handclf_core.errors import HandCamError
from handclf_core.runs.config import RANDOM_SHARE, TrainConfig
from handclf_core.vocab import Split, Validation

TRAIN_SCORED = 1000  # train-split frames scored for the over-fitting figure (evenly spaced)


def evenly(indices: np.ndarray, limit: int | None) -> np.ndarray:
    """At most `limit` of `indices`, evenly spaced (all of them when None)."""
    if limit is None or len(indices) <= limit:
        return indices
    return indices[np.unique(np.linspace(0, len(indices) - 1, limit).round().astype(int))]


def effective(config: TrainConfig, frames: pd.DataFrame) -> TrainConfig:
    """`config` without a frame limit that limits nothing on these frames (the hand frames
    of its dataset): a limit at least as large as each split trains exactly what no limit
    does, so it is the same run. The quick demo's 3,000 frames on the built-in sample's
    2,648 training frames is its recipe, and shares the recipe's stored run."""
    if config.limit is None:
        return config
    largest = frames.split.value_counts().max() if len(frames) else 0
    return dataclasses.replace(config, limit=None) if config.limit >= largest else config


def split_indices(frames: pd.DataFrame, config: TrainConfig) -> dict[Split, np.ndarray]:
    """Row indices of the store for train, validation (a held-out recording, or a random
    20% of the training frames drawn with the run's seed) and test."""
    held = config.held_out_recording()
    in_train = (frames.split == Split.TRAIN).to_numpy()
    is_val = np.zeros(len(frames), bool)
    if Validation.of(config.validation, "validation") == Validation.RANDOM:
        rows = np.flatnonzero(in_train)
        rng = np.random.default_rng([config.seed, 20])
        is_val[rng.choice(rows, size=round(len(rows) * RANDOM_SHARE), replace=False)] = True
    elif held:
        is_val = in_train & ((frames.scene == held[0]) & (frames.recording == held[1])).to_numpy()
        if not is_val.any():
            raise HandCamError(
                f"validation recording '{held[0]}/{held[1]}' is not in the training split"
            )
    parts = {
        Split.TRAIN: np.flatnonzero(in_train & ~is_val),
        Split.VALIDATION: np.flatnonzero(is_val),
        Split.TEST: np.flatnonzero((frames.split == Split.TEST).to_numpy()),
    }
    return {split: evenly(rows, config.limit) for split, rows in parts.items()}
