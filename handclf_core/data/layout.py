"""Constants of the HandCam dataset and the project's cache location.

Everything here is plain Python: importing it is instant and pulls in neither NumPy nor
TensorFlow, so the app's browsing pages and the CLI's help start fast. The ids are the
vocabulary's (`vocab`), which also names them.
"""

from __future__ import annotations

import os
from pathlib import Path

from handclf_core.vocab import Camera, Hand, Split, Task

# Class names in id order, as in the HandCam labels (Chan et al., ECCV 2016).
CLASSES: dict[Task, tuple[str, ...]] = {
    Task.OBJ: (
        "free", "computer", "cellphone", "coin", "ruler", "thermos-bottle", "whiteboard-pen",
        "whiteboard-eraser", "pen", "cup", "remote-control-TV", "remote-control-AC", "switch",
        "windows", "fridge", "cupboard", "water-tap", "toy", "kettle", "bottle", "cookie", "book",
        "magnet", "lamp-switch",
    ),
    Task.GES: (
        "free", "press", "large-diameter", "lateral-tripod", "parallel-extension",
        "thumb-2-finger", "thumb-4-finger", "thumb-index-finger", "precision-disk",
        "lateral-pinch", "tripod", "medium-wrap", "light-tool",
    ),
    Task.FA: ("free", "active"),
}  # fmt: skip
TASKS: tuple[Task, ...] = tuple(Task)
SPLITS: tuple[Split, ...] = (Split.TRAIN, Split.TEST)  # the dataset's folders
SCENES: tuple[str, ...] = ("house", "lab", "office")
CAMERAS: tuple[Camera, ...] = tuple(Camera)
HAND_CAMERAS: tuple[Camera, ...] = (Camera.LHAND, Camera.RHAND)
# The label file suffix of each camera; the head camera shares the hands' labels, and we
# give it the left hand's (the two hands' labels differ, the head sees both).
LABEL_SIDE: dict[Camera, Hand] = {Camera.LHAND: Hand.LEFT, Camera.RHAND: Hand.RIGHT,
                                  Camera.HEAD: Hand.LEFT}  # fmt: skip

# Recordings per scene in the train split; test recordings continue the label numbering
# (frames/test/house/1 is labels house 4).
TRAIN_RECORDINGS: dict[str, int] = {"house": 3, "lab": 4, "office": 3}
TEST_RECORDINGS: dict[str, int] = {"house": 3, "lab": 4, "office": 3}

# Frames per recording of the real dataset (each hand has the same count), from the
# dataset's README; used to tell users how big a full run is.
REAL_FRAME_COUNTS: dict[str, dict[str, tuple[int, ...]]] = {
    "train": {"house": (831, 988, 1229), "lab": (501, 589, 730, 660), "office": (745, 572, 651)},
    "test": {"house": (830, 887, 929), "lab": (539, 658, 467, 503), "office": (590, 419, 566)},
}


def label_number(split: str, scene: str, recording: int) -> int:
    """The N of `labels/<scene>/<task>_<side>N.npy` for frames/<split>/<scene>/<recording>."""
    return recording if split == "train" else TRAIN_RECORDINGS[scene] + recording


PROJECT_ROOT = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """Where everything written at run time goes: $HANDCLF_CACHE, else cache/ at the root."""
    return Path(os.environ.get("HANDCLF_CACHE") or PROJECT_ROOT / "cache").resolve()
