"""How long a run will take, before it is started: from the earlier runs of this machine.

A training loop's time is a start-up (building the model, tracing the first step: about
START_SECONDS) plus its images at the rate the configuration trains at. The rate comes from
the kept runs of the same model, input shape and precision on the same kind of device, the
start-up taken off each: their images over their loops' seconds less START_SECONDS, so a
long run weighs more than a short one. A run whose loop lasted under twice the start-up, or
that trained fewer than MIN_IMAGES images, is left out: its time is mostly start-up, and
the rate it gives can be 30 times too slow (a 64-frame, one-epoch run of cnn_basic trains at
28 images/s by its record, at 1,100 in a real run). Without such runs the rate is the one
measured on the classroom's 2-core CPU (README "Quick demo"), scaled by the input's pixels.
The time is the start-up, the training passes at that rate, validating each epoch and
scoring the test split and the train-accuracy frames, which cost about a third of a
training step per frame (a forward pass only).

Those rates are a quiet machine's. On a CPU that other work keeps busy (the 1-minute load
average, e.g. a class's pages being drawn), a training gets about cores / (cores + load) of
it: with a load of 2 on 2 cores, half (measured: AlexNet's quick demo trained at half its
rate beside one CPU-bound job). The estimate uses that share, and says the machine is busy
(`Estimate.busy`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from handclf_core.models import get_recipe
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.device import Device
from handclf_core.runs.record import Run
from handclf_core.training.splits import TRAIN_SCORED, split_indices
from handclf_core.vocab import DeviceKind, Precision, Split
from handclf_core.workers import cpu_count

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
START_SECONDS = 3.0  # a loop's start-up: building the model, tracing the first step
MIN_IMAGES = 1000  # a run that trained fewer measured its start-up, not its rate


@dataclass(frozen=True)
class Estimate:
    seconds: float
    images_per_second: float
    runs: int  # earlier runs the rate comes from; 0: the classroom CPU's measured rate
    busy: float = 1.0  # the share of the CPU left by other work (1: a quiet machine)
    load: float = 0.0  # the load average the share comes from


BUSY = 0.8  # a share under this: the page says the machine is busy


def cpu_share(load: float, cores: int) -> float:
    """The share of a CPU of `cores` cores that a new training gets beside other work of
    this 1-minute load average: cores / (cores + load), 1 on a quiet machine."""
    return cores / (cores + max(load, 0.0))


def _trained(run: Run) -> int:
    """The training images a run's loop went through."""
    return run.config.epochs * run.frames.train


def measured_rate(runs: list[Run]) -> tuple[float, int] | None:
    """Training images per second over `runs`, each run's start-up taken off (module doc),
    and how many runs it comes from; None when no run lasted long enough to say."""
    usable = [
        r for r in runs
        if r.timings.fit_seconds >= 2 * START_SECONDS and _trained(r) >= MIN_IMAGES
    ]  # fmt: skip
    if not usable:
        return None
    seconds = sum(r.timings.fit_seconds - START_SECONDS for r in usable)
    return sum(_trained(r) for r in usable) / seconds, len(usable)


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
    config: TrainConfig,
    frames: pd.DataFrame,
    runs: list[Run],
    device: Device | None = None,
    load: float = 0.0,
    cores: int | None = None,
) -> Estimate | None:
    """The expected duration of training `config` (resolved) on the hand frames `frames`,
    from `runs` (earlier stored runs) on `device`, with the CPU this 1-minute `load`
    average of other work leaves (`cpu_share`; `cores`: this process's by default); None
    when nothing is known (a GPU without earlier runs)."""
    c = config.resolved()
    parts = split_indices(frames, c)
    measured = measured_rate([r for r in runs if _similar(r, c, device)])
    if measured:
        rate, used = measured
    elif device is None or device.kind == DeviceKind.CPU:
        base = CLASSROOM_RATES.get((c.model, c.precision))
        if base is None:  # mixed float16 on a CPU: no fast path, count it as float32
            base = CLASSROOM_RATES[(c.model, Precision.FLOAT32)]
        rate, used = base * (get_recipe(c.model).input_size / c.size) ** 2, 0
    else:
        return None
    trained = c.epochs * len(parts[Split.TRAIN])
    scored = c.epochs * len(parts[Split.VALIDATION]) + len(parts[Split.TEST])
    scored += min(len(parts[Split.TRAIN]), TRAIN_SCORED)
    share = 1.0
    if device is None or device.kind == DeviceKind.CPU:  # a GPU's own work is not the CPU's
        share = cpu_share(load, cores or cpu_count())
        rate *= share
    seconds = START_SECONDS + (trained + FORWARD_SHARE * scored) / rate
    return Estimate(seconds=seconds, images_per_second=rate, runs=used, busy=share, load=load)
