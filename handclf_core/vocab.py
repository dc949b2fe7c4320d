"""The project's one vocabulary: every id a user sees named, and its name in each language.

Each kind of thing is a `StrEnum`, so its members are the plain strings the data, the CLI and
`run.json` hold ("train", "class_weight", "left") and compare equal to them. Each member's
display name lives in the catalogue under `<kind>.<id>` (`split.test`, `stage.scoring`), in
`locales/<lang>/LC_MESSAGES/vocab.po`; `name(member, lang)` is the one way to show it. Models
are named the same way (`model.<registry name>`). A new member needs its two catalogue
entries and nothing else: `tests/test_vocab.py` fails on a member without a name in a
language, and the pages and charts take every name from here.

The classes of each task (`CLASSES`) are here too: they are the ids a reader sees most. Only
the error type is imported: everything else builds on this module.
"""

from __future__ import annotations

import re
from enum import StrEnum

from handclf_core.errors import HandCamError


class Term(StrEnum):
    """A member of the vocabulary: a plain string id with a catalogue key."""

    @classmethod
    def kind(cls) -> str:
        """The catalogue prefix: the class name in snake case ("DeviceKind" -> "device_kind")."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()

    @property
    def key(self) -> str:
        return f"{self.kind()}.{self.value}"

    @classmethod
    def of(cls, value, what: str | None = None):
        """The member whose id is `value`; HandCamError listing the ids otherwise (`what`
        names the setting, by default the kind: "unknown task 'x'; expected one of ...")."""
        try:
            return cls(value)
        except ValueError:
            ids = ", ".join(m.value for m in cls)
            what = what or cls.kind().replace("_", " ")
            raise HandCamError(f"unknown {what} {value!r}; expected one of {ids}") from None


class Task(Term):
    """The label sets of HandCam."""

    OBJ = "obj"  # the object held: 24 classes
    GES = "ges"  # the grasp gesture: 13 classes
    FA = "FA"  # free or active: 2 classes


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


class Split(Term):
    """Parts of the frames a model meets: the dataset's train and test folders, and the
    recording held out of train for validation."""

    TRAIN = "train"
    VALIDATION = "validation"
    TEST = "test"


class Hand(Term):
    """Which wrist wears the camera."""

    LEFT = "left"
    RIGHT = "right"


class Camera(StrEnum):
    """The three cameras of a HandCam recording, named as its folders are. Not named on its
    own: a hand camera is shown by its `hand`'s name, and the head camera is never shown."""

    LHAND = "Lhand"
    RHAND = "Rhand"
    HEAD = "head"

    @property
    def hand(self) -> Hand | None:
        """The wrist a hand camera is worn on; None for the head camera."""
        return {Camera.LHAND: Hand.LEFT, Camera.RHAND: Hand.RIGHT}.get(self)


class Balance(Term):
    """How training treats the imbalance of the classes."""

    NONE = "none"  # the frames as they come (the assignment)
    CLASS_WEIGHT = "class_weight"  # each frame weighted by total / (classes * its count)
    OVERSAMPLE = "oversample"  # every class equally likely per draw


class Precision(Term):
    """The number format a model computes in (Keras' dtype policies): float32, or mixed
    precision (16-bit compute, float32 weights and softmax) where the device is fast at it."""

    FLOAT32 = "float32"
    MIXED_BFLOAT16 = "mixed_bfloat16"  # CPUs with AVX-512 BF16 or AMX; recent GPUs
    MIXED_FLOAT16 = "mixed_float16"  # GPUs of compute capability 7.0 and later


class Validation(Term):
    """Which training frames are held out to validate on each epoch."""

    RECORDING = "recording"  # one whole recording (`TrainConfig.held_out`)
    RANDOM = "random"  # a random 20% of the frames, as the report's validation_split=0.2
    NONE = "none"


class Stage(Term):
    """What a training job is doing; `progress.Step` carries the fields some stages have."""

    WAITING = "waiting"  # queued behind another job
    STARTING = "starting"
    STARTING_PROCESS = "starting_process"  # the training process imports TensorFlow
    DECODING = "decoding"  # frames into the frame store (done, total)
    RESIZING = "resizing"  # the store's frames into model inputs (done, total)
    TRAINING = "training"
    SCORING = "scoring"  # a split through the trained model (split)
    LOADED = "loaded"  # a stored run, nothing trained
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


class JobKind(Term):
    """Long work the server does for the app, whatever tab asked (`training.board`)."""

    TRAINING = "training"  # a run trained (or loaded)
    STORE = "store"  # the frame store decoded, a preprocessing's inputs derived


class DeviceKind(Term):
    """What trains: its name takes `count` (cores or GPUs) and, for a GPU, its `name`."""

    CPU = "cpu"
    GPU = "gpu"


class PictureSource(Term):
    """Where the Predict page's picture comes from."""

    FRAME = "frame"  # a frame of the dataset
    UPLOAD = "upload"  # a file the user uploads
    CAMERA = "camera"  # a photo from the browser's camera


class Doubt(Term):
    """Why a prediction may mean little: the picture is far from what the model trained on."""

    SMALL = "small"  # smaller than the model's input: it is blown up, not seen
    ASPECT = "aspect"  # far from a camera frame's 16:9, so squashing distorts it
    SYNTHETIC = "synthetic"  # a photo, and the model learnt the built-in sample's drawings


class ExperimentSize(Term):
    """How the assignment's experiments are trained (`runs.experiments.grid`)."""

    QUICK = "quick"  # each model's class demo
    FULL = "full"  # each recipe


class Projection(Term):
    """How a run's test frames' features are drawn in 2-D (`embedding`)."""

    PCA = "pca"  # the two directions of most variance: linear, the quicker
    TSNE = "tsne"  # t-SNE: neighbours kept together, slower


class Scene(Term):
    """Where a HandCam recording was made (the ids are its folder names)."""

    HOUSE = "house"
    LAB = "lab"
    OFFICE = "office"


TERMS: tuple[type[Term], ...] = (
    Task,
    Split,
    Hand,
    Balance,
    Precision,
    Validation,
    Stage,
    JobKind,
    DeviceKind,
    PictureSource,
    Doubt,
    ExperimentSize,
    Projection,
    Scene,
)


def model_key(model: str) -> str:
    """The catalogue key of a registered model's name: `model.<registry name>`."""
    return f"model.{model}"


def catalogue_keys() -> list[str]:
    """Every key the vocabulary computes: one per member of each kind."""
    return [m.key for kind in TERMS for m in kind]


# The test figures given a 95% interval, and compared in pairs (`runs.uncertainty`).
METRICS = ("test_accuracy", "balanced_accuracy", "macro_f1")
