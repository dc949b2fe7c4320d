"""The assignment's three Keras models behind one registry, timm style.

`list_models()` and `get_recipe()` are plain Python: the recipes live in a module-level dict and
Keras is imported only inside the builders, so the CLI's `models` listing and the app's
selectbox start fast. Builders use only Keras 3's backend-neutral API (no TensorFlow import),
so the same code runs under KERAS_BACKEND=jax. Every model takes pixels in 0..255 (as float)
and rescales them itself, so inference needs no separate normalisation step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handclf_core.errors import HandCamError
from handclf_core.vocab import CLASSES, Task


@dataclass(frozen=True)
class Recipe:
    """How a model is fed and trained by default; frozen, so it can name a cache entry."""

    input_size: int  # square side in pixels the model takes (from the assignment's spec)
    channels: int  # 3 RGB, 1 grayscale (the mnist net is the Keras example's grayscale one)
    flip_right: bool  # mirror right-hand frames so both hands look alike (AlexNet lesson only)
    optimizer: str  # "adam" | "adadelta" | "sgd", as in the example each model comes from
    learning_rate: float  # that example's learning rate
    batch_size: int  # that example's batch size
    epochs: int  # that example's epoch count (mnist: the Keras example's 12)
    min_input_size: int  # smallest side its valid convs and pools accept (below: empty maps)
    momentum: float = 0.0  # SGD only: the AlexNet paper's 0.9 (plain SGD barely moves in 10 epochs)


_REGISTRY: dict[str, tuple[Callable, Recipe]] = {}


def register_model(name: str, recipe: Recipe) -> Callable:
    """Decorator: register `builder(input_shape, num_classes, name) -> keras.Model` as `name`."""

    def decorate(builder: Callable) -> Callable:
        _REGISTRY[name] = (builder, recipe)
        return builder

    return decorate


def list_models() -> list[str]:
    """Registered model names in registration order (feeds the CLI's choices and the app)."""
    return list(_REGISTRY)


def get_recipe(name: str) -> Recipe:
    """The default recipe of model `name`; HandCamError if no model has that name."""
    return _entry(name)[1]


def _entry(name: str) -> tuple[Callable, Recipe]:
    if name not in _REGISTRY:
        raise HandCamError(f"unknown model {name!r}; expected one of {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def create_model(
    name: str,
    *,
    num_classes: int | None = None,
    task: str = "obj",
    input_size: int | None = None,
    channels: int | None = None,
):
    """Build the uncompiled Keras model `name`.

    Args:
        name: a registered model name (see `list_models()`).
        num_classes: output units; defaults to the number of classes of `task`.
        task: "obj", "ges" or "FA"; only used for the default `num_classes`.
        input_size: square input side in pixels; defaults to the recipe's.
        channels: 3 (RGB) or 1 (grayscale); defaults to the recipe's.

    Returns:
        A `keras.Model` named `name` taking (N, size, size, channels) floats in 0..255 and
        returning (N, num_classes) float32 softmax probabilities.

    Raises:
        HandCamError: unknown model or task, too few classes, an input too small for the
            architecture, or a channel count other than 1 or 3.
    """
    builder, recipe = _entry(name)
    task = Task.of(task)
    num_classes = len(CLASSES[task]) if num_classes is None else num_classes
    size = recipe.input_size if input_size is None else input_size
    channels = recipe.channels if channels is None else channels
    if num_classes < 2:
        raise HandCamError(f"a classifier needs at least 2 classes, got {num_classes}")
    if size < recipe.min_input_size:
        raise HandCamError(
            f"{name} needs inputs of at least {recipe.min_input_size} px, got {size} px"
        )
    if channels not in (1, 3):
        raise HandCamError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels}")
    return builder((size, size, channels), num_classes, name)


def make_optimizer(
    recipe_or_name: Recipe | str,
    learning_rate: float | None = None,
    momentum: float | None = None,
):
    """A fresh Keras optimizer of the recipe's kind.

    Args:
        recipe_or_name: a `Recipe` (e.g. one changed with `dataclasses.replace`) or a model name.
        learning_rate: overrides the recipe's learning rate when given.
        momentum: overrides the recipe's momentum when given (SGD only; 0 is plain SGD).
    """
    import keras

    r = recipe_or_name if isinstance(recipe_or_name, Recipe) else get_recipe(recipe_or_name)
    kinds = {
        "adam": keras.optimizers.Adam,
        "adadelta": keras.optimizers.Adadelta,
        "sgd": keras.optimizers.SGD,
    }
    if r.optimizer not in kinds:
        raise HandCamError(f"unknown optimizer {r.optimizer!r}; expected one of {', '.join(kinds)}")
    lr = r.learning_rate if learning_rate is None else learning_rate
    m = r.momentum if momentum is None else momentum
    if r.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=m)
    if m:
        raise HandCamError(f"momentum applies to SGD only; {r.optimizer} was given {m}")
    return kinds[r.optimizer](learning_rate=lr)


