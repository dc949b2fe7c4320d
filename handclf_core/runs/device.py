"""What a run trains on, as its record keeps it, and the number format it computes in unless
told otherwise.

`Device` and `Environment` are stored with every run (`runs.record.Run.environment`).
`preferred_precision()` is the precision a configuration that leaves it unset resolves to:
mixed float16 on a GPU that supports it, mixed bfloat16 on a CPU with bfloat16 instructions
(AVX-512 BF16 or AMX: about three times AlexNet's float32 step rate on the classroom CPU, see
the README), float32 elsewhere. It imports no backend (the web process has none): it asks
the training device of this process, which `training.devices.configure_device` finds and the
web process learns from its training process (`adopt`), else the CPU's flags. That device is
the one process-wide fact here, kept in `_known`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from handclf_core.vocab import DeviceKind, Precision

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


@functools.cache
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
