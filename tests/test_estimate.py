"""The one time estimate, on recorded timings: a stored run's rate, the load counted once,
hours written as hours; and the load meter on real processes. (How the estimates hold
against real runs, quiet and beside a CPU-bound process: bench/bench_estimates.py.)"""

import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from handclf_core.i18n import duration
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.device import Device
from handclf_core.runs.record import FrameCounts, Timings
from handclf_core.training.estimate import (
    CLASSROOM,
    FORWARD_SHARE,
    PROCESS_START,
    STEP_SECONDS,
    TRACE_SECONDS,
    classroom_rates,
    clock,
    cpu_share,
    estimate,
)
from handclf_core.vocab import DeviceKind, Precision
from tests.test_views_runs import make_run

CPU = Device(DeviceKind.CPU, 2, "", "tensorflow", False)


def _frames(train: int = 100, validation: int = 20, test: int = 60) -> pd.DataFrame:
    """Hand frames: a training recording, the held-out lab/4 (validation), a test one."""
    return pd.DataFrame(
        {
            "split": ["train"] * (train + validation) + ["test"] * test,
            "scene": ["lab"] * (train + validation + test),
            "recording": [1] * train + [4] * validation + [2] * test,
        }
    )


def _stored(seconds: float, fit: float, other: float | None, seed: int = 1, **config):
    """A run of cnn_basic (3 epochs of 100 frames, 20 validated, 60 + 100 scored) as
    `train` records it: the whole run `seconds`, its loop `fit`, beside `other` cores of
    other work (None: stored before loads were measured)."""
    run = make_run("cnn_basic", created="1", seed=seed, precision="float32", **config)
    timings = Timings(seconds, fit, seconds - fit - 1.0, 300 / fit, 0.0, other)
    return dataclasses.replace(
        run, config=dataclasses.replace(run.config, epochs=30), timings=timings
    )


def _config(**changes) -> TrainConfig:
    settings = {"model": "cnn_basic", "epochs": 30, "precision": "float32", **changes}
    return TrainConfig(**settings).resolved()


def test_times_over_an_hour_read_as_hours():
    """The experiments once read "289:56 (min:s)"."""
    assert clock(65 * 60 + 58) == "1:05:58" and clock(3599) == "59:59" and clock(42) == "0:42"
    assert clock(float("nan")) == "…"
    assert duration(4 * 3600 + 49 * 60 + 56) == "4 h 50 min"
    assert duration(294) == "4 min 54 s" and duration(42) == "42 s"
    assert duration(3958, "zh_TW") == "1 小時 06 分" and duration(59, "zh_TW") == "59 秒"


def test_a_stored_run_gives_its_own_time_back_at_the_load_it_had():
    """A run that took 60 s (its loop 50 s) beside other work wanting 2 of 2 cores: asked
    again at that load, the estimate is those 60 s; on a quiet machine, half. The old
    estimate cut the busy run's rate by the load once more (and by the training's own
    load, still in the load average for a minute after it): 3-5 times too long."""
    run = _stored(60.0, 50.0, other=2.0)
    frames, config = _frames(), _config()
    same = estimate(config, frames, [run], CPU, other=2.0, cores=2)
    quiet = estimate(config, frames, [run], CPU, other=0.0, cores=2)
    assert same.runs == quiet.runs == 1
    assert same.seconds == pytest.approx(60.0)
    assert quiet.seconds == pytest.approx(30.0)
    assert (same.share, quiet.share) == (0.5, 1.0) and same.busy and not quiet.busy
    # The same run stored on a quiet machine: the busy estimate is twice its time.
    calm = _stored(30.0, 25.0, other=0.0, seed=2)
    assert estimate(config, frames, [calm], CPU, other=2.0, cores=2).seconds == pytest.approx(60)
    # Twice the epochs: the loop twice as long, the rest as it was.
    longer = estimate(_config(epochs=60), frames, [run], CPU, other=0.0, cores=2)
    loop = quiet.parts["loop"]
    assert longer.seconds == pytest.approx(quiet.seconds + loop)
    assert loop == pytest.approx(25.0 - TRACE_SECONDS)  # its quiet loop less the first steps


