"""What a training run is: every setting that changes a trained model, with its checks.

A `TrainConfig` names a model and a task and may leave any recipe setting as None ("the
model's recipe"); `resolved()` checks every value and fills the Nones from the registry's
recipe (the one place they are read), and the resolved configuration is what a run stores
and what names it (`runs.record.run_name`). Its `preprocessing()` is the one
`Preprocessing` the frames of the run go through.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

from handclf_core.data.images import Preprocessing
from handclf_core.errors import HandCamError
from handclf_core.models import get_recipe, list_models
from handclf_core.vocab import Balance, Precision, Task, Validation

RANDOM_SHARE = 0.2  # Validation.RANDOM: the share of training frames held out, as the report
HELD_OUT = "lab/4"  # Validation.RECORDING: the recording held out unless told otherwise
MAX_SEED = 2**32 - 1  # the backends' seeds are unsigned 32-bit
_RECORDING = re.compile(r"[a-z]+/\d+")


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
    # The frames validated on each epoch: by default a whole recording of the training
    # split, since neighbouring frames are near-identical and a random slice of frames
    # would leak into training (RANDOM is the lesson's counter-example).
    validation: Validation = Validation.RECORDING
    held_out: str | None = None  # RECORDING: which one, "scene/N"; None: HELD_OUT
    seed: int = 0  # weights, shuffling and dropout; same seed, same metrics on the CPU
    # None: what the training device is fast at (`runs.device.preferred_precision`)
    precision: Precision | None = None

    def resolved(self) -> TrainConfig:
        """A copy with every None filled from the recipe, after checking each value."""
        if self.model not in list_models():
            raise HandCamError(
                f"unknown model {self.model!r}; expected one of {', '.join(list_models())}"
            )
        r = get_recipe(self.model)
        for name in ("epochs", "batch_size", "limit"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise HandCamError(f"{name} must be at least 1, found {value}")
        if self.learning_rate is not None and not (
            math.isfinite(self.learning_rate) and self.learning_rate > 0
        ):
            raise HandCamError(f"learning rate must be positive, found {self.learning_rate}")
        if self.momentum is not None:
            if not 0 <= self.momentum < 1:
                raise HandCamError(f"momentum must be in [0, 1), found {self.momentum}")
            if self.momentum and r.optimizer != "sgd":
                raise HandCamError(
                    f"momentum applies to SGD only; {self.model} trains with {r.optimizer}"
                )
        if isinstance(self.seed, bool) or not 0 <= self.seed <= MAX_SEED:
            raise HandCamError(f"seed: expected a whole number 0..{MAX_SEED}, found {self.seed}")
        validation, held_out = self._validation()
        from handclf_core.runs.device import preferred_precision

        p = self.preprocessing()  # checks the input size
        return dataclasses.replace(
            self,
            task=Task.of(self.task),
            balance=Balance.of(self.balance, "balancing"),
            precision=Precision.of(self.precision or preferred_precision(), "precision"),
            epochs=r.epochs if self.epochs is None else self.epochs,
            batch_size=r.batch_size if self.batch_size is None else self.batch_size,
            learning_rate=r.learning_rate if self.learning_rate is None else self.learning_rate,
            momentum=r.momentum if self.momentum is None else self.momentum,
            size=p.size,
            gray=p.gray,
            flip_right=p.flip_right,
            validation=validation,
            held_out=held_out,
        )

    def preprocessing(self) -> Preprocessing:
        """How this run's frames become model inputs (the recipe's where a field is None)."""
        r = get_recipe(self.model)
        return Preprocessing(
            size=r.input_size if self.size is None else self.size,
            gray=(r.channels == 1) if self.gray is None else self.gray,
            flip_right=r.flip_right if self.flip_right is None else self.flip_right,
            crop=self.crop,
        )

    def recipe(self) -> TrainConfig:
        """The recipe of this configuration's model and task, resolved: what a run is read
        against ("CNN_basic · gray" changes `gray` from it)."""
        return TrainConfig(model=self.model, task=self.task, precision=self.precision).resolved()

    def held_out_recording(self) -> tuple[str, int] | None:
        """The held-out ("scene", recording) of the training split, or None (random or no
        validation)."""
        _, held_out = self._validation()
        if held_out is None:
            return None
        scene, _, recording = held_out.partition("/")
        return scene, int(recording)

    def _validation(self) -> tuple[Validation, str | None]:
        validation = Validation.of(self.validation, "validation")
        if validation != Validation.RECORDING:
            return validation, None
        held_out = HELD_OUT if self.held_out is None else self.held_out
        if not isinstance(held_out, str) or not _RECORDING.fullmatch(held_out):
            raise HandCamError(
                f"validation: expected a recording 'scene/N' (e.g. {HELD_OUT}), found {held_out!r}"
            )
        return validation, held_out


def validation_choice(text: str) -> tuple[Validation, str | None]:
    """The command line's `--validation`: "recording" (the default one), "random", "none",
    or a recording "scene/N" to hold out."""
    if text in list(Validation):
        return Validation(text), None
    if _RECORDING.fullmatch(text):
        return Validation.RECORDING, text
    raise HandCamError(
        f"--validation: expected recording, random, none or a recording 'scene/N' (e.g. "
        f"{HELD_OUT}), found {text!r}"
    )