def describe_models(task: str = "obj") -> list[dict]:
    """One dict per registered model for the CLI's `models`.

    Args:
        task: sets the class count behind "params" (each model is built to count them,
            once: the counts are kept in the cache, keyed by this file and Keras' version,
            so later calls import no TensorFlow).

    Returns:
        [{"name", "input_shape": [h, w, c], "params", "optimizer", "learning_rate",
        "momentum", "batch_size", "epochs", "flip_right"}, ...] in registration order.
    """
    keys = ("optimizer", "learning_rate", "momentum", "batch_size", "epochs", "flip_right")
    params = _param_counts(task)
    rows = []
    for name in list_models():
        r = get_recipe(name)
        shape = [r.input_size, r.input_size, r.channels]
        rows.append({"name": name, "input_shape": shape, "params": params[name]})
        rows[-1].update({k: getattr(r, k) for k in keys})
    return rows


def _param_counts(task: str) -> dict[str, int]:
    """Parameters of each registered model at its recipe's input, for `task`'s classes."""
    import hashlib
    import json
    from importlib.metadata import version
    from pathlib import Path

    from handclf_core.atomic import write_file
    from handclf_core.paths import cache_dir, cache_folder

    task = Task.of(task)
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    path = cache_dir() / "models" / f"params-{task}-{code}-keras{version('keras')}.json"
    try:
        counts = json.loads(path.read_text())
        if set(counts) == set(list_models()):
            return counts
    except (OSError, ValueError):
        pass  # not counted yet, or damaged: count again
    counts = {name: int(create_model(name, task=task).count_params()) for name in list_models()}
    write_file(
        cache_folder(path.parent, "the folder of model counts") / path.name, json.dumps(counts)
    )
    return counts


def _head(keras, x, num_classes: int):
    # float32 softmax: under mixed_float16 a float16 softmax loses small probabilities.
    return keras.layers.Dense(num_classes, activation="softmax", dtype="float32")(x)


# Two 2x2 pools need at least 4 px.
@register_model("cnn_basic", Recipe(
    input_size=32, channels=3, flip_right=False, min_input_size=4,
    optimizer="adam", learning_rate=0.001, batch_size=128, epochs=10))  # fmt: skip
def _cnn_basic(input_shape, num_classes, name):
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)  # (N, 32, 32, 3) 0..255
    x = layers.Rescaling(1 / 255)(inputs)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.Dropout(0.25)(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.Dropout(0.25)(x)
    x = layers.MaxPooling2D(2)(x)  # (N, 8, 8, 64)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.25)(x)
    x = layers.Dense(1024, activation="relu")(x)
    x = layers.Dropout(0.25)(x)
    return keras.Model(inputs, _head(keras, x, num_classes), name=name)


# Two valid 3x3 convs (-4 px) then a 2x2 pool need at least 6 px.
@register_model("mnist", Recipe(
    input_size=28, channels=1, flip_right=False, min_input_size=6,
    optimizer="adadelta", learning_rate=1.0, batch_size=128, epochs=12))  # fmt: skip
def _mnist(input_shape, num_classes, name):
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)  # (N, 28, 28, 1) 0..255
    x = layers.Rescaling(1 / 255)(inputs)
    x = layers.Conv2D(32, 3, activation="relu")(x)  # (N, 26, 26, 32)
    x = layers.Conv2D(64, 3, activation="relu")(x)  # (N, 24, 24, 64)
    x = layers.MaxPooling2D(2)(x)  # (N, 12, 12, 64)
    x = layers.Dropout(0.25)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    return keras.Model(inputs, _head(keras, x, num_classes), name=name)


# 11x11/4 conv then three 3x3/2 pools: 67 px is the smallest side leaving a 1x1 map.
@register_model("alexnet", Recipe(
    input_size=227, channels=3, flip_right=True, min_input_size=67,
    optimizer="sgd", learning_rate=0.01, momentum=0.9, batch_size=64, epochs=10))  # fmt: skip
def _alexnet(input_shape, num_classes, name):
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)  # (N, 227, 227, 3) 0..255
    x = layers.Rescaling(1 / 255)(inputs)
    x = layers.Conv2D(96, 11, strides=4, activation="relu")(x)  # (N, 55, 55, 96)
    x = layers.MaxPooling2D(3, strides=2)(x)  # (N, 27, 27, 96)
    x = layers.Conv2D(256, 5, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(3, strides=2)(x)  # (N, 13, 13, 256)
    x = layers.Conv2D(384, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(384, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(256, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(3, strides=2)(x)  # (N, 6, 6, 256)
    x = layers.Flatten()(x)
    x = layers.Dense(4096, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Dense(4096, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    return keras.Model(inputs, _head(keras, x, num_classes), name=name)
