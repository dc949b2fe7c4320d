"""Benchmark: does mixed precision change what a model learns? float32 against the CPU's
mixed bfloat16 (or a GPU's mixed float16), several seeds, on the test split.

    python bench/bench_precision.py [--seeds 0,1,2] [--models cnn_basic,alexnet] [--quick]
                                    [--out docs/precision.md]

Trains (or loads, when stored) each model's recipe (its quick preset with --quick) once
per seed and precision, and writes a Markdown table of test and balanced accuracy per run,
with the mean and spread per precision: mixed precision is kept as the default only where
its figures stay within the seeds' spread of float32's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from handclf_core.data.dataset import load_dataset  # noqa: E402
from handclf_core.runs.config import TrainConfig  # noqa: E402
from handclf_core.runs.experiments import quick  # noqa: E402
from handclf_core.training.devices import configure_device  # noqa: E402
from handclf_core.training.train import train  # noqa: E402
from handclf_core.views.runs import config_label, device_name  # noqa: E402
from handclf_core.vocab import DeviceKind, Precision  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--models", default="cnn_basic,alexnet")
    parser.add_argument("--quick", action="store_true", help="each model's quick preset")
    parser.add_argument("--out", default="docs/precision.md")
    args = parser.parse_args()
    device = configure_device()
    mixed = Precision.MIXED_FLOAT16 if device.kind == DeviceKind.GPU else Precision.MIXED_BFLOAT16
    ds = load_dataset()
    load = os.getloadavg()[0]
    rows, summary = [], []
    for model in args.models.split(","):
        figures: dict[Precision, list[tuple[float, float, float]]] = {}
        for precision in (Precision.FLOAT32, mixed):
            for seed in (int(s) for s in args.seeds.split(",")):
                config = TrainConfig(model=model, seed=seed, precision=precision)
                config = (quick(config) if args.quick else config).resolved()
                run, _ = train(ds, config)
                t = run.test
                figures.setdefault(precision, []).append(
                    (t.accuracy, t.balanced_accuracy, run.timings.images_per_second)
                )
                rows.append(f"| {config_label(config)} | {precision} | {seed} | {t.accuracy:.1%} "
                            f"| {t.balanced_accuracy:.1%} | {run.timings.images_per_second:,.0f} "
                            f"| {run.timings.seconds / 60:.1f} |")  # fmt: skip
                print(rows[-1], flush=True)
        for precision, values in figures.items():
            acc, bal, rate = zip(*values, strict=True)
            spread = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0  # noqa: E731
            summary.append(
                f"| {model} | {precision} | {statistics.mean(acc):.1%} ± {spread(acc):.1%} "
                f"| {statistics.mean(bal):.1%} ± {spread(bal):.1%} | {statistics.mean(rate):,.0f} |"
            )
    text = [
        f"Precision check ({'quick presets' if args.quick else 'recipes'}), built-in sample, "
        f"{device_name(device)}, {device.backend}, seeds {args.seeds}, load average "
        f"{load:.1f} at the start, {time.strftime('%Y-%m-%d')}.",
        "",
        "| model | precision | test accuracy (mean ± sd) | balanced accuracy (mean ± sd) "
        "| training images/s |",
        "|---|---|---|---|---|",
        *summary,
        "",
        "| run | precision | seed | test accuracy | balanced accuracy | images/s | minutes |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(text) + "\n")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
