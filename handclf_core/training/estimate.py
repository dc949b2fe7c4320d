"""How long a run will take, before it is started: from the earlier runs of this machine.

The rate a configuration trains at (training images per second) comes from the stored runs
of the same model, input shape and precision on the same kind of device; without any, from
the rates measured on the classroom's 2-core CPU (README "Quick demo"), scaled by the input's
pixels. The time is the training passes at that rate, plus validating each epoch and
scoring the test split and the train-accuracy frames, which cost about a third of a
training step per frame (a forward pass without the backward one).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import pandas as pd

from handclf_core.models import get_recipe
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.record import Run
from handclf_core.training.devices import Device
from handclf_core.training.splits import TRAIN_SCORED, split_indices
from handclf_core.vocab import DeviceKind, Precision, Split

# Images/s of each recipe's training loop measured on the classroom CPU (2 cores, AVX-512
# BF16; built-in sample, 2026-12-01), by precision: the fallback without earlier runs.
CLASSROOM_RATES = {
    ("cnn_basic", Precision.FLOAT32): 1090,
    ("cnn_basic", Precision.MIXED_BFLOAT16): 1100,
    ("mnist", Precision.FLOAT32): 1200,
    ("mnist", Precision.MIXED_BFLOAT16): 2400,
    ("alexnet", Precision.FLOAT32): 38,
    ("alexnet", Precision.MIXED_BFLOAT16): 80,
}
FORWARD_SHARE = 1 / 3  # a frame scored costs about a third of a frame trained
START_SECONDS = 3.0  # building the model, the first step's tracing


@dataclass(frozen=True)
class Estimate:
    seconds: float
    images_per_second: float
    runs: int  # earlier runs the rate comes from; 0: the classroom CPU's measured rate


def _similar(run: Run, config: TrainConfig, device: Device | None) -> bool:
    c, d = run.config, run.environment.device
    same_device = device is None or (d.kind, d.count, d.backend) == (
        device.kind,
        device.count,
        device.backend,
    )
    return (
        c.model == config.model
        and run.input_shape[:2] == (config.size, config.size)
        and c.precision == config.precision
        and same_device
    )


def estimate(
    config: TrainConfig, frames: pd.DataFrame, runs: list[Run], device: Device | None = None
) -> Estimate | None:
    """The expected duration of training `config` (resolved) on the hand frames `frames`,
    from `runs` (earlier stored runs) on `device`; None when nothing is known (a GPU
    without earlier runs)."""
    c = config.resolved()
    parts = split_indices(frames, c)
    rates = [r.timings.images_per_second for r in runs if _similar(r, c, device)]
    if rates:
        rate = statistics.median(rates)
    elif device is None or device.kind == DeviceKind.CPU:
        base = CLASSROOM_RATES.get((c.model, c.precision))
        if base is None:  # mixed float16 on a CPU: no fast path, count it as float32
            base = CLASSROOM_RATES[(c.model, Precision.FLOAT32)]
        rate = base * (get_recipe(c.model).input_size / c.size) ** 2
    else:
        return None
    trained = c.epochs * len(parts[Split.TRAIN])
    scored = c.epochs * len(parts[Split.VALIDATION]) + len(parts[Split.TEST])
    scored += min(len(parts[Split.TRAIN]), TRAIN_SCORED)
    seconds = START_SECONDS + (trained + FORWARD_SHARE * scored) / rate
    return Estimate(seconds=seconds, images_per_second=rate, runs=len(rates))
