"""Training, the run cache and single-image inference, for real, on a tiny generated sample."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from filelock import FileLock

from handclf_core.errors import HandCamError
from handclf_core.paths import cache_dir
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.folders import list_runs, lock_path, run_path, runs_dir
from handclf_core.runs.record import SCHEMA, read_run
from handclf_core.training.batches import FrameBatches
from handclf_core.training.loop import TrainingCancelled
from handclf_core.training.progress import Batch
from handclf_core.training.splits import split_indices
from handclf_core.training.train import train
from tests.conftest import TINY


def _leftovers() -> list[str]:
    return sorted(p.name for p in runs_dir().iterdir() if p.name.startswith(".tmp"))


@pytest.mark.backend
def test_train_stores_then_loads(sample_ds, tiny_run):
    run, cached = tiny_run
    assert not cached
    folder = run.path
    assert folder == run_path(sample_ds.identity, TINY)
    meta = json.loads((folder / "run.json").read_text())  # plain JSON, readable by anyone
    assert meta["schema"] == SCHEMA and "path" not in meta
    assert meta["config"]["epochs"] == 1 and meta["config"]["learning_rate"] == 0.001
    assert meta["dataset"]["sample"] is True and meta["classes"][0] == "free"
    assert meta["frames"]["test"] == 64 and meta["test"]["split"] == "test"
    assert len(meta["history"]["loss"]) == 1 and "val_accuracy" in meta["history"]
    assert meta["environment"]["device"]["kind"] == "cpu"
    # Marked backend, it runs again on JAX (scripts/test): the run says which backend trained it.
    assert meta["environment"]["device"]["backend"] == os.environ.get("KERAS_BACKEND", "tensorflow")
    assert (meta["environment"]["tensorflow"] is None) == (
        meta["environment"]["device"]["backend"] != "tensorflow"
    )
    assert meta["timings"]["images_per_second"] > 0
    assert read_run(folder) == run  # the record reads back as it was written

    again, cached = train(sample_ds, TINY)
    assert cached and again.test == run.test

    import warnings

    import keras  # a stored run is plain Keras, loaded as a student would

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        model = keras.models.load_model(folder / "model.keras")
    assert model.output_shape == (None, 24)
    assert not [str(w.message) for w in said if "optimizer" in str(w.message)]
    # Its layers and weights only (float32 variables, whatever the precision): Adam's two
    # moments would triple the file (cnn_basic: 17 MB of weights, 51 MB with them).
    assert 4 * run.params < run.model_bytes < 1.2 * 4 * run.params + 2**20
    assert not model.compiled
    convolutions = [la for la in model.layers if isinstance(la, keras.layers.Conv2D)]
    assert {la.dtype_policy.name for la in convolutions} == {str(run.config.precision)}


@pytest.mark.backend
def test_same_seed_same_metrics_on_cpu(sample_ds, tiny_run):
    """In the default precision (tiny_run's) and in float32, trained twice each."""
    run, _ = tiny_run
    again, cached = train(sample_ds, TINY, retrain=True)
    assert not cached
    assert again.test == run.test
    assert again.history["loss"] == run.history["loss"]
    fp32 = dataclasses.replace(TINY, precision="float32")
    first, _ = train(sample_ds, fp32)
    second, _ = train(sample_ds, fp32, retrain=True)
    assert first.config.precision == "float32" and first.name != run.name
    assert second.test == first.test and second.history["loss"] == first.history["loss"]


@pytest.mark.parametrize(
    "interrupt",
    [pytest.param(TrainingCancelled, marks=pytest.mark.backend), KeyboardInterrupt, RuntimeError],
)
def test_interrupted_run_leaves_nothing(sample_ds, interrupt):
    config = TrainConfig(model="mnist", epochs=2, batch_size=16, limit=48, seed=7)

    def progress(event):
        if isinstance(event, Batch) and event.batch == 2:
            raise interrupt("stop")

    with pytest.raises(interrupt):
        train(sample_ds, config, progress=progress)
    assert not run_path(sample_ds.identity, config).exists()
    assert _leftovers() == []
    with FileLock(lock_path(run_path(sample_ds.identity, config)), timeout=0):
        pass  # the lock was released


def test_busy_configuration_is_reported(sample_ds):
    config = TrainConfig(model="cnn_basic", epochs=1, limit=16, seed=3)
    with FileLock(lock_path(run_path(sample_ds.identity, config))):
        with pytest.raises(HandCamError, match="being trained by another process"):
            train(sample_ds, config, wait=False)


def test_two_processes_train_once(sample_root, tiny_run, tmp_path):
    """Both ask for the same configuration at once: one trains, the other waits and loads."""
    cmd = [
        sys.executable,
        "-m",
        "handclf_core",
        "train",
        "--data",
        str(sample_root),
        "--model",
        "cnn_basic",
        "--epochs",
        "1",
        "--limit",
        "32",
        "--seed",
        "11",
        "--json",
    ]
    env = {**os.environ, "HANDCLF_CACHE": str(tmp_path / "cache")}
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "stores").symlink_to(cache_dir() / "stores")  # decoded already
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for _ in range(2)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()[-2000:]
        results.append(json.loads(out))
    assert sorted(r["cached"] for r in results) == [False, True]
    assert results[0]["test_accuracy"] == results[1]["test_accuracy"]
    assert len(list((tmp_path / "cache" / "runs").glob("cnn_basic-*"))) == 1


