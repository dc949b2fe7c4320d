"""The run settings the lesson's experiments are made of: random validation, precision,
what a run changes from its recipe, the experiment grid and quick presets, deleting and
downloading a run. No training here (see test_cli, test_app_train; the time estimate:
test_estimate)."""

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
from handclf_core.training.splits import split_indices
from handclf_core.views.runs import changes, config_label
from handclf_core.vocab import DeviceKind, ExperimentSize, Precision, Validation

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
