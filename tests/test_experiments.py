"""The run settings the lesson's experiments are made of: random validation, precision,
what a run changes from its recipe, the experiment grid and quick presets, the time
estimate, deleting and downloading a run. No training here (see test_cli, test_app_train)."""

import dataclasses
import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from handclf_core.errors import HandCamError
from handclf_core.models import get_recipe, list_models
from handclf_core.runs import device as devices
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.device import Device
from handclf_core.runs.experiments import GRID, QUICK, grid, quick
from handclf_core.runs.folders import delete_run, list_runs, run_archive, run_folder
from handclf_core.training.estimate import CLASSROOM_RATES, FORWARD_SHARE, START_SECONDS, estimate
from handclf_core.training.splits import split_indices
from handclf_core.views.runs import changes, config_label
from handclf_core.vocab import DeviceKind, ExperimentSize, Precision, Validation
from tests.test_views_runs import make_run

CPU = Device(DeviceKind.CPU, 2, "", "tensorflow", False)


def _frames(train: int = 500, test: int = 300) -> pd.DataFrame:
    """Hand frames of two training recordings (lab/4 among them) and one test recording."""
    return pd.DataFrame(
        {
            "split": ["train"] * train + ["test"] * test,
            "scene": ["lab"] * (train + test),
            "recording": [1] * (train - 100) + [4] * 100 + [2] * test,
        }
    )


def test_random_validation_holds_out_a_fifth_of_train_drawn_by_the_seed():
    frames = _frames()
    parts = split_indices(frames, TrainConfig(validation="random"))
    assert len(parts["validation"]) == 100 and len(parts["train"]) == 400
    assert not set(parts["validation"]) & set(parts["train"])
    assert (frames.split.iloc[parts["validation"]] == "train").all()
    assert len(set(frames.recording.iloc[parts["validation"]])) == 2  # frames of every recording
    again = split_indices(frames, TrainConfig(validation="random"))
    other = split_indices(frames, TrainConfig(validation="random", seed=1))
    assert np.array_equal(again["validation"], parts["validation"])
    assert not np.array_equal(other["validation"], parts["validation"])
    none = split_indices(frames, TrainConfig(validation="none"))
    assert len(none["validation"]) == 0 and len(none["train"]) == 500
    assert TrainConfig(validation="random").resolved().validation == Validation.RANDOM
    assert TrainConfig(validation="random", held_out="lab/2").resolved().held_out is None
    assert TrainConfig().resolved().held_out == "lab/4"  # the default recording
    with pytest.raises(HandCamError, match="unknown validation 'everything'"):
        TrainConfig(validation="everything").resolved()
    with pytest.raises(HandCamError, match="expected a recording 'scene/N'"):
        TrainConfig(held_out="everything").resolved()


def test_precision_default_follows_the_training_device(monkeypatch):
    monkeypatch.setattr(devices, "_known", None)
    monkeypatch.setattr(devices, "cpu_has_bfloat16", lambda: True)
    assert TrainConfig().resolved().precision == Precision.MIXED_BFLOAT16
    monkeypatch.setattr(devices, "cpu_has_bfloat16", lambda: False)
    assert TrainConfig().resolved().precision == Precision.FLOAT32
    devices.adopt(Device(DeviceKind.GPU, 1, "NVIDIA H200", "jax", True))
    assert TrainConfig().resolved().precision == Precision.MIXED_FLOAT16
    devices.adopt(Device(DeviceKind.GPU, 1, "an old GPU", "jax", False))
    assert TrainConfig().resolved().precision == Precision.FLOAT32
    # An explicit choice is kept, and names another run.
    assert TrainConfig(precision="float32").resolved().precision == Precision.FLOAT32
    with pytest.raises(HandCamError, match="unknown precision 'float8'"):
        TrainConfig(precision="float8").resolved()