def test_validation_is_a_held_out_recording(sample_ds):
    from handclf_core.data.store import build_store

    store, _ = build_store(sample_ds)
    frames = store.frames
    parts = split_indices(frames, TrainConfig())
    val = frames.iloc[parts["validation"]]
    assert set(zip(val.split, val.scene, val.recording, strict=True)) == {("train", "lab", 4)}
    train_rows = frames.iloc[parts["train"]]
    assert not ((train_rows.scene == "lab") & (train_rows.recording == 4)).any()
    assert (frames.iloc[parts["test"]].split == "test").all()
    limited = split_indices(frames, TrainConfig(limit=10))
    assert all(len(v) == 10 for v in limited.values())
    assert limited["test"][0] == parts["test"][0] and limited["test"][-1] == parts["test"][-1]
    with pytest.raises(HandCamError, match="not in the training split"):
        split_indices(frames, TrainConfig(held_out="lab/9"))


def test_batches_shuffle_per_epoch_and_oversample():
    images = np.arange(100, dtype=np.uint8).reshape(100, 1, 1, 1)
    labels = np.array([0] * 90 + [1] * 10)
    batches = FrameBatches(images, labels, np.arange(100), 100, shuffle=True, seed=1)
    first = batches._order.copy()
    batches.on_epoch_end()
    assert not np.array_equal(first, batches._order)
    assert np.array_equal(
        first, FrameBatches(images, labels, np.arange(100), 100, shuffle=True, seed=1)._order
    )
    over = FrameBatches(images, labels, np.arange(100), 100, oversample=True, seed=0)
    drawn = np.concatenate(
        [over[0][1] for _ in range(1)]
        + [
            FrameBatches(images, labels, np.arange(100), 100, oversample=True, seed=s)[0][1]
            for s in range(1, 20)
        ]
    )
    assert 0.4 < drawn.mean() < 0.6  # the rare class drawn about as often as the common one
    weights = np.array([0.5, 4.0], np.float32)
    x, y, w = FrameBatches(images, labels, np.arange(100), 10, weights=weights)[9]
    assert x.shape == (10, 1, 1, 1) and (w == 4.0).all() and (y == 1).all()
    assert len(FrameBatches(images, labels, np.arange(100), 10)[0]) == 2  # no weights: none sent


@pytest.mark.parametrize(
    "balance", [pytest.param("class_weight", marks=pytest.mark.backend), "oversample"]
)
def test_balancing_options_train(sample_ds, balance):
    config = TrainConfig(model="cnn_basic", epochs=1, batch_size=32, limit=32, balance=balance)
    run, _ = train(sample_ds, config)
    assert run.config.balance == balance
    assert run_path(sample_ds.identity, config) != run_path(sample_ds.identity, TINY)


def test_bad_configurations():
    for config, message in [
        (TrainConfig(model="vgg"), "unknown model 'vgg'"),
        (TrainConfig(balance="smote"), "unknown balancing"),
        (TrainConfig(epochs=0), "epochs must be at least 1"),
        (TrainConfig(held_out="lab"), "expected a recording 'scene/N'"),
        (TrainConfig(validation="lab/4"), "unknown validation 'lab/4'"),
        (TrainConfig(size=0), "input size: expected 8..404 pixels, found 0"),
        (TrainConfig(seed=-1), "seed: expected a whole number"),
        (TrainConfig(learning_rate=float("inf")), "learning rate must be positive"),
        (TrainConfig(model="alexnet", momentum=1.0), "momentum must be in"),
        (TrainConfig(model="cnn_basic", momentum=0.9), "applies to SGD only"),
    ]:
        with pytest.raises(HandCamError, match=message):
            config.resolved()


def test_momentum_comes_from_the_recipe_and_names_the_run(sample_ds):
    alexnet = TrainConfig(model="alexnet")
    assert alexnet.resolved().momentum == 0.9  # the AlexNet paper's; plain SGD barely moves
    assert TrainConfig(model="cnn_basic").resolved().momentum == 0.0  # Adam: none
    plain = TrainConfig(model="alexnet", momentum=0.0)
    assert plain.resolved().momentum == 0.0
    assert run_path(sample_ds.identity, plain) != run_path(sample_ds.identity, alexnet)


def test_list_runs(sample_ds, tiny_run):
    runs = list_runs(sample_ds.identity, "obj")
    assert tiny_run[0].path in [r.path for r in runs]
    assert list_runs("another-dataset") == []


def test_a_limit_that_limits_nothing_is_the_same_run(sample_ds, tiny_run):
    """One setting, one run: a frame limit at least as large as every split (the quick
    demo's 3,000 frames on the built-in sample) is the recipe's run, not a copy of it."""
    import dataclasses

    from handclf_core.runs.folders import run_path
    from handclf_core.training.splits import effective
    from handclf_core.training.train import train
    from tests.conftest import TINY

    frames = sample_ds.hand_frames()
    largest = int(frames.split.value_counts().max())
    assert effective(dataclasses.replace(TINY, limit=largest), frames).limit is None
    assert effective(dataclasses.replace(TINY, limit=largest - 1), frames).limit == largest - 1
    assert effective(TINY, frames) == TINY  # 64 frames: a real limit
    idle = dataclasses.replace(TINY, limit=10**6, epochs=1)
    run, _ = train(sample_ds, idle)
    assert run.config.limit is None
    plain = dataclasses.replace(idle, limit=None).resolved()
    assert run.name == run_path(sample_ds.identity, plain).name
    again, cached = train(sample_ds, plain)
    assert cached and again.name == run.name
