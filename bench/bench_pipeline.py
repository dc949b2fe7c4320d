"""Can the frame store feed a fast accelerator? Batches alone (no model), per input size.

    python bench/bench_pipeline.py [--data PATH] [--batches 200] [--out pipeline.json]

For each recipe's input (32x32 RGB, 28x28 gray, 227x227 RGB mirrored) at its batch size,
the training batches `FrameBatches` reads from the store's memory map (shuffled, as in
training), measured side by side in one run: on one thread, and on 2 and 4 threads at once
(JAX and torch prefetch with worker threads; TensorFlow with tf.data's own). Beside each,
the most images/s one H200 could train that model at, from the model's arithmetic:
3 x its forward FLOPs per image (forward, and backward twice) at the bf16 matrix rate
measured on a lent H200 (788 TFLOP/s, the device tool's notes). That is a ceiling no real
step reaches; the GPU check (`bench/gpu_check.py`) measures the real step there.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from handclf_core.data.dataset import load_dataset  # noqa: E402
from handclf_core.data.store import build_store  # noqa: E402
from handclf_core.models import create_model, list_models  # noqa: E402
from handclf_core.runs.config import TrainConfig  # noqa: E402
from handclf_core.training.batches import FrameBatches
from handclf_core.training.splits import split_indices  # noqa: E402
from handclf_core.vocab import Split  # noqa: E402

H200_BF16_FLOPS = 788e12  # measured here on a lent H200 (8192^3 bf16 matrix products)


def forward_flops(model) -> float:
    """Multiply-adds x 2 of the convolutions and dense layers, per image."""
    import keras

    total = 0.0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            kh, kw = layer.kernel_size
            total += 2 * kh * kw * layer.input.shape[-1] * c_out * h * w
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * layer.input.shape[-1] * layer.units
    return total


def batch_rate(batches: FrameBatches, count: int, threads: int) -> float:
    """Images/s producing `count` batches on `threads` threads at once."""
    indices = [i % len(batches) for i in range(count)]
    start = time.perf_counter()
    if threads == 1:
        sizes = [len(batches[i][1]) for i in indices]
    else:
        with ThreadPoolExecutor(threads) as pool:
            sizes = list(pool.map(lambda i: len(batches[i][1]), indices))
    return sum(sizes) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="dataset (default: $HANDCAM_DATA, else the sample)")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--out")
    args = parser.parse_args()
    ds = load_dataset(args.data)
    store, _ = build_store(ds)
    labels = store.frames["obj"].to_numpy().astype(np.int64)
    rows = split_indices(store.frames, TrainConfig())[Split.TRAIN]
    load = os.getloadavg()[0]
    print(f"{len(rows):,} training frames of {ds.description}; load average {load:.1f}")
    print(f"{'model':9} {'input':12} {'batch':>5} {'1 thread':>10} {'2 threads':>10} "
          f"{'4 threads':>10} {'H200 ceiling':>13}  (images/s)")  # fmt: skip
    report = {"cpus": os.cpu_count(), "python": platform.python_version(), "load": load,
              "frames": len(rows), "inputs": []}  # fmt: skip
    for name in list_models():
        c = TrainConfig(model=name).resolved()
        prep = c.preprocessing()
        images = store.variant(prep)
        batches = FrameBatches(images, labels, rows, c.batch_size, shuffle=True, seed=0)
        batch_rate(batches, 20, 1)  # the page cache warm for every size alike
        rates = {n: batch_rate(batches, args.batches, n) for n in (1, 2, 4)}
        flops = forward_flops(create_model(name, input_size=prep.size, channels=prep.channels))
        ceiling = H200_BF16_FLOPS / (3 * flops)
        shape = f"{prep.size}x{prep.size}x{prep.channels}"
        print(f"{name:9} {shape:12} {c.batch_size:5} {rates[1]:10,.0f} {rates[2]:10,.0f} "
              f"{rates[4]:10,.0f} {ceiling:13,.0f}")  # fmt: skip
        report["inputs"].append(
            {
                "model": name,
                "input": shape,
                "batch_size": c.batch_size,
                "images_per_second": rates,
                "forward_gflops": flops / 1e9,
                "h200_ceiling_images_per_second": ceiling,
            }  # fmt: skip
        )
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
