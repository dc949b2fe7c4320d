"""What a training reports while it runs: typed events, rendered by the app and the CLI.

`train(..., progress=callback)` calls the callback with one of these. A `Step` says which
stage it is in, with that stage's fields (`Step(Stage.SCORING, split=Split.TEST)`,
`Step(Stage.DECODING, done=160, total=2708)`); `Batch` and `Epoch` carry the figures of the
training loop. None of them holds display text: `describe(step, lang)` names a step, and the
Train page and the CLI lay the figures out each in their own way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from handclf_core.i18n import name
from handclf_core.vocab import Split, Stage


@dataclass(frozen=True)
class Step:
    """The stage a job or a training is in, with the fields of that stage."""

    stage: Stage
    split: Split | None = None  # Stage.SCORING: which split
    done: int = 0  # DECODING, RESIZING: frames done so far ...
    total: int = 0  # ... of this many


@dataclass(frozen=True)
class Batch:
    """After each training batch."""

    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based, within the epoch
    batches: int
    loss: float
    accuracy: float
    images_per_second: float  # since training began
    eta_seconds: float  # NaN until a rate is known

    @property
    def fraction(self) -> float:
        """How much of the whole training is done, 0..1."""
        return (self.epoch - 1 + self.batch / self.batches) / self.epochs


@dataclass(frozen=True)
class Epoch:
    """After each epoch: its figures (loss, accuracy, val_loss, val_accuracy)."""

    epoch: int
    epochs: int
    images_per_second: float
    eta_seconds: float
    logs: dict[str, float] = field(default_factory=dict)


Event = Step | Batch | Epoch
Progress = Callable[[Event], None]


def describe(step: Step, lang: str = "en") -> str:
    """A step as a reader of `lang` is told it: "scoring the test split"."""
    if step.split is not None:
        return name(step.stage, lang, split=name(step.split, lang))
    return name(step.stage, lang)
