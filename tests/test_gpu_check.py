"""The prepared GPU check runs here, on the CPU, on every backend the suite runs: when a GPU
machine is lent, its one run is spent on figures, not on finding a typo."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend  # every test here runs again on JAX

ROOT = Path(__file__).resolve().parents[1]
BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
FIELDS = {
    "model", "precision", "batch_size", "input", "data_ms_per_batch", "step_ms_per_batch",
    "step_images_per_second", "fit_images_per_second", "input_share", "input_bound", "memory",
}  # fmt: skip
QUICK_XLA = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"


@pytest.mark.skipif(BACKEND != "jax", reason="the GPU machine's backend: the suite's JAX pass")
def test_gpu_check_runs_and_reports_every_field(sample_root, sample_ds, tmp_path):
    """Through the wrapper a GPU machine runs (bench/gpu_check.sh), on this backend."""
    from handclf_core.data.store import build_store

    build_store(sample_ds)  # the suite's store, decoded once
    out = tmp_path / "gpu_check.json"
    # No budget of a lent machine here: a busy CPU may take longer, and only a hang fails.
    # XLA compiles without its costly optimisations: this checks that every part runs and
    # reports, its figures are not looked at (62 s -> 52 s on this machine).
    env = {**os.environ, "OUT": str(tmp_path), "KERAS_BACKEND": BACKEND, "GPU_CHECK_TIMEOUT": "0",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "XLA_FLAGS": QUICK_XLA}  # fmt: skip
    run = subprocess.run(
        ["bash", str(ROOT / "bench" / "gpu_check.sh"), "--quick", "--data", str(sample_root)],
        capture_output=True, text=True, env=env, timeout=1800,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["device"]["backend"] == BACKEND and report["device"]["kind"] == "cpu"
    assert report["dataset"]["hand_frames"] == len(sample_ds.hand_frames())
    rows = {(r["model"], r["precision"]): r for r in report["throughput"]}
    assert set(rows) == {(m, p) for m in ("cnn_basic", "mnist", "alexnet")
                         for p in ("float32", "mixed_bfloat16")}  # fmt: skip
    for row in rows.values():
        assert set(row) == FIELDS
        assert row["step_images_per_second"] > 0 and row["fit_images_per_second"] > 0
        assert 0 < row["input_share"] < 1 and row["data_ms_per_batch"] > 0
        assert set(row["memory"]) == {"total_bytes", "peak_bytes"}
    assert rows["mnist", "float32"]["input"] == [28, 28, 1]
    short = report["alexnet_short_run"]
    assert [r["precision"] for r in short] == ["float32", "mixed_bfloat16"]
    for r in short:
        assert 0 <= r["test_accuracy"] <= 1 and 0 <= r["balanced_accuracy"] <= 1
        assert r["test_frames"] > 0 and r["majority_baseline"] > 0
        assert r["embedding_seconds"] > 0 and 0 < r["embedding_explained"] <= 1
        assert r["heat_map_ms"] > 0  # the look inside runs on this backend too
    assert set(report["memory"]) == {"total_bytes", "peak_bytes"} and report["seconds"] > 0


@pytest.mark.skipif(BACKEND != "jax", reason="the JAX path of several devices")
def test_several_devices_share_a_batch_on_jax(tmp_path):
    """Two devices (JAX's host platform split in two, as XLA allows): the distribution that
    several GPUs get is set, and a model trains a step under it."""
    code = """
import numpy as np, keras
from handclf_core.runs.device import Device
from handclf_core.training.devices import strategy
from handclf_core.models import create_model
from handclf_core.vocab import DeviceKind
two = Device(DeviceKind.GPU, 2, "test", "jax", False)
with strategy(two).scope():
    model = create_model("mnist", task="FA")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
dist = keras.distribution.distribution()
assert type(dist).__name__ == "DataParallel", dist
assert len(dist.device_mesh.devices.ravel()) == 2
loss = model.train_on_batch(np.zeros((4, 28, 28, 1), "float32"), np.array([0, 1, 0, 1]))
assert np.isfinite(loss), loss
print("ok")
"""
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=1200)  # fmt: skip
    assert run.returncode == 0 and run.stdout.strip().endswith("ok"), run.stderr[-3000:]
