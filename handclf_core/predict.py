"""Single-image inference with a stored run.

Everything comes from the run's own run.json — classes, input size, grayscale, whether
right-hand frames were mirrored, squash or crop — never from the caller's UI state, and the
picture goes through the same `decode_image -> to_base -> preprocess` path as the training
frames did. Loaded models are kept per process, so a second prediction costs only the
forward pass.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import numpy as np

from .errors import HandCamError
from .images import Preprocessing, decode_image, preprocess
from .runs import list_runs, read_run

HANDS = ("left", "right")


@functools.lru_cache(maxsize=8)
def _load(folder: str, created: str):
    # `created` is part of the key so that a retrained run in the same folder is reloaded.
    import keras

    return keras.models.load_model(Path(folder) / "model.keras", compile=False)


def find_run(model: str, task: str | None = None, dataset_identity: str | None = None) -> dict:
    """A stored run by path (run folder or model.keras) or by model name (the newest)."""
    path = Path(model)
    if path.suffix == ".keras" or path.is_dir():
        return read_run(path)
    runs = [r for r in list_runs(dataset_identity, task) if r["config"]["model"] == model]
    if not runs:
        raise HandCamError(
            f"no stored run of model {model!r}"
            + (f" for task {task}" if task else "")
            + "; train it first (python -m handclf_core train --model NAME)"
        )
    return runs[0]


def predict(image, run: dict, *, hand: str = "left", top: int = 5, name: str = "image") -> dict:
    """Classify one picture with a stored run.

    Args:
        image: PNG or JPEG bytes, a path, or a PIL image, of any size and mode.
        run: a stored run's metadata (from `train`, `find_run` or `read_run`).
        hand: "left" or "right": which wrist camera took it; a right-hand picture is
            mirrored when the model was trained on mirrored right-hand frames.
        top: how many classes to return.
        name: the picture's name for error messages (a path's own name by default).

    Returns {"model", "run", "hand", "top": [{"class", "probability"}], "milliseconds"}.
    """
    if hand not in HANDS:
        raise HandCamError(f"hand: expected 'left' or 'right', found {hand!r}")
    start = time.perf_counter()
    if isinstance(image, (str, Path)):
        path = Path(image)
        try:
            image, name = path.read_bytes(), str(path)
        except OSError as e:
            raise HandCamError(f"{path}: expected an image file, found: {e.strerror}") from None
    if isinstance(image, (bytes, bytearray)):
        image = decode_image(bytes(image), name)
    prep = Preprocessing(**run["preprocessing"])
    x = preprocess(image, prep, right_hand=hand == "right")[None]  # (1, s, s, C) uint8
    model = _load(run["path"], run["created"])
    probs = np.asarray(model(x.astype("float32"), training=False), dtype=np.float64)[0]
    order = np.argsort(-probs)[: max(1, top)]
    classes = run["classes"]
    return {
        "model": run["config"]["model"],
        "run": run["path"],
        "hand": hand,
        "top": [{"class": classes[i], "probability": float(probs[i])} for i in order],
        "milliseconds": (time.perf_counter() - start) * 1000,
    }
