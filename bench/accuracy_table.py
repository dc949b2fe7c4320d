"""The lesson's results table: the three models x the main toggles, on the test split.

    python bench/accuracy_table.py [--data PATH] [--only cnn_basic,mnist] [--out docs/accuracy.md]

Trains (or loads, when stored) each configuration below with its recipe's defaults on the
built-in sample (or --data), and writes a Markdown table of test-split accuracy, balanced
accuracy, macro-F1 and training accuracy beside the majority baseline. On this 2-core CPU
the two AlexNet runs take most of the time (about 50 minutes each).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from handclf_core.dataset import load_dataset  # noqa: E402
from handclf_core.devices import configure_device  # noqa: E402
from handclf_core.progress import Epoch  # noqa: E402
from handclf_core.runconfig import TrainConfig  # noqa: E402
from handclf_core.train import train  # noqa: E402
from handclf_core.views.runs import device_name  # noqa: E402

ROWS = [
    ("cnn_basic", "recipe: 32x32 RGB", TrainConfig(model="cnn_basic")),
    ("cnn_basic", "grayscale", TrainConfig(model="cnn_basic", gray=True)),
    ("cnn_basic", "right hands mirrored", TrainConfig(model="cnn_basic", flip_right=True)),
    ("cnn_basic", "class_weight balancing", TrainConfig(model="cnn_basic", balance="class_weight")),
    ("mnist", "recipe: 28x28 grayscale", TrainConfig(model="mnist")),
    ("mnist", "RGB", TrainConfig(model="mnist", gray=False)),
    ("alexnet", "recipe: 227x227, right hands mirrored", TrainConfig(model="alexnet")),
    ("alexnet", "right hands not mirrored", TrainConfig(model="alexnet", flip_right=False)),
]


def _epoch_line(event) -> None:
    """One line per epoch, so a long run shows that it is learning."""
    if isinstance(event, Epoch):
        logs = event.logs
        print(
            f"  epoch {event.epoch}/{event.epochs}: loss {logs.get('loss', 0):.3f} "
            f"accuracy {logs.get('accuracy', 0):.1%} val_accuracy "
            f"{logs.get('val_accuracy', 0):.1%} ({event.images_per_second:.1f} img/s)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="dataset (default: $HANDCAM_DATA, else the sample)")
    parser.add_argument("--only", help="comma-separated model names")
    parser.add_argument("--out", default="docs/accuracy.md")
    args = parser.parse_args()
    device = configure_device()
    ds = load_dataset(args.data)
    lines = []
    for model, toggle, config in ROWS:
        if args.only and model not in args.only.split(","):
            continue
        start = time.perf_counter()
        run, cached = train(ds, config, progress=_epoch_line)
        test = run.test
        line = (
            f"| {model} | {toggle} | {test.accuracy:.1%} | {test.balanced_accuracy:.1%} "
            f"| {test.macro_f1:.3f} | {run.train_accuracy:.1%} "
            f"| {test.majority_baseline.accuracy:.1%} "
            f"| {run.timings.seconds / 60:.1f} |"
        )
        lines.append(line)
        print(
            line,
            f"({'loaded' if cached else 'trained'} in {time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    # The folder's own name, never a path of the machine that ran it.
    name = Path(ds.description).name
    shown = f"the built-in sample ({name})" if ds.is_sample else name
    header = [
        f"Dataset: {shown}; "
        f"device: {device_name(device)}; each model's recipe defaults unless the toggle says "
        "otherwise; validation recording lab/4 held out; seed 0.",
        "",
        "| model | toggle | test accuracy | balanced accuracy | macro-F1 | train accuracy "
        "| majority baseline (test) | minutes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(header + lines) + "\n")


if __name__ == "__main__":
    main()
