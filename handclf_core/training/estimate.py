"""How long long work will take, before it starts: the one estimator behind every time the
app and the command line show (Train, the experiments, Compare's empty page, the quick
demo's text, the frame store's build, `train --estimate`, `prepare`).

A training job's time, from the press to its stored run, is made of parts:

- start: the training process loading the backend, when it is not running yet;
- data: the frame store decoded and the run's inputs derived, when they are not kept yet
  (`estimate_data.data_seconds`, from the store's plan and a decoding timed now);
- fixed: building the model, tracing its first steps, saving it;
- the loop: each epoch's training images at the loop's cost an image, its validation frames
  at FORWARD_SHARE of a training image each (a forward pass), and each step's own cost
  (STEP_SECONDS: a batch of 32 costs more an image than one of 128);
- scoring: the test split and the train-accuracy frames, at FORWARD_SHARE each.

The loop's rate and the fixed seconds are a quiet machine's: from the earlier runs of the
same model, input size, precision and device, each set back to a quiet machine by the other
work it recorded while it trained (`Timings.other_load`), so a run measured on a busy
machine does not make the next estimate slow twice; without such runs, the rates measured
on the classroom CPU (`CLASSROOM`, by `bench/bench_estimates.py --calibrate`), scaled by
the input's pixels from the nearest size measured.

Then the load is counted, once: other work's demand now, in cores (`handclf_core.load`:
never the training's own threads, which the kernel's load average counts for a minute after
it ended), leaves a training cores / (cores + other) of the CPU (`cpu_share`: measured, a
CPU-bound process beside it cost the quick demos 1.5-1.9x), and every part on the CPU takes
1/share as long. A GPU's own work is not the CPU's: no share there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from handclf_core.runs.config import TrainConfig
from handclf_core.runs.device import Device
from handclf_core.runs.record import Run
from handclf_core.training.splits import TRAIN_SCORED, split_indices
from handclf_core.vocab import DeviceKind, Precision, Split
from handclf_core.workers import cpu_count

# The classroom CPU, quiet (2 cores, AVX-512 BF16; built-in sample; bench_estimates.py
# --calibrate, 2026-12-07; AlexNet's recipe in mixed bfloat16 from one epoch of it on the
# real count, bench_real_scale.py): by (model, precision, input size), the training loop's
# images/s at CALIBRATION_BATCH and the fixed seconds of a run (built, traced, saved).
# Other sizes scale the rate by pixels from the nearest size measured; mixed float16 (no
# fast path on a CPU) counts as float32.
CLASSROOM: dict[tuple[str, Precision, int], tuple[float, float]] = {
    ("cnn_basic", Precision.FLOAT32, 32): (1900.0, 2.0),
    ("cnn_basic", Precision.MIXED_BFLOAT16, 32): (1930.0, 1.4),
    ("mnist", Precision.FLOAT32, 28): (2080.0, 2.0),
    ("mnist", Precision.MIXED_BFLOAT16, 28): (2520.0, 1.1),
    ("alexnet", Precision.FLOAT32, 128): (160.0, 0.7),
    ("alexnet", Precision.MIXED_BFLOAT16, 128): (366.0, 0.9),
    ("alexnet", Precision.FLOAT32, 227): (46.0, 2.0),
    ("alexnet", Precision.MIXED_BFLOAT16, 227): (155.0, 1.9),  # the recipe, 13,672 frames
}
CALIBRATION_BATCH = {"cnn_basic": 128, "mnist": 32, "alexnet": 64}  # the quick demos' batches
# A training step's own cost, whatever its images (dispatch, the optimizer's update): the
# Mnist-style CNN's recipe (batch 128) ran at 4,000 images/s where its quick demo (batch 32)
# ran at 2,500 (bench_real_scale.py, bench_estimates.py --calibrate).
STEP_SECONDS = 0.008
FORWARD_SHARE = 1 / 3  # a frame scored costs about a third of a frame trained
TRACE_SECONDS = 1.2  # the loop's first steps traced: in fit_seconds, not at the loop's rate
PROCESS_START = 4.0  # the training process importing the backend, quiet (3.5 s measured)
MIN_LOOP_SECONDS = 5.0  # a run whose loop was shorter measured its start-up, not its rate
MIN_IMAGES = 1000
BUSY = 0.8  # a share under this: the page says the machine is busy


@dataclass(frozen=True)
class Estimate:
    """An expected duration and what it rests on (`as_json` for the command line)."""

    seconds: float  # the whole job, at the load counted
    runs: int  # earlier runs the rates come from; 0: the classroom CPU's measured rates
    images_per_second: float  # the training loop's rate at the load counted (0: no training)
    share: float = 1.0  # the share of the CPU other work leaves (1: a quiet machine)
    other: float = 0.0  # other work's demand counted, in cores
    cores: int = 1
    parts: dict[str, float] = field(default_factory=dict)  # seconds of each part, as counted

    @property
    def basis(self) -> str:
        return "runs" if self.runs else "classroom"

    @property
    def busy(self) -> bool:
        return self.share < BUSY

    def plus(self, seconds: float, part: str) -> Estimate:
        """This estimate with `seconds` more of work, named `part`."""
        parts = dict(self.parts, **{part: self.parts.get(part, 0.0) + seconds})
        return Estimate(
            self.seconds + seconds,
            self.runs,
            self.images_per_second,
            self.share,
            self.other,
            self.cores,
            parts,
        )

    def as_json(self) -> dict:
        return {
            "seconds": round(self.seconds, 1),
            "basis": {
                "source": self.basis,
                "runs": self.runs,
                "images_per_second": round(self.images_per_second, 1),
                "other_load": round(self.other, 2),
                "cores": self.cores,
                "cpu_share": round(self.share, 3),
                "parts": {k: round(v, 1) for k, v in self.parts.items()},
            },
        }


def cpu_share(other: float, cores: int) -> float:
    """The share of a CPU of `cores` cores that a new training gets beside other work
    wanting `other` cores: cores / (cores + other); 1 on a quiet machine."""
    return cores / (cores + max(other, 0.0))


def clock(seconds: float) -> str:
    """0:42, 12:05, 1:05:45 (hours once past one); "…" while unknown (NaN)."""
    if seconds != seconds:
        return "…"
    s = max(0, int(round(seconds)))
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


@dataclass(frozen=True)
class _Work:
    """What a configuration makes its model do on these frames, in images and steps."""

    trained: int  # training images through the loop (epochs x train frames)
    validated: int  # validation frames scored (each epoch)
    scored: int  # test frames and train-accuracy frames scored once
    steps: int  # training steps (epochs x batches)

    @property
    def loop(self) -> float:  # in training images
        return self.trained + FORWARD_SHARE * self.validated

    def loop_seconds(self, per_image: float) -> float:
        """The loop's quiet seconds at `per_image` seconds of compute an image."""
        return self.loop * per_image + self.steps * STEP_SECONDS


