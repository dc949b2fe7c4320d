"""What trains: the accelerator the Keras backend sees, set up for training, as a record.

`configure_device()` finds it once per process and prepares it: on a GPU, memory grows as
needed (TensorFlow). Several GPUs on TensorFlow are mirrored (`strategy`). The result is a
`Device`, stored with every run and named by `vocab`.

`preferred_precision()` is the number format a run computes in unless told otherwise: mixed
float16 on a GPU that supports it, mixed bfloat16 on a CPU with bfloat16 instructions (AVX-512
BF16 or AMX: about three times AlexNet's float32 step rate on the classroom CPU, see the
README), float32 elsewhere. It needs no backend import (the web process has none): the
device of this process once `configure_device()` ran, or the one the training process
reported (`adopt`), else the CPU's flags.
"""

from __future__ import annotations

import os
import platform
import sys
from contextlib import nullcontext
from dataclasses import dataclass

from handclf_core.vocab import DeviceKind, Precision
from handclf_core.workers import cpu_count

_known: Device | None = None  # the training device, once configured or reported


@dataclass(frozen=True)
class Device:
    """The device a run trains on."""

    kind: DeviceKind
    count: int  # CPU cores, or GPUs
    name: str  # the GPU's model ("NVIDIA H100"); "" for a CPU
    backend: str  # the Keras backend: tensorflow, jax, torch
    mixed_precision: bool  # a GPU that computes fast in float16 (compute capability >= 7.0)


@dataclass(frozen=True)
class Environment:
    """The software a run trained with, beside its device."""

    device: Device
    keras: str
    python: str
    platform: str
    tensorflow: str | None = None  # on the TensorFlow backend


def native_stderr_to_null() -> None:
    """From now on, send what native code writes to file descriptor 2 to /dev/null, keeping
    Python's own `sys.stderr` (errors, progress bars, warnings) where it was: TensorFlow
    logs there at start-up and again at its first training step."""
    sys.stderr.flush()
    keep = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    if getattr(sys.stderr, "fileno", None) is not None:
        try:
            if sys.stderr.fileno() == 2:  # a terminal's stderr: reopen it on the kept copy
                sys.stderr = os.fdopen(keep, "w", buffering=1, encoding=sys.stderr.encoding)
                return
        except (OSError, ValueError):  # a stream without a descriptor (a notebook's)
            pass
    os.close(keep)


def load_backend_quietly() -> None:
    """Import Keras and its backend and let it meet the device, and keep the backend's
    native logging out of sight from then on (the CLI does this unless --debug; the
    lesson notebook too)."""
    import logging

    native_stderr_to_null()
    import keras

    keras.ops.convert_to_tensor(0.0)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notes and the like


def cpu_has_bfloat16() -> bool:
    """Whether this CPU has bfloat16 instructions (Linux's /proc/cpuinfo flags)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def adopt(device: Device) -> None:
    """Take `device` as the training device of this process (the web app learns it from its
    training process), for `preferred_precision`."""
    global _known
    _known = device


def preferred_precision() -> Precision:
    """The precision a run computes in by default on the training device (module doc)."""
    if _known is not None and _known.kind == DeviceKind.GPU:
        return Precision.MIXED_FLOAT16 if _known.mixed_precision else Precision.FLOAT32
    return Precision.MIXED_BFLOAT16 if cpu_has_bfloat16() else Precision.FLOAT32


def configure_device() -> Device:
    """Find the accelerator the Keras backend sees; on a GPU, grow memory as needed."""
    import keras

    backend = keras.backend.backend()
    gpus: list[str] = []
    capable = False
    if backend == "tensorflow":
        import tensorflow as tf

        for gpu in tf.config.list_physical_devices("GPU"):
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:
                pass  # already initialised by an earlier run in this process
            details = tf.config.experimental.get_device_details(gpu)
            gpus.append(details.get("device_name", gpu.name))
            capable = details.get("compute_capability", (0, 0)) >= (7, 0)
    elif backend == "jax":
        import jax

        gpus = [d.device_kind for d in jax.devices() if d.platform == "gpu"]
        capable = bool(gpus)
    elif backend == "torch":
        import torch

        if torch.cuda.is_available():
            gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            capable = torch.cuda.get_device_capability(0) >= (7, 0)
    if gpus:
        device = Device(DeviceKind.GPU, len(gpus), gpus[0], backend, capable)
    else:
        device = Device(DeviceKind.CPU, cpu_count(), "", backend, False)
    adopt(device)
    return device


def strategy(device: Device):
    """The scope to build a model in, so that several GPUs share each batch.

    TensorFlow: MirroredStrategy, the model replicated on each GPU. JAX: Keras' own
    `DataParallel` distribution over every device the backend sees, set for the process
    (the scope itself does nothing). One device, or the torch backend (one GPU, no
    distribution here): a scope that does nothing.
    """
    several = device.kind == DeviceKind.GPU and device.count > 1
    if several and device.backend == "tensorflow":
        import tensorflow as tf

        return tf.distribute.MirroredStrategy()
    if several and device.backend == "jax":
        import keras

        keras.distribution.set_distribution(
            keras.distribution.DataParallel(devices=keras.distribution.list_devices())
        )
    return type("NoStrategy", (), {"scope": staticmethod(nullcontext)})()


def environment(device: Device) -> Environment:
    """The device with the versions that trained on it."""
    import keras

    tensorflow = None
    if device.backend == "tensorflow":
        import tensorflow as tf

        tensorflow = tf.__version__
    return Environment(
        device=device,
        keras=keras.__version__,
        python=platform.python_version(),
        platform=platform.platform(),
        tensorflow=tensorflow,
    )
