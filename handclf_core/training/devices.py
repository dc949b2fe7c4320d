"""What trains: the accelerator the Keras backend sees, set up for training.

`configure_device()` finds it once per process and prepares it: on a GPU, memory grows as
needed (TensorFlow). Several GPUs are used together (`strategy`). The result is a
`runs.device.Device`, stored with every run (with `environment`) and named by `vocab`; it
becomes this process's training device for the default precision (`runs.device.adopt`).
Each backend (TensorFlow, JAX, torch) has its own path where Keras has no neutral one.
"""

from __future__ import annotations

import platform
from contextlib import nullcontext

from handclf_core.runs.device import Device, Environment, adopt
from handclf_core.vocab import DeviceKind
from handclf_core.workers import cpu_count


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
