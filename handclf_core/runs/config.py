"""What a training run is: every setting that changes a trained model, with its checks.

A `TrainConfig` names a model and a task and may leave any recipe setting as None ("the
model's recipe"); `resolved()` checks every value and fills the Nones from the registry,
and the resolved configuration is what a run stores and what names it (`runs.run_path`).
Its `preprocessing()` is the one `Preprocessing` the frames of the run go through.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from handclf_core.data.images import Preprocessing
from handclf_core.data.layout import CLASSES
from handclf_core.errors import HandCamError
from handclf_core.models import get_recipe, list_models
from handclf_core.vocab import Balance, Precision, Task, Validation

RANDOM_SHARE = 0.2  # validation="random": the share of training frames held out, as the report


@dataclass(frozen=True)
class TrainConfig:
    """Everything that changes a trained model; None fields take the model's recipe."""

    model: str = "cnn_basic"  # a registry name: cnn_basic, mnist, alexnet
    task: Task = Task.OBJ  # label set: obj (24 classes), ges (13), FA (2)
    epochs: int | None = None  # passes over the training frames
    batch_size: int | None = None  # frames per gradient step
    learning_rate: float | None = None  # of the recipe's optimizer (Adam, Adadelta, SGD)
    momentum: float | None = None  # SGD's momentum (alexnet: 0.9; 0 is the plain SGD)
    size: int | None = None  # input side in pixels (32, 28, 227 in the recipes)
    gray: bool | None = None  # one grayscale channel (the mnist recipe) instead of RGB
    flip_right: bool | None = None  # mirror right-hand frames (the alexnet recipe)
    crop: bool = False  # centre-crop the 16:9 frame; the assignment squashed it
    balance: Balance = Balance.NONE  # the assignment trained on the frames as they come
    shuffle: bool = True  # reshuffle the training frames every epoch
    limit: int | None = None  # at most this many frames per split, evenly spaced (demos)
    # A whole recording of the training split held out for validation: neighbouring frames
    # are near-identical, so a random slice of frames would leak into training.
    validation: str = "lab/4"  # "scene/recording"; "random": 20% of frames; "": none
    seed: int = 0  # weights, shuffling and dropout; same seed, same metrics on the CPU
    # None: what the training device is fast at (`devices.preferred_precision`)
    precision: Precision | None = None

    def resolved(self) -> TrainConfig:
        """A copy with every None filled from the recipe, after checking each value."""
        if self.model not in list_models():
            raise HandCamError(
                f"unknown model {self.model!r}; expected one of {', '.join(list_models())}"
            )
        if self.task not in CLASSES:
            raise HandCamError(f"unknown task {self.task!r}; expected one of {', '.join(CLASSES)}")
        if self.balance not in list(Balance):
            raise HandCamError(
                f"unknown balancing {self.balance!r}; expected one of {', '.join(Balance)}"
            )
        for name in ("epochs", "batch_size", "limit"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise HandCamError(f"{name} must be at least 1, found {value}")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise HandCamError(f"learning rate must be positive, found {self.learning_rate}")
        r = get_recipe(self.model)
        if self.momentum is not None:
            if not 0 <= self.momentum < 1:
                raise HandCamError(f"momentum must be in [0, 1), found {self.momentum}")
            if self.momentum and r.optimizer != "sgd":
                raise HandCamError(
                    f"momentum applies to SGD only; {self.model} trains with {r.optimizer}"
                )
        self.validation_recording()  # checks its form
        if self.precision is not None and self.precision not in list(Precision):
            raise HandCamError(
                f"unknown precision {self.precision!r}; expected one of {', '.join(Precision)}"
            )
        from handclf_core.training.devices import preferred_precision

        resolved = dataclasses.replace(
            self,
            task=Task(self.task),
            balance=Balance(self.balance),
            precision=Precision(self.precision or preferred_precision()),
            epochs=self.epochs or r.epochs,
            batch_size=self.batch_size or r.batch_size,
            learning_rate=self.learning_rate or r.learning_rate,
            momentum=r.momentum if self.momentum is None else self.momentum,
            size=self.size or r.input_size,
            gray=(r.channels == 1) if self.gray is None else self.gray,
            flip_right=r.flip_right if self.flip_right is None else self.flip_right,
        )
        resolved.preprocessing()  # checks the input size
        return resolved

    def preprocessing(self) -> Preprocessing:
        """How this run's frames become model inputs (the recipe's where a field is None)."""
        r = get_recipe(self.model)
        return Preprocessing(
            size=self.size or r.input_size,
            gray=(r.channels == 1) if self.gray is None else self.gray,
            flip_right=r.flip_right if self.flip_right is None else self.flip_right,
            crop=self.crop,
        )

    @property
    def validation_kind(self) -> Validation:
        if not self.validation:
            return Validation.NONE
        return Validation.RANDOM if self.validation == Validation.RANDOM else Validation.RECORDING

    def validation_recording(self) -> tuple[str, int] | None:
        """The held-out ("scene", recording) of the training split, or None (random or no
        validation)."""
        if self.validation_kind != Validation.RECORDING:
            return None
        scene, _, rec = self.validation.partition("/")
        if not rec.isdigit():
            raise HandCamError(
                f"validation: expected 'scene/recording' or 'random', found {self.validation!r}"
            )
        return scene, int(rec)
