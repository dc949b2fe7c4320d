"""Why one picture's answer may mean little: the picture is far from what the model trained
on. Each doubt is a vocabulary term (`vocab.Doubt`), named in the reader's language, and
each has a measured reason: a size, an aspect, or the model's own confidence against its
confidence on its test frames (a doubt that always fires would teach nothing)."""

from __future__ import annotations

import numpy as np

from handclf_core.runs.record import Run
from handclf_core.vocab import Doubt, PictureSource

FRAME_ASPECT = 16 / 9  # a HandCam frame's width / height
ASPECT_TOLERANCE = 1.5  # a picture's aspect this many times off a frame's is a doubt
USUAL = 0.05  # a run is "usually" at least as sure as on all but this share of its test frames


def confidence_floor(probabilities: np.ndarray) -> float:
    """The top probability that all but USUAL of a run's test frames reach or exceed:
    (N, C) softmax outputs, its kept predictions."""
    return float(np.quantile(np.asarray(probabilities).max(axis=1), USUAL, method="lower"))


def doubts(
    picture, run: Run, source: PictureSource, confidence: float | None = None,
    floor: float | None = None,
) -> list[Doubt]:  # fmt: skip
    """Why `run`'s answer for a decoded picture may mean little: a picture smaller than the
    model's input, an aspect far from a frame's 16:9, or a picture from outside the dataset
    (uploaded or from the camera) shown to a model that learnt the built-in sample's drawn
    pictures, when it is less sure of it (`confidence`, its top probability) than of all
    but 5% of its test frames (`floor`, from `confidence_floor`). Without those two figures
    (a run kept before its test predictions were) that doubt is not raised: it would have
    no measured reason."""
    width, height = picture.size
    found = []
    if min(width, height) < run.preprocessing.size:
        found.append(Doubt.SMALL)
    aspect = width / height
    if max(aspect / FRAME_ASPECT, FRAME_ASPECT / aspect) > ASPECT_TOLERANCE:
        found.append(Doubt.ASPECT)
    unsure = confidence is not None and floor is not None and confidence < floor
    if run.dataset.sample and source != PictureSource.FRAME and unsure:
        found.append(Doubt.SYNTHETIC)
    return found