def _work_of(epochs: int, batch: int, train: int, validation: int, scored: int) -> _Work:
    steps = epochs * -(-train // max(batch, 1))
    return _Work(epochs * train, epochs * validation, scored, steps)


def _work(config: TrainConfig, frames: pd.DataFrame) -> _Work:
    parts = split_indices(frames, config)
    train = len(parts[Split.TRAIN])
    scored = len(parts[Split.TEST]) + min(train, TRAIN_SCORED)
    return _work_of(config.epochs, config.batch_size, train, len(parts[Split.VALIDATION]), scored)


def _run_work(run: Run) -> _Work:
    f, c = run.frames, run.config
    return _work_of(c.epochs, c.batch_size, f.train, f.validation, f.test + run.train_frames_scored)


def _same_device(a: Device, b: Device | None) -> bool:
    return b is None or (a.kind, a.count, a.backend) == (b.kind, b.count, b.backend)


def _similar(run: Run, config: TrainConfig, device: Device | None) -> bool:
    c = run.config
    return (
        c.model == config.model
        and run.input_shape[:2] == (config.size, config.size)
        and c.precision == config.precision
        and _same_device(run.environment.device, device)
        and run.timings.other_load is not None  # stored before loads were measured: unknown
    )


def _quiet(run: Run) -> float:
    """The factor that sets `run`'s times back to a quiet machine: the share it had."""
    d = run.environment.device
    return 1.0 if d.kind != DeviceKind.CPU else cpu_share(run.timings.other_load, d.count)


def measured_rates(runs: list[Run]) -> tuple[float, float, int] | None:
    """A quiet machine's seconds of compute an image and fixed seconds from similar `runs`,
    and how many runs they come from; None when no run's loop lasted long enough to say."""
    usable = [
        r
        for r in runs
        if r.timings.fit_seconds >= MIN_LOOP_SECONDS and _run_work(r).trained >= MIN_IMAGES
    ]
    if not usable:
        return None
    works = [_run_work(r) for r in usable]
    compute = sum(
        _quiet(r) * r.timings.fit_seconds - TRACE_SECONDS - w.steps * STEP_SECONDS
        for r, w in zip(usable, works, strict=True)
    )
    per_image = max(compute, 1e-9) / sum(w.loop for w in works)
    fixed = []
    for r, w in zip(usable, works, strict=True):
        t = r.timings
        rest = _quiet(r) * (t.seconds - (t.data_seconds or 0.0) - t.fit_seconds)
        fixed.append(TRACE_SECONDS + max(0.0, rest - FORWARD_SHARE * w.scored * per_image))
    return per_image, sum(fixed) / len(fixed), len(usable)


def classroom_rates(config: TrainConfig) -> tuple[float, float]:
    """The classroom CPU's quiet seconds of compute an image and fixed seconds for `config`
    (resolved): from the nearest size measured, its per-step cost taken off and the rest
    scaled by pixels."""
    precision = config.precision
    if precision == Precision.MIXED_FLOAT16:  # no fast path on a CPU
        precision = Precision.FLOAT32
    sizes = [s for (m, p, s) in CLASSROOM if (m, p) == (config.model, precision)]
    size = min(sizes, key=lambda s: abs(math.log(s / config.size)))
    rate, fixed = CLASSROOM[(config.model, precision, size)]
    batch = CALIBRATION_BATCH[config.model]
    per_image = max(1 / rate - STEP_SECONDS / batch, 1e-6)
    return per_image * (config.size / size) ** 2, fixed


def estimate(
    config: TrainConfig,
    frames: pd.DataFrame,
    runs: list[Run],
    device: Device | None = None,
    *,
    other: float = 0.0,
    cores: int | None = None,
    start: bool = False,
    data: float = 0.0,
) -> Estimate | None:
    """The expected duration of training `config` (resolved) on the hand frames `frames`.

    Args:
        config: the run, resolved.
        frames: its dataset's hand frames (the splits it trains, validates and scores).
        runs: earlier stored runs of this machine (the similar ones give the rates).
        device: what trains (None: this CPU).
        other: other work's demand now, in cores (`handclf_core.load`).
        cores: the CPU's cores (this process's by default).
        start: the training process must start first (it loads the backend).
        data: quiet seconds to decode the store and derive the inputs (`data_seconds`).

    Returns None when nothing is known (a GPU without earlier runs).
    """
    c = config.resolved()
    on_cpu = device is None or device.kind == DeviceKind.CPU
    measured = measured_rates([r for r in runs if _similar(r, c, device)])
    if measured:
        per_image, fixed, used = measured
    elif on_cpu:
        (per_image, fixed), used = classroom_rates(c), 0
    else:
        return None
    cores = cores or cpu_count()
    share = cpu_share(other, cores) if on_cpu else 1.0
    w = _work(c, frames)
    quiet = {
        "start": PROCESS_START if start else 0.0,
        "data": data,
        "fixed": fixed,
        "loop": w.loop_seconds(per_image),
        "scoring": FORWARD_SHARE * w.scored * per_image,
    }
    parts = {k: v / share for k, v in quiet.items() if v}
    rate = w.trained / max(quiet["loop"], 1e-9) * share  # training images a second, as counted
    return Estimate(sum(parts.values()), used, rate, share, other, cores, parts)
