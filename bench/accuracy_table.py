"""The lesson's results table: the assignment's experiments, on the test split.

    python bench/accuracy_table.py [--size full|quick] [--data PATH] [--only IDS] [--out F]

Trains (or loads, when stored) the experiment grid of `handclf_core.runs.experiments` — the
same list as `python -m handclf_core experiments` and the Train page's experiment button —
on the built-in sample (or --data), and writes a Markdown table of test accuracy, balanced
accuracy, macro-F1, train and validation accuracy beside the majority baseline, with the
machine, the precision and the time of each run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from handclf_core.data.dataset import load_dataset  # noqa: E402
from handclf_core.i18n import name  # noqa: E402
from handclf_core.runs.experiments import grid  # noqa: E402
from handclf_core.training.devices import configure_device  # noqa: E402
from handclf_core.training.progress import Epoch  # noqa: E402
from handclf_core.training.train import train  # noqa: E402
from handclf_core.views.runs import config_label, device_name, validation_accuracy  # noqa: E402


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


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["quick", "full"], default="full")
    parser.add_argument("--data", help="dataset (default: $HANDCAM_DATA, else the sample)")
    parser.add_argument("--only", help="comma-separated experiment ids or models")
    parser.add_argument("--precision", help="number format (default: the device's)")
    parser.add_argument("--out", default="docs/accuracy.md")
    args = parser.parse_args()
    device = configure_device()
    ds = load_dataset(args.data)
    only = set(args.only.split(",")) if args.only else None
    lines, precisions = [], set()
    load = os.getloadavg()[0]
    for key, config in grid(args.size, precision=args.precision):
        if only and not {key, config.model} & only:
            continue
        start = time.perf_counter()
        print(f"{key}: {config_label(config)}", flush=True)
        run, cached = train(ds, config, progress=_epoch_line)
        test = run.test
        precisions.add(name(run.config.precision))
        line = (
            f"| {config_label(run.config)} | {_pct(test.accuracy)} "
            f"| {_pct(test.balanced_accuracy)} | {test.macro_f1:.3f} "
            f"| {_pct(run.train_accuracy)} | {_pct(validation_accuracy(run))} "
            f"| {_pct(test.majority_baseline.accuracy)} | {run.timings.seconds / 60:.1f} |"
        )
        lines.append(line)
        print(line, f"({'loaded' if cached else 'trained'} in "
              f"{time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip
    # The folder's own name, never a path of the machine that ran it.
    shown = Path(ds.description).name
    shown = f"the built-in sample ({shown})" if ds.is_sample else shown
    header = [
        f"The {args.size} experiments (`python -m handclf_core experiments --size {args.size}`); "
        f"dataset: {shown}; device: {device_name(device)}, {device.backend}; precision: "
        f"{', '.join(sorted(precisions))}; seed 0; load average {load:.1f} at the start; "
        f"{time.strftime('%Y-%m-%d')}.",
        "",
        "| experiment | test accuracy | balanced accuracy | macro-F1 | train accuracy "
        "| validation accuracy | majority baseline (test) | minutes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(header + lines) + "\n")


if __name__ == "__main__":
    main()