def test_a_run_label_says_what_differs_from_the_recipe(monkeypatch):
    monkeypatch.setattr(devices, "preferred_precision", lambda: Precision.MIXED_BFLOAT16)
    monkeypatch.setattr("handclf_core.views.runs.preferred_precision",
                        lambda: Precision.MIXED_BFLOAT16)  # fmt: skip

    def label(**settings) -> str:
        return config_label(TrainConfig(**settings).resolved())

    assert label(model="cnn_basic") == "CNN_basic · recipe"
    assert label(model="cnn_basic", gray=True) == "CNN_basic · gray"
    assert label(model="mnist", gray=False, epochs=1) == "Mnist-style CNN · RGB · 1 epoch"
    assert label(model="alexnet", flip_right=False, momentum=0.0) == (
        "AlexNet · not mirrored · plain SGD"
    )
    assert label(model="cnn_basic", validation="random", precision="float32", limit=50) == (
        "CNN_basic · validation: a random 20% of frames · ≤50 frames · float32"
    )
    assert label(model="cnn_basic", size=64, crop=True, balance="class_weight", seed=3) == (
        "CNN_basic · 64x64 · cropped · class weights · seed 3"
    )
    assert changes(TrainConfig(model="alexnet", epochs=4).resolved(), "zh_TW") == ["4 輪"]


def test_the_grid_changes_one_setting_from_each_recipe():
    full = dict(grid(ExperimentSize.FULL))
    assert list(full) == [key for key, _ in GRID]
    for key, config in full.items():
        recipe = TrainConfig(model=config.model).resolved()
        differs = {  # the recording held out is part of the validation setting
            f.name.replace("held_out", "validation")
            for f in dataclasses.fields(config)
            if getattr(config, f.name) != getattr(recipe, f.name)
        }
        assert len(differs) == (0 if "." not in key else 1), (key, differs)
    assert full["alexnet.plain_sgd"].momentum == 0
    assert full["cnn_basic.random_validation"].validation == "random"
    quick_grid = dict(grid("quick", seed=2, precision="float32"))
    assert all(c.seed == 2 and c.precision == Precision.FLOAT32 for c in quick_grid.values())
    assert quick_grid["alexnet"].size == QUICK["alexnet"]["size"]
    for model in list_models():  # each recipe's row is that model's quick preset
        preset = quick(TrainConfig(model=model, seed=2, precision="float32")).resolved()
        assert quick_grid[model] == preset


def test_quick_keeps_what_the_user_set():
    assert quick(TrainConfig(model="alexnet")).size == QUICK["alexnet"]["size"]
    assert quick(TrainConfig(model="alexnet", size=99)).size == 99
    assert quick(TrainConfig(model="mnist")).resolved().epochs == get_recipe("mnist").epochs


def _timed(run, epochs: int, frames: int, seconds: float):
    """`run` as if its loop had trained `frames` frames `epochs` times in `seconds`."""
    return dataclasses.replace(
        run,
        config=dataclasses.replace(run.config, epochs=epochs),
        frames=dataclasses.replace(run.frames, train=frames),
        timings=dataclasses.replace(run.timings, fit_seconds=seconds,
                                    images_per_second=epochs * frames / seconds),
    )  # fmt: skip


def test_a_tiny_earlier_run_does_not_make_the_recipe_look_slow(sample_ds, tiny_run):
    """The Train page once said "about 10:54 at 28 images/s from 1 earlier run" for
    cnn_basic's recipe (about 20 s) after the suite's 64-frame, one-epoch run."""
    from handclf_core.training.devices import configure_device

    recipe = TrainConfig(model="cnn_basic").resolved()
    e = estimate(recipe, sample_ds.hand_frames(), [tiny_run[0]], configure_device())
    assert e.runs == 0 and e.seconds < 120, e


