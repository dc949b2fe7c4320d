"""Dataset statistics: how many frames, how imbalanced, and what a model must beat.

Computed on the hand-camera frames (both hands), the frames the assignment classifies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from handclf_core.data.dataset import HandCamDataset
from handclf_core.data.layout import HAND_CAMERAS, SCENES, SPLITS
from handclf_core.vocab import CLASSES, Task


def _counts(labels: pd.Series, n: int) -> list[int]:
    return np.bincount(labels.to_numpy(), minlength=n).tolist()


def imbalance_ratio(counts: list[int]) -> float | None:
    """Largest over smallest non-empty class count (None when no class is present)."""
    present = [c for c in counts if c > 0]
    return max(present) / min(present) if present else None


def dataset_stats(ds: HandCamDataset, task: str = "obj") -> dict:
    """Statistics of one task on the hand frames of a dataset, as plain JSON-ready values.

    Args:
        ds: an opened dataset.
        task: "obj" (24 classes), "ges" (13) or "FA" (2).

    Returns a dict with the task, class names in id order, per split: frame count, class
    counts (overall, per hand, per scene) and imbalance ratio; and the majority-class
    baseline: the train split's most frequent class and the accuracy that predicting it
    for every test frame scores.
    """
    task = Task.of(task)
    classes = list(CLASSES[task])
    n = len(classes)
    hands = ds.hand_frames()
    splits = {}
    for split in SPLITS:
        part = hands[hands.split == split]
        counts = _counts(part[task], n)
        splits[split] = {
            "frames": len(part),
            "class_counts": counts,
            "imbalance_ratio": imbalance_ratio(counts),
            "frames_per_hand": {c: int((part.camera == c).sum()) for c in HAND_CAMERAS},
            "frames_per_scene": {s: int((part.scene == s).sum()) for s in SCENES},
            "recordings": len(part[["scene", "recording"]].drop_duplicates()),
            "class_counts_per_hand": {
                c: _counts(part[part.camera == c][task], n) for c in HAND_CAMERAS
            },
            "class_counts_per_scene": {s: _counts(part[part.scene == s][task], n) for s in SCENES},
        }
    # The baseline a model must beat: the class the training data makes most likely,
    # scored on the test split (predicting it for every frame).
    majority = int(np.argmax(splits["train"]["class_counts"]))
    test = splits["test"]
    return {
        "task": task,
        "classes": classes,
        "dataset": ds.description,
        "sample": ds.is_sample,
        "splits": splits,
        "majority_baseline": {
            "class": classes[majority],
            "class_id": majority,
            "split": "test",
            "test_accuracy": test["class_counts"][majority] / test["frames"],
        },
    }
