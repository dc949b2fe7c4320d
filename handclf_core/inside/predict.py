"""Single-image inference with a stored run.

Everything comes from the run's own record — classes, input size, grayscale, whether
right-hand frames were mirrored, squash or crop — never from the caller's UI state, and the
picture goes through the same `decode_image -> to_base -> preprocess` path as the training
frames did. Loaded models are kept per process, so a second prediction costs only the
forward pass.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from handclf_core.data.images import decode_image, preprocess
from handclf_core.data.trees import read_file
from handclf_core.errors import HandCamError
from handclf_core.runs.record import Run
from handclf_core.vocab import Camera, Hand


@dataclass(frozen=True)
class Ranked:
    name: str  # a class's id name
    probability: float


@dataclass(frozen=True)
class Prediction:
    """One picture through one run."""

    model: str
    run: str  # the run's name
    hand: Hand  # the wrist the picture was taken as coming from
    top: tuple[Ranked, ...]  # most probable first
    milliseconds: float  # decoding, preprocessing and the forward pass (not loading)


@functools.lru_cache(maxsize=8)
def _load(folder: Path, sha256: str):
    # The model's hash is part of the key: a retrained run in the same folder is reloaded.
    import keras

    path = folder / "model.keras"
    try:  # safe mode (Keras' default): no Lambda layer, no code from the file is run
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except (ValueError, TypeError, KeyError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise HandCamError(
            f"{path}: expected a Keras model that loads in safe mode, found one that does not "
            f"({first[:200]})"
        ) from None


def guess_hand(file_name: str) -> Hand:
    """The wrist a HandCam file name says ("house_Rhand_Image723.png", ".../Rhand/Image5.png"
    -> right); left when the name does not say."""
    return Hand.RIGHT if re.search(Camera.RHAND, file_name, re.IGNORECASE) else Hand.LEFT


def model_input(picture, run: Run, hand: Hand = Hand.LEFT) -> np.ndarray:
    """Exactly what `run`'s model is fed for a decoded picture: (s, s, C) uint8 after the
    run's own preprocessing (size, colour, mirroring of a right hand, squash or crop)."""
    return preprocess(picture, run.preprocessing, hand=Hand(hand))


def load_model(run: Run):
    """The run's Keras model, loaded once per process."""
    return _load(run.path, run.model_sha256)


def predict(image, run: Run, *, hand: Hand = Hand.LEFT, top: int = 5, name: str = "image"):
    """Classify one picture with a stored run.

    Args:
        image: PNG or JPEG bytes, a path, or a PIL image, of any size and mode.
        run: a stored run (from `train`, `find_run` or `read_run`).
        hand: which wrist camera took it; a right-hand picture is mirrored when the model
            was trained on mirrored right-hand frames.
        top: how many classes to return.
        name: the picture's name for error messages (a path's own name by default).

    Returns a `Prediction`.
    """
    if hand not in list(Hand):
        raise HandCamError(f"hand: expected 'left' or 'right', found {hand!r}")
    start = time.perf_counter()
    if isinstance(image, (str, Path)):
        image, name = read_file(Path(image)), str(image)
    if isinstance(image, (bytes, bytearray)):
        image = decode_image(bytes(image), name)
    x = model_input(image, run, hand)[None]  # (1, s, s, C) uint8
    paused = time.perf_counter()
    model = load_model(run)  # once per process: not part of the inference time
    start += time.perf_counter() - paused
    probs = np.asarray(model(x.astype("float32"), training=False), dtype=np.float64)[0]
    order = np.argsort(-probs)[: max(1, top)]
    return Prediction(
        model=run.model,
        run=run.name,
        hand=Hand(hand),
        top=tuple(Ranked(run.classes[i], float(probs[i])) for i in order),
        milliseconds=(time.perf_counter() - start) * 1000,
    )


def classify(data: bytes, name: str, runs: list[Run], hand: Hand):
    """Decode a picture once and classify it with every run: (RGB PIL image, one
    `Prediction` per run). HandCamError naming the file for empty, non-image, truncated or
    corrupt data."""
    picture = decode_image(data, name)
    return picture, [predict(picture, run, hand=hand, top=5, name=name) for run in runs]