def test_runs_that_cannot_tell_the_rate_are_left_out():
    frames, config = _frames(), _config()
    classroom = estimate(config, frames, [], CPU, cores=2)
    assert classroom.runs == 0 and classroom.basis == "classroom"
    old = _stored(60.0, 50.0, other=None)  # stored before loads were measured
    tiny = _stored(3.0, 2.3, other=0.0)  # its loop mostly start-up: "28 images/s"
    other_size = _stored(60.0, 50.0, other=0.0, size=64)
    for run in (old, tiny, other_size):
        assert estimate(config, frames, [run], CPU, cores=2) == classroom
    gpu = Device(DeviceKind.GPU, 1, "NVIDIA H200", "jax", True)
    assert estimate(config, frames, [], gpu) is None  # nothing known yet: no made-up figure


def test_the_classroom_rates_scale_with_pixels_and_the_parts_add_up():
    frames = _frames()
    config = _config(size=64)
    rate, fixed = CLASSROOM[("cnn_basic", Precision.FLOAT32, 32)]
    per_image = 1 / rate - STEP_SECONDS / 128  # measured at batch 128: its steps taken off
    assert classroom_rates(config) == (pytest.approx(per_image * 4), fixed)  # 4x the pixels
    e = estimate(config, frames, [], CPU, other=1.0, cores=2, start=True, data=3.0)
    share = cpu_share(1.0, 2)
    loop = (30 * 100 + FORWARD_SHARE * 30 * 20) * per_image * 4 + 30 * STEP_SECONDS  # 30 steps
    scoring = FORWARD_SHARE * (60 + 100) * per_image * 4
    assert e.parts == pytest.approx({"start": PROCESS_START / share, "data": 3.0 / share,
                                     "fixed": fixed / share, "loop": loop / share,
                                     "scoring": scoring / share})  # fmt: skip
    assert e.seconds == pytest.approx(sum(e.parts.values()))
    assert e.as_json()["basis"]["source"] == "classroom"
    # AlexNet's quick demo at 128 px takes the rate measured there, not 227's scaled.
    alex = TrainConfig(model="alexnet", size=128, precision="mixed_bfloat16").resolved()
    rate, fixed = CLASSROOM[("alexnet", Precision.MIXED_BFLOAT16, 128)]
    assert classroom_rates(alex) == (pytest.approx(1 / rate - STEP_SECONDS / 64), fixed)


def test_small_batches_cost_their_steps():
    """The Mnist-style CNN's recipe (batch 128) trained at 4,000 images/s where its quick
    demo (batch 32) trained at 2,500: each step has a cost of its own. Measured in a run of
    batch 32, the estimate of batch 128 is that much shorter."""
    frames = _frames(train=2000, validation=200)
    quick = dataclasses.replace(_stored(60.0, 50.0, other=0.0), frames=FrameCounts(2000, 200, 60))
    quick = dataclasses.replace(quick, config=dataclasses.replace(quick.config, batch_size=32))
    small = estimate(_config(batch_size=32), frames, [quick], CPU, cores=2)
    large = estimate(_config(batch_size=128), frames, [quick], CPU, cores=2)
    steps = 30 * (2000 // 32 + 1) - 30 * (2000 // 128 + 1)
    assert small.parts["loop"] - large.parts["loop"] == pytest.approx(steps * STEP_SECONDS)
    assert small.images_per_second < large.images_per_second


def _busy_loop() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs /proc")
def test_the_load_meter_counts_other_work_and_never_the_training():
    """A CPU-bound process is one core of other work, unless it is the training the meter
    leaves out (the app leaves out its training process). Looked at in pairs, the same
    moment counted with and without it: their difference is that one core, however busy
    the rest of the machine is (the median of the pairs)."""
    import statistics

    from handclf_core.load import LoadMeter, others_now

    child = _busy_loop()
    try:
        time.sleep(0.3)  # running
        pairs = []
        for _ in range(40):
            pairs.append(others_now(None) - others_now(child.pid))
            time.sleep(0.02)
        with LoadMeter(lambda: child.pid) as meter:  # the meter's own looks, in its thread
            time.sleep(1.0)
            assert meter.others() >= 0.0 and meter.mean() >= 0.0
    finally:
        child.kill()
        child.wait()
    assert statistics.median(pairs) == 1.0, pairs