def test_estimate_from_earlier_runs_else_the_classroom_rate():
    frames = _frames(train=1100, test=300)  # 1,000 train, 100 validation (lab/4), 300 test
    config = TrainConfig(model="cnn_basic", epochs=2, precision="float32").resolved()
    e = estimate(config, frames, [], CPU)
    rate = CLASSROOM_RATES[("cnn_basic", Precision.FLOAT32)]
    scored = 2 * 100 + 300 + 1000
    assert e.runs == 0 and e.images_per_second == rate
    assert e.seconds == pytest.approx(START_SECONDS + (2 * 1000 + FORWARD_SHARE * scored) / rate)
    # Twice the side: a quarter of the rate.
    bigger = estimate(dataclasses.replace(config, size=64), frames, [], CPU)
    assert bigger.images_per_second == pytest.approx(rate / 4)
    # Earlier runs of the same setting: their images over their loops' seconds, each run's
    # start-up taken off (a long run weighs more); other models' runs do not count.
    runs = [make_run("cnn_basic", created="1", seed=s, precision="float32") for s in (1, 2, 3)]
    runs = [_timed(r, epochs=5, frames=400, seconds=s) for r, s in zip(runs, (8.0, 13.0, 23.0),
                                                                      strict=True)]  # fmt: skip
    runs.append(_timed(make_run("mnist", created="1", seed=4, precision="float32"), 5, 400, 9.0))
    e = estimate(config, frames, runs, CPU)
    assert e.runs == 3
    assert e.images_per_second == pytest.approx(3 * 5 * 400 / (8 + 13 + 23 - 3 * START_SECONDS))
    # A tiny run (64 frames, one epoch: its 2.3 s are mostly start-up, "28 images/s") says
    # nothing of the rate, alone or beside real runs.
    tiny = _timed(runs[0], epochs=1, frames=64, seconds=2.3)
    alone = estimate(config, frames, [tiny], CPU)
    assert (alone.runs, alone.images_per_second) == (0, rate)
    assert estimate(config, frames, [tiny, *runs], CPU) == e
    slow_tiny = _timed(runs[0], epochs=1, frames=64, seconds=7.0)  # on a busy machine
    assert estimate(config, frames, [slow_tiny], CPU).runs == 0
    gpu = Device(DeviceKind.GPU, 1, "NVIDIA H200", "jax", True)
    assert estimate(config, frames, [], gpu) is None  # nothing known yet: no made-up figure
    # Other work on the CPU: a load of 2 on 2 cores leaves a training half of it (measured:
    # the quick demo trained at half its rate beside one CPU-bound job); a GPU's does not.
    quiet = estimate(config, frames, [], CPU, load=0.0, cores=2)
    busy = estimate(config, frames, [], CPU, load=2.0, cores=2)
    assert (quiet.busy, busy.busy) == (1.0, 0.5)
    assert busy.images_per_second == pytest.approx(rate / 2)
    assert busy.seconds - START_SECONDS == pytest.approx(2 * (quiet.seconds - START_SECONDS))
    assert estimate(config, frames, runs, gpu, load=5.0) is None


def test_delete_and_download_a_stored_run(tiny_run, sample_ds):
    run = tiny_run[0]
    buffer = io.BytesIO()
    run_archive(run, buffer)
    with zipfile.ZipFile(buffer) as archive:
        assert sorted(archive.namelist()) == [f"{run.name}/model.keras", f"{run.name}/run.json"]
        assert archive.read(f"{run.name}/model.keras") == run.model_file.read_bytes()
    with pytest.raises(HandCamError, match="expected the name of a stored run"):
        run_folder("cnn_basic-obj-000000000000")
    with pytest.raises(HandCamError, match="expected the name of a stored run"):
        run_folder("../../etc")
    copy = run.path.with_name(run.name.replace("cnn_basic", "mnist"))  # a second run to delete
    import shutil

    shutil.copytree(run.path, copy)
    delete_run(copy.name)
    assert not copy.exists() and not list(copy.parent.glob(f".tmp-{copy.name}*"))
    assert run.name in {r.name for r in list_runs(sample_ds.identity)}


def test_every_model_has_a_quick_preset_and_its_reason():
    from handclf_core.runs.experiments import QUICK_WHY

    assert set(QUICK) == set(QUICK_WHY) == set(list_models())


@pytest.mark.parametrize(
    ("settings", "legacy"),
    [({}, "lab/4"), ({"held_out": "house/2"}, "house/2"), ({"validation": "random"}, "random"),
     ({"validation": "none"}, "")],
)  # fmt: skip
def test_run_names_are_those_of_runs_kept_before_validation_was_a_term(settings, legacy):
    """A run's folder name hashes its configuration as it was written before `validation`
    became a vocabulary term (one string: the recording, "random" or ""), so that every run
    kept then is found, and loaded, under the same name."""
    import hashlib
    import json

    from handclf_core import records
    from handclf_core.runs.record import KEY_FORMAT, run_name

    c = TrainConfig(model="cnn_basic", precision="float32", **settings).resolved()
    then = records.to_json(c)
    then["validation"] = legacy
    del then["held_out"]
    blob = json.dumps({"format": KEY_FORMAT, "dataset": "abc", "config": then}, sort_keys=True)
    assert run_name("abc", c) == f"cnn_basic-obj-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"
