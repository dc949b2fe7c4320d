"""The GPU path, proven in one run: device, throughput per model and precision, whether the
input pipeline keeps up, a short AlexNet run in both precisions, peak memory; one JSON.

    KERAS_BACKEND=jax python bench/gpu_check.py --out gpu_check.json          # on a GPU
    python bench/gpu_check.py --quick --data PATH --out gpu_check.json        # anywhere

Made for a lent GPU machine (`bench/gpu_check.sh` sets it up there, from carried wheels),
where it must finish in under 5 minutes; it runs unchanged on a CPU with `--quick` (a few
steps, a tiny AlexNet run), which `tests/test_gpu_check.py` does on every backend the suite
runs. Only Keras 3's backend-neutral API and the project's own training pieces are used, so
what it measures is what `train` runs. Mixed precision is mixed_float16 on a GPU (with the
float32 softmax every model has) and mixed_bfloat16 on a CPU.

For each model and precision, on the frame store of the built-in sample (or --data):
- `data_ms_per_batch`: producing one batch from the store alone (FrameBatches, no model);
- `step_ms_per_batch`: one training step on batches already in memory (`train_on_batch`,
  which waits for the result), and the images/s it gives;
- `fit_images_per_second`: `fit` fed by FrameBatches, prefetching as in training;
- `input_share`: data / (data + step), the share of a step the pipeline would take if it
  did not overlap; `input_bound`: the pipeline alone is slower than the step, so the device
  waits for data however well it overlaps.
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
from handclf_core.inside.embedding import embed  # noqa: E402
from handclf_core.inside.explain import occlusion  # noqa: E402
from handclf_core.models import create_model, get_recipe, list_models, make_optimizer  # noqa: E402
from handclf_core.records import to_json  # noqa: E402
from handclf_core.runs.config import TrainConfig  # noqa: E402
from handclf_core.runs.metrics import evaluate_predictions  # noqa: E402
from handclf_core.runs.predictions import ScoredFrames  # noqa: E402
from handclf_core.training.batches import FrameBatches, predict_rows
from handclf_core.training.devices import configure_device  # noqa: E402
from handclf_core.training.splits import split_indices  # noqa: E402
from handclf_core.vocab import (  # noqa: E402
    CLASSES,  # noqa: E402
    DeviceKind,
    Projection,
    Split,
)


def memory() -> dict:
    """The accelerator's memory as its backend reports it: total and peak bytes in use."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        return {
            "total_bytes": stats.get("bytes_limit"),
            "peak_bytes": stats.get("peak_bytes_in_use"),
        }
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return {
                "total_bytes": torch.cuda.get_device_properties(0).total_memory,
                "peak_bytes": torch.cuda.max_memory_allocated(),
            }
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return {
                "total_bytes": None,
                "peak_bytes": tf.config.experimental.get_memory_info("GPU:0")["peak"],
            }
    return {"total_bytes": None, "peak_bytes": None}  # a CPU: the backends report none


