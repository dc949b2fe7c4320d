"""Benchmark: training throughput from the frame store vs from in-memory NumPy arrays.

    python bench/bench_train.py [--frames N] [--epochs E] [--models cnn_basic,mnist,alexnet]

For each model, the same training frames, batch size and number of epochs are fed twice,
alternately, in one run: (a) as NumPy arrays already in memory (`model.fit(x, y)`, the
fastest input there is) and (b) streamed from the store's memory-mapped variant through the
project's `FrameBatches` (shuffled per epoch, prefetched by worker threads). The first epoch
of each is a warm-up (graph tracing) and is not timed. The ratio (b)/(a) says whether the
input pipeline or the model sets the speed. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from handclf_core.data.dataset import load_dataset  # noqa: E402
from handclf_core.data.store import build_store  # noqa: E402
from handclf_core.models import create_model, get_recipe, make_optimizer  # noqa: E402
from handclf_core.records import to_json  # noqa: E402
from handclf_core.runs.config import TrainConfig  # noqa: E402
from handclf_core.training.batches import FrameBatches
from handclf_core.training.devices import configure_device  # noqa: E402
from handclf_core.training.splits import split_indices  # noqa: E402
from handclf_core.views.runs import device_name  # noqa: E402


class _EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)

    def on_train_begin(self, logs=None):
        self.times = []


def _fit(name, images, labels, idx, batch, epochs, source) -> float:
    """Images per second over the epochs after the first."""
    keras.utils.set_random_seed(0)
    recipe = get_recipe(name)
    model = create_model(name, input_size=images.shape[1], channels=images.shape[-1])
    model.compile(
        optimizer=make_optimizer(recipe),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    timer = _EpochTimer()
    if source == "memory":
        x, y = np.array(images[np.sort(idx)]), labels[np.sort(idx)]  # (N, s, s, C) uint8
        model.fit(
            x, y, batch_size=batch, epochs=epochs + 1, shuffle=True, verbose=0, callbacks=[timer]
        )
    else:
        data = FrameBatches(images, labels, idx, batch, shuffle=True, seed=0)
        model.fit(data, epochs=epochs + 1, verbose=0, callbacks=[timer])
    return len(idx) * epochs / sum(timer.times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1024, help="training frames per model")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs (after a warm-up)")
    parser.add_argument("--models", default="cnn_basic,mnist,alexnet")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of (a) and (b)")
    parser.add_argument("--out", help="write the report as JSON here")
    args = parser.parse_args()

    device = configure_device()
    ds = load_dataset()
    store, _ = build_store(ds)
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "keras": keras.__version__,
            "device": to_json(device),
        },
        "models": [],
    }
    print(f"{device_name(device)}, backend {device.backend}, dataset {ds.description}")
    print(f"{'model':10} {'frames':>6} {'batch':>5} {'memory img/s':>13} {'store img/s':>12} ratio")
    for name in args.models.split(","):
        config = TrainConfig(model=name).resolved()
        images = store.variant(config.preprocessing())
        labels = store.frames.obj.to_numpy().astype(np.int64)
        frames = args.frames if name != "alexnet" else min(args.frames, 256)
        idx = split_indices(store.frames, config)["train"][:frames]
        rates = {"memory": [], "store": []}
        for _ in range(args.rounds):
            for source in rates:
                rates[source].append(
                    _fit(name, images, labels, idx, config.batch_size, args.epochs, source)
                )
        mem, sto = max(rates["memory"]), max(rates["store"])  # best of rounds: least noise
        print(f"{name:10} {frames:6} {config.batch_size:5} {mem:13.1f} {sto:12.1f} {sto / mem:.3f}")
        report["models"].append(
            {
                "model": name,
                "frames": frames,
                "batch": config.batch_size,
                "memory_images_per_second": rates["memory"],
                "store_images_per_second": rates["store"],
                "ratio_best": sto / mem,
            }
        )
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
