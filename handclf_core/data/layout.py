"""The HandCam dataset's layout: its splits, scenes and cameras, the recordings of each split,
how a recording's frames find their label file, and the real dataset's frame counts.

Plain Python: importing it is instant and pulls in neither NumPy nor TensorFlow, so the
app's browsing pages and the CLI's help start fast. The ids are the vocabulary's (`vocab`),
which also names them; the classes of each task are there too (`vocab.CLASSES`).
"""

from __future__ import annotations

from handclf_core.vocab import Camera, Hand, Split

SPLITS: tuple[Split, ...] = (Split.TRAIN, Split.TEST)  # the dataset's folders
SCENES: tuple[str, ...] = ("house", "lab", "office")
CAMERAS: tuple[Camera, ...] = tuple(Camera)
HAND_CAMERAS: tuple[Camera, ...] = (Camera.LHAND, Camera.RHAND)

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


def label_side(camera: Camera) -> Hand:
    """The hand whose label files a camera's frames take: a hand camera's own; the head
    camera's, the left hand's (the two hands' labels differ, and the head sees both)."""
    return Camera(camera).hand or Hand.LEFT
