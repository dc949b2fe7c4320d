"""What a run's `model.keras` may hold before Keras is let near it.

A `.keras` file is a zip of `config.json` (the model's structure: which classes to build,
with which arguments), `metadata.json` and `model.weights.h5`. Keras' safe mode refuses a
Lambda layer's code, but it still builds whatever class the config names from any module
Keras can import. So a run's file is read first, without Keras: its members, at most a few
MB each, and every object of its config that names a class must name one the three models
of `models.py` are made of (an allow-list, not a deny-list), every activation one they use.
A file that asks for more is refused by name and never loaded.
"""

from __future__ import annotations

import functools
import json
import zipfile
from pathlib import Path

from handclf_core.errors import HandCamError

MEMBERS = {"config.json": 2**20, "metadata.json": 2**16, "model.weights.h5": 2**31}
# (module, class_name) of every object the three models' files name: their layers, the
# initializers and precision policies of those layers, the optimizers the recipes compile
# with (a mixed-float16 one wrapped in a loss scale), and the functional model itself.
LAYERS = ("InputLayer", "Rescaling", "Conv2D", "MaxPooling2D", "Dropout", "Flatten", "Dense")
ALLOWED = {
    *(("keras.layers", c) for c in LAYERS),
    *(("keras.initializers", c) for c in ("GlorotUniform", "Zeros")),
    *(("keras.optimizers", c) for c in ("Adam", "Adadelta", "SGD", "LossScaleOptimizer")),
    ("keras", "DTypePolicy"),
    ("keras", "FloatDTypePolicy"),
    ("keras.src.models.functional", "Functional"),
    (None, "__keras_tensor__"),  # a link between two layers
}
ACTIVATIONS = {"relu", "softmax", "linear"}


def check_model_file(path: Path) -> None:
    """HandCamError naming `path` unless it is a zip of the members a Keras model file has,
    whose config names only classes of the allow-list (checked once per file version)."""
    st = path.stat()
    _check(path, st.st_size, st.st_mtime_ns, st.st_ino)


@functools.lru_cache(maxsize=64)
def _check(path: Path, size: int, mtime_ns: int, inode: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {i.filename: i for i in archive.infolist()}
            odd = sorted(set(infos) - set(MEMBERS))
            if odd or "config.json" not in infos:
                found = f"a member {odd[0]!r}" if odd else "no config.json"
                raise HandCamError(
                    f"{path}: expected a Keras model file of the three models, found {found}"
                )
            for name, info in infos.items():
                if info.file_size > MEMBERS[name]:
                    raise HandCamError(
                        f"{path}: {name}: expected at most {MEMBERS[name]:,} "
                        f"bytes, found {info.file_size:,}"
                    )
            with archive.open("config.json") as f:
                raw = f.read(MEMBERS["config.json"] + 1)
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError) as e:  # RuntimeError: enc.
        raise HandCamError(f"{path}: expected a Keras model file (a zip), found: {e}") from None
    try:
        config = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise HandCamError(f"{path}: config.json: expected JSON, found: {e}") from None
    _walk(path, config, "config")


def _walk(path: Path, node, where: str) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(path, item, f"{where}[{i}]")
        return
    if not isinstance(node, dict):
        return
    if "class_name" in node or "module" in node or "registered_name" in node:
        module, name = node.get("module"), node.get("class_name")
        registered = node.get("registered_name")
        if (module, name) not in ALLOWED or registered not in (None, name):
            shown = ".".join(str(p) for p in (module, registered or name) if p is not None)
            raise HandCamError(
                f"{path}: {where}: expected only the layers of the three models, found "
                f"{shown[:80]!r} (the file was not loaded: delete the run's folder)"
            )
    activation = node.get("activation")  # a dict: its class is checked below
    if (
        activation is not None
        and not isinstance(activation, dict)
        and (not isinstance(activation, str) or activation not in ACTIVATIONS)
    ):
        expected, found = ", ".join(sorted(ACTIVATIONS)), str(activation)[:80]
        raise HandCamError(
            f"{path}: {where}.activation: expected one of {expected}, found {found!r}"
        )
    for key, value in node.items():
        _walk(path, value, f"{where}.{key}")
