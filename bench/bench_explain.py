"""Benchmark: the time of one heat map (occlusion sensitivity) per model, on one real frame.

    python bench/bench_explain.py [--rounds 5] [--grid 8] [--image PATH] [--out F]

For each model, built fresh (the time does not depend on the weights), in float32 and in
the device's mixed precision: the median over `--rounds` of `explain.occlusion` on the
model's input of one 1920x1080 frame (the real one in ../shared when it is there, else a
drawn one), after one warm-up call. grid x grid covered copies + 1 go through the model in
one batch. Target: under 1 s per frame for AlexNet on the classroom CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from PIL import Image  # noqa: E402

from handclf_core.data.images import preprocess  # noqa: E402
from handclf_core.inside.explain import occlusion  # noqa: E402
from handclf_core.models import create_model, list_models  # noqa: E402
from handclf_core.runs.config import TrainConfig  # noqa: E402
from handclf_core.runs.device import preferred_precision  # noqa: E402
from handclf_core.training.devices import configure_device  # noqa: E402
from handclf_core.views.runs import device_name  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "handcam" / "frames"


def _frame(path: str | None) -> tuple[Image.Image, str]:
    if path:
        return Image.open(path).convert("RGB"), Path(path).name
    real = REAL / "house_Lhand_Image723.png"
    if real.is_file():
        return Image.open(real).convert("RGB"), real.name
    from handclf_core.data.drawing import draw_hand_frame

    key = (0, "test", "house", 1, "Lhand", 1)
    return draw_hand_frame({"obj": 20, "ges": 2, "FA": 1}, "house", (1920, 1080), key), "drawn"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--grid", type=int, default=8)
    parser.add_argument("--image", help="a picture (default: a real 1920x1080 frame)")
    parser.add_argument("--out", default="docs/explain.json")
    args = parser.parse_args()
    device = configure_device()
    picture, shown = _frame(args.image)
    load = os.getloadavg()[0]
    w, h = picture.size
    print(f"{device_name(device)}, backend {device.backend}, load average {load:.2f}, "
          f"frame {shown} ({w}x{h}), {args.grid}x{args.grid} cells")  # fmt: skip
    print(f"{'model':10} {'precision':15} {'median ms':>9} {'min ms':>7}")
    report = []
    for model_name in list_models():
        config = TrainConfig(model=model_name).resolved()
        x = preprocess(picture, config.preprocessing(), hand="left")
        for precision in dict.fromkeys(["float32", str(preferred_precision())]):
            keras.mixed_precision.set_global_policy(precision)
            try:
                model = create_model(model_name, input_size=config.size, channels=x.shape[-1])
            finally:
                keras.mixed_precision.set_global_policy("float32")
            occlusion(model, x, 0, args.grid)  # warm-up: the first call builds the graph
            times = [occlusion(model, x, 0, args.grid).seconds * 1000 for _ in range(args.rounds)]
            print(f"{model_name:10} {precision:15} {statistics.median(times):9.0f} "
                  f"{min(times):7.0f}")  # fmt: skip
            report.append({"model": model_name, "precision": precision, "ms": times})
    Path(args.out).write_text(json.dumps({"device": device_name(device), "load": load,
                                          "grid": args.grid, "frame": shown,
                                          "runs": report}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
