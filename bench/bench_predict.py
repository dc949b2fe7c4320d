"""Benchmark: single-image predict latency on a real 1920x1080 frame, per model.

    python bench/bench_predict.py [--runs 40] [--out report.json]

For each model, a stored run (trained quickly on the built-in sample if none is stored:
latency does not depend on how well it was trained) classifies the real right-hand frame
from ../shared/handcam/frames (or a drawn 1920x1080 frame where that folder is absent) the
way the app and the CLI do: read the PNG file, decode, preprocess, forward pass. After 3
warm-up calls, `--runs` calls are timed; the median and 95th percentile are reported.
Targets on a 2-core CPU: cnn_basic and mnist under 60 ms, alexnet under 150 ms.
This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from handclf_core.data.dataset import load_dataset  # noqa: E402
from handclf_core.data.images import decode_image  # noqa: E402
from handclf_core.inside.predict import predict  # noqa: E402
from handclf_core.models import list_models  # noqa: E402
from handclf_core.records import to_json  # noqa: E402
from handclf_core.runs.config import TrainConfig  # noqa: E402
from handclf_core.runs.folders import list_runs  # noqa: E402
from handclf_core.training.devices import configure_device  # noqa: E402
from handclf_core.training.train import train  # noqa: E402
from handclf_core.views.runs import device_name  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared/handcam/frames/house_Rhand_Image723.png"
TARGET_MS = {"cnn_basic": 60, "mnist": 60, "alexnet": 150}


def _frame(tmp: Path) -> Path:
    if REAL.is_file():
        return REAL
    from handclf_core.data.drawing import draw_hand_frame

    labels = {"obj": 20, "ges": 2, "FA": 1}  # a cookie package, as in the real frame
    key = (0, "test", "house", 1, "Rhand", 1)
    im = draw_hand_frame(labels, "house", (1920, 1080), key, mirror=True)
    im.save(tmp, "PNG")
    return tmp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--out", help="write the report as JSON here")
    args = parser.parse_args()
    device = configure_device()
    ds = load_dataset()
    frame = _frame(Path(tempfile.gettempdir()) / "bench_predict_frame.png")
    data = frame.read_bytes()
    t = time.perf_counter()
    decode_image(data, frame.name)
    decode_ms = (time.perf_counter() - t) * 1000
    print(
        f"{device_name(device)}; frame {frame.name} ({len(data) / 1e6:.1f} MB, "
        f"decode ~{decode_ms:.0f} ms)"
    )
    print(f"{'model':10} {'median ms':>10} {'p95 ms':>8} {'target':>7}")
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "device": to_json(device),
        },
        "frame": frame.name,
        "models": [],
    }
    for name in list_models():
        stored = [r for r in list_runs(ds.identity, "obj") if r.model == name]
        run = stored[0] if stored else train(ds, TrainConfig(model=name, epochs=1, limit=64))[0]
        for _ in range(3):
            predict(frame, run, hand="right")
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            predict(frame, run, hand="right")
            times.append((time.perf_counter() - t) * 1000)
        median, p95 = np.median(times), np.percentile(times, 95)
        print(f"{name:10} {median:10.1f} {p95:8.1f} {TARGET_MS[name]:7}")
        report["models"].append(
            {"model": name, "median_ms": median, "p95_ms": p95, "target_ms": TARGET_MS[name]}
        )
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1, default=float))


if __name__ == "__main__":
    main()
