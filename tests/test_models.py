"""Every registered model gets the same checks (shape, softmax, one training step), so adding
a model adds its tests; parameter counts are worked out by hand from the layer formulas."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

from handclf_core import models
from handclf_core.errors import HandCamError
from handclf_core.paths import PROJECT_ROOT
from handclf_core.vocab import CLASSES, TASKS

CASES = [(name, task) for name in models.list_models() for task in TASKS]


def _on_jax_once(cases):
    """`cases`, those of the FA task marked `backend`: a task changes only the head's size,
    so one per model runs again on JAX."""
    return [pytest.param(*c, marks=pytest.mark.backend) if c[1] == "FA" else c for c in cases]


@pytest.fixture(scope="module")
def built():
    """Build each (model, task) once: AlexNet on 227 px is the slow part of this file."""
    cache = {}

    def get(name, task):
        if (name, task) not in cache:
            cache[name, task] = models.create_model(name, task=task)
        return cache[name, task]

    return get


def _batch(name, n, seed=0):
    r = models.get_recipe(name)
    shape = (n, r.input_size, r.input_size, r.channels)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def conv(k, cin, cout):
    return k * k * cin * cout + cout


def dense(n_in, n_out):
    return n_in * n_out + n_out


def expected_params(name, classes):
    if name == "cnn_basic":  # 32 -> pool -> 16 -> pool -> 8
        return conv(3, 3, 32) + conv(3, 32, 64) + dense(8 * 8 * 64, 1024) + dense(1024, classes)
    if name == "mnist":  # 28 -> 26 -> 24 -> pool -> 12
        return conv(3, 1, 32) + conv(3, 32, 64) + dense(12 * 12 * 64, 128) + dense(128, classes)
    if name == "alexnet":  # 227 -> conv/4 -> 55 -> pool -> 27 -> pool -> 13 -> pool -> 6
        convs = conv(11, 3, 96) + conv(5, 96, 256) + conv(3, 256, 384)
        convs += conv(3, 384, 384) + conv(3, 384, 256)
        fcs = dense(6 * 6 * 256, 4096) + dense(4096, 4096) + dense(4096, classes)
        return convs + fcs
    raise AssertionError(f"no hand count for new model {name!r}: add one here")


def test_registry_order_and_recipes():
    assert models.list_models() == ["cnn_basic", "mnist", "alexnet"]
    assert models.get_recipe("alexnet").flip_right
    assert not models.get_recipe("cnn_basic").flip_right
    assert models.get_recipe("mnist").channels == 1


@pytest.mark.parametrize("name,task", _on_jax_once(CASES))
def test_output_is_softmax_per_task(built, name, task):
    model = built(name, task)
    assert model.name == name
    probs = np.asarray(model.predict(_batch(name, 2).astype("float32"), verbose=0))
    assert probs.shape == (2, len(CLASSES[task]))
    assert probs.dtype == np.float32
    assert np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


# One step of training per model; AlexNet only on FA to keep the file fast.
@pytest.mark.parametrize(
    "name,task", _on_jax_once([c for c in CASES if c[0] != "alexnet" or c[1] == "FA"])
)
def test_one_training_step_gives_finite_loss(built, name, task):
    model = built(name, task)
    model.compile(optimizer=models.make_optimizer(name), loss="sparse_categorical_crossentropy")
    x = _batch(name, 2, seed=1).astype("float32")
    y = np.array([0, 1])
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)


@pytest.mark.backend
@pytest.mark.parametrize("name", models.list_models())
def test_param_counts_match_hand_formulas(built, name):
    assert built(name, "obj").count_params() == expected_params(name, 24)


@pytest.mark.backend
def test_overrides_input_size_channels_and_classes():
    model = models.create_model("cnn_basic", input_size=28, channels=1, num_classes=5)
    assert tuple(model.input_shape) == (None, 28, 28, 1)
    assert tuple(model.output_shape) == (None, 5)


def test_describe_models_rows():
    rows = models.describe_models("FA")
    assert [r["name"] for r in rows] == models.list_models()
    alex = rows[-1]
    assert alex["input_shape"] == [227, 227, 3]
    assert alex["params"] == expected_params("alexnet", 2)
    assert (alex["optimizer"], alex["batch_size"], alex["flip_right"]) == ("sgd", 64, True)


def test_make_optimizer_uses_recipe_and_override():
    import keras

    opt = models.make_optimizer("mnist")
    assert isinstance(opt, keras.optimizers.Adadelta)
    assert float(opt.learning_rate) == pytest.approx(1.0)
    opt = models.make_optimizer(models.get_recipe("alexnet"), 0.001)
    assert isinstance(opt, keras.optimizers.SGD)
    assert float(opt.learning_rate) == pytest.approx(0.001)
    assert opt.momentum == pytest.approx(0.9)  # the recipe's
    assert models.make_optimizer("alexnet", momentum=0.0).momentum == 0.0  # the assignment's
    with pytest.raises(HandCamError, match="SGD only"):
        models.make_optimizer("cnn_basic", momentum=0.9)
    bad = dataclasses.replace(models.get_recipe("mnist"), optimizer="rmsprop")
    with pytest.raises(HandCamError, match="rmsprop"):
        models.make_optimizer(bad)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"name": "resnet"}, "cnn_basic, mnist, alexnet"),
        ({"name": "cnn_basic", "task": "hands"}, "obj, ges, FA"),
        ({"name": "alexnet", "input_size": 66}, "at least 67 px"),
        ({"name": "mnist", "channels": 4}, "got 4"),
        ({"name": "mnist", "num_classes": 1}, "at least 2 classes"),
    ],
)
def test_bad_arguments_raise_handcam_error(kwargs, match):
    with pytest.raises(HandCamError, match=match):
        models.create_model(**kwargs)


def test_unknown_recipe_raises():
    with pytest.raises(HandCamError, match="resnet"):
        models.get_recipe("resnet")


@pytest.mark.backend
def test_alexnet_smallest_input_builds():
    model = models.create_model("alexnet", input_size=67, task="FA")
    assert tuple(model.output_shape) == (None, 2)


def test_listing_does_not_import_keras():
    code = (
        "import sys, handclf_core.models as m; m.list_models(); m.get_recipe('alexnet'); "
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=True)


@pytest.mark.backend
def test_softmax_stays_float32_under_mixed_precision():
    import keras

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = models.create_model("mnist", task="FA")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert model.layers[2].compute_dtype == "float16"  # the first conv runs in half precision
    assert model.output.dtype == "float32"
    probs = np.asarray(model.predict(_batch("mnist", 2).astype("float32"), verbose=0))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
