"""Benchmark: looking inside a run — scoring its test frames, and the map of their features.

    python bench/bench_inside.py [--frames 2528] [--rounds 3] [--out docs/inside.json]

For each model, built fresh (the time does not depend on the weights) in the device's
mixed precision, on `--frames` random frames at its input size (2528: the built-in
sample's test split):
- scoring, side by side: `batches.predict_rows` (a loop of `predict_on_batch`, what
  training and `mistakes.score_run` use) against `model.predict` over the same batches
  (tf.data's pipeline on TensorFlow), median of `--rounds`, in frames per second;
- the embedding map: penultimate-layer features plus PCA of every frame, and plus t-SNE of
  at most `embedding.MAP_POINTS`, once each (t-SNE's time barely depends on the model).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from handclf_core.inside.embedding import embed  # noqa: E402
from handclf_core.models import create_model, list_models  # noqa: E402
from handclf_core.runs.config import TrainConfig  # noqa: E402
from handclf_core.runs.device import preferred_precision  # noqa: E402
from handclf_core.runs.predictions import ScoredFrames  # noqa: E402
from handclf_core.training.batches import FrameBatches, predict_rows  # noqa: E402
from handclf_core.training.devices import configure_device  # noqa: E402
from handclf_core.views.runs import device_name  # noqa: E402


def _timed(f, *args, **kw) -> float:
    start = time.perf_counter()
    f(*args, **kw)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=2528)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default="docs/inside.json")
    args = parser.parse_args()
    device = configure_device()
    precision = str(preferred_precision())
    load = os.getloadavg()[0]
    print(f"{device_name(device)}, backend {device.backend}, {precision}, load average "
          f"{load:.2f}, {args.frames} frames")  # fmt: skip
    print(f"{'model':10} {'loop f/s':>9} {'predict f/s':>11} {'ratio':>6} {'PCA s':>6} "
          f"{'t-SNE s':>7}")  # fmt: skip
    rng = np.random.default_rng(0)
    report = []
    for name in list_models():
        c = TrainConfig(model=name).resolved()
        prep = c.preprocessing()
        images = rng.integers(0, 256, (args.frames, c.size, c.size, prep.channels), np.uint8)
        rows = np.arange(args.frames)
        keras.mixed_precision.set_global_policy(precision)
        try:
            model = create_model(name, input_size=c.size, channels=prep.channels)
        finally:
            keras.mixed_precision.set_global_policy("float32")
        batches = FrameBatches(images, np.zeros(args.frames, np.int64), rows, 256)
        predict_rows(model, images, rows[:256])  # warm-up: both build their functions
        model.predict(FrameBatches(images, np.zeros(args.frames, np.int64), rows[:256], 256),
                      verbose=0)  # fmt: skip
        loop, fit_like = [], []
        for _ in range(args.rounds):  # alternated, so both see the same load
            loop.append(_timed(predict_rows, model, images, rows))
            fit_like.append(_timed(model.predict, batches, verbose=0))
        probs = predict_rows(model, images, rows)
        scored = ScoredFrames(rows, rng.integers(0, probs.shape[1], args.frames), probs)
        pca = embed(model, images, scored, "pca").seconds
        tsne = embed(model, images, scored, "tsne").seconds
        rate = args.frames / statistics.median(loop)
        other = args.frames / statistics.median(fit_like)
        print(f"{name:10} {rate:9.0f} {other:11.0f} {rate / other:6.2f} {pca:6.1f} {tsne:7.1f}")
        report.append({"model": name, "loop_seconds": loop, "predict_seconds": fit_like,
                       "pca_seconds": pca, "tsne_seconds": tsne})  # fmt: skip
    summary = {"device": device_name(device), "backend": device.backend, "precision": precision,
               "load": load, "frames": args.frames, "runs": report}  # fmt: skip
    Path(args.out).write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