def _compiled(model_name: str, task: str, prep, precision: str):
    keras.mixed_precision.set_global_policy(precision)
    r = get_recipe(model_name)
    model = create_model(model_name, task=task, input_size=prep.size, channels=prep.channels)
    model.compile(
        optimizer=make_optimizer(r), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def throughput(store, labels, rows, model_name, precision, steps, warmup, batch_size=None):
    """Images/s of one model in one precision, and how its input pipeline compares."""
    c = TrainConfig(model=model_name, batch_size=batch_size).resolved()
    prep = c.preprocessing()
    images = store.variant(prep)
    batches = FrameBatches(images, labels, rows, c.batch_size, shuffle=True, seed=0)
    n = min(len(batches), warmup + steps)
    start = time.perf_counter()
    loaded = [batches[i % len(batches)] for i in range(warmup + steps)]
    data_ms = (time.perf_counter() - start) / len(loaded) * 1000
    model = _compiled(model_name, c.task, prep, precision)
    for x, y in loaded[:warmup]:  # compile, warm the caches
        model.train_on_batch(x, y)
    start = time.perf_counter()
    for x, y in loaded[warmup:]:
        model.train_on_batch(x, y)  # returns the loss as a number: waits for the step
    step_s = (time.perf_counter() - start) / steps
    fit_steps = max(1, min(n, steps))
    model.fit(batches, epochs=1, steps_per_epoch=min(warmup, len(batches)) or 1, verbose=0)
    start = time.perf_counter()
    model.fit(batches, epochs=1, steps_per_epoch=fit_steps, verbose=0)
    fit_s = time.perf_counter() - start
    return {
        "model": model_name,
        "precision": precision,
        "batch_size": c.batch_size,
        "input": [prep.size, prep.size, prep.channels],
        "data_ms_per_batch": data_ms,
        "step_ms_per_batch": step_s * 1000,
        "step_images_per_second": c.batch_size / step_s,
        "fit_images_per_second": fit_steps * c.batch_size / fit_s,
        "input_share": data_ms / (data_ms + step_s * 1000),
        "input_bound": data_ms > step_s * 1000,
        "memory": memory(),
    }


def short_alexnet(store, labels, parts, task, precision, epochs, limit, batch_size=None):
    """A short AlexNet run (the recipe, `epochs` epochs): its test-split metrics."""
    c = TrainConfig(model="alexnet", epochs=epochs, limit=limit, batch_size=batch_size).resolved()
    epochs = c.epochs
    prep = c.preprocessing()
    images = store.variant(prep)
    rows = {k: v if limit is None else v[:limit] for k, v in parts.items()}
    model = _compiled("alexnet", task, prep, precision)
    keras.utils.set_random_seed(0)
    train = FrameBatches(images, labels, rows[Split.TRAIN], c.batch_size, shuffle=True, seed=0)
    start = time.perf_counter()
    model.fit(train, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    test_rows = np.sort(rows[Split.TEST])
    majority = int(np.bincount(labels[rows[Split.TRAIN]]).argmax())
    probs = predict_rows(model, images, test_rows)
    test = evaluate_predictions(labels[test_rows], probs, CLASSES[task], majority_class=majority)
    # Looking inside, as Compare and Predict do: the features map, one heat map.
    scored = ScoredFrames(test_rows, labels[test_rows], probs)
    pca = embed(model, images, scored, Projection.PCA)
    occlusion(model, np.asarray(images[test_rows[0]]), int(probs[0].argmax()))  # warm-up
    heat = occlusion(model, np.asarray(images[test_rows[0]]), int(probs[0].argmax()))
    return {
        "precision": precision,
        "epochs": epochs,
        "train_frames": len(rows[Split.TRAIN]),
        "seconds": seconds,
        "test_frames": test.frames,
        "test_accuracy": test.accuracy,
        "balanced_accuracy": test.balanced_accuracy,
        "majority_baseline": test.majority_baseline.accuracy,
        "chance": test.chance,
        "embedding_seconds": pca.seconds,
        "embedding_explained": pca.explained,
        "heat_map_ms": heat.seconds * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="dataset (default: $HANDCAM_DATA, else the sample)")
    parser.add_argument("--out", default="gpu_check.json")
    parser.add_argument("--steps", type=int, default=50, help="timed steps per model")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps first")
    parser.add_argument(
        "--epochs", type=int, help="of the short AlexNet run (default: the recipe's 10)"
    )
    parser.add_argument("--quick", action="store_true", help="a few steps: a check on a CPU")
    args = parser.parse_args()
    batch_size = None  # each recipe's
    if args.quick:  # a check that it runs: a few small batches
        args.steps, args.warmup, args.epochs, batch_size = 2, 1, 1, 8
    started = time.perf_counter()
    device = configure_device()  # on a GPU this turns mixed precision on: set per run below
    mixed = "mixed_float16" if device.kind == DeviceKind.GPU else "mixed_bfloat16"
    ds = load_dataset(args.data)
    t = time.perf_counter()
    store, _ = build_store(ds)
    store_seconds = time.perf_counter() - t
    task = "obj"
    labels = store.frames[task].to_numpy().astype(np.int64)
    parts = split_indices(store.frames, TrainConfig())
    report = {
        "device": to_json(device),
        "keras": keras.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "dataset": {
            "sample": ds.is_sample,
            "hand_frames": len(store),
            "store_seconds": store_seconds,
        },
        "throughput": [],
    }
    for model_name in list_models():
        for precision in ("float32", mixed):
            row = throughput(store, labels, parts[Split.TRAIN], model_name, precision,
                             args.steps, args.warmup, batch_size)  # fmt: skip
            report["throughput"].append(row)
            step, fit = row["step_images_per_second"], row["fit_images_per_second"]
            data, compute = row["data_ms_per_batch"], row["step_ms_per_batch"]
            print(f"{model_name:9} {precision:14} {step:9.0f} img/s step {fit:9.0f} img/s fit,"
                  f" data {data:.1f} ms vs step {compute:.1f} ms", flush=True)  # fmt: skip
    limit = 16 if args.quick else None  # quick: two batches of 8
    report["alexnet_short_run"] = [
        short_alexnet(store, labels, parts, task, p, args.epochs, limit, batch_size)
        for p in ("float32", mixed)
    ]
    keras.mixed_precision.set_global_policy("float32")
    report["memory"] = memory()
    report["seconds"] = time.perf_counter() - started
    Path(args.out).write_text(json.dumps(report, indent=1, default=float))
    print(f"wrote {args.out} in {report['seconds']:.0f} s")


if __name__ == "__main__":
    main()
