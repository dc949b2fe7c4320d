"""The lesson's results table: the assignment's experiments, on the test split, with seeds.

    python bench/accuracy_table.py [--size full|quick] [--seeds N] [--alexnet-seeds N]
                                   [--data PATH] [--only IDS] [--out F]

Trains (or loads, when stored) the experiment grid of `handclf_core.runs.experiments` — the
same list as `python -m handclf_core experiments` and the Train page's experiment button —
with several seeds each (each seed is its own stored run) on the built-in sample (or
--data), and writes a Markdown file of two tables:

- per setting: test accuracy as the mean over the seeds ± their standard deviation, with
  its 95% interval over test recordings and seeds (`runs.uncertainty`), balanced accuracy
  and macro-F1 likewise, train and validation accuracy, the baseline, the minutes;
- the claims the lesson makes, each a paired difference on the same test frames with its
  interval and verdict: each recipe against the majority baseline, each changed setting
  against its model's recipe.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from handclf_core.data.dataset import load_dataset  # noqa: E402
from handclf_core.i18n import name  # noqa: E402
from handclf_core.runs.confidence import compare_runs, run_intervals  # noqa: E402
from handclf_core.runs.experiments import grid  # noqa: E402
from handclf_core.runs.folders import saved_run  # noqa: E402
from handclf_core.training.devices import configure_device  # noqa: E402
from handclf_core.training.train import train  # noqa: E402
from handclf_core.views.runs import config_label, device_name, validation_accuracy  # noqa: E402


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def _mean_sd(values: list[float]) -> str:
    mean = statistics.fmean(values)
    return (
        f"{mean:.1%} ± {statistics.stdev(values) * 100:.1f}" if len(values) > 1 else f"{mean:.1%}"
    )


def _interval(iv) -> str:
    return f"{iv.low * 100:.1f}–{iv.high * 100:.1f}"


def _signed(iv) -> str:
    return f"{iv.value * 100:+.1f} ({iv.low * 100:+.1f} to {iv.high * 100:+.1f})"


VERDICT = {"a": "shown", "b": "shown, the other way", "neither": "not shown at this size"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["quick", "full"], default="full")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per setting (default 3)")
    parser.add_argument("--alexnet-seeds", type=int, default=2, help="AlexNet's (default 2)")
    parser.add_argument("--data", help="dataset (default: $HANDCAM_DATA, else the sample)")
    parser.add_argument("--only", help="comma-separated experiment ids or models")
    parser.add_argument("--precision", help="number format (default: the device's)")
    parser.add_argument("--stored-only", action="store_true",
                        help="use the seeds already stored, train none (a seed left out is "
                        "said in the table)")  # fmt: skip
    parser.add_argument("--out", default="docs/accuracy.md")
    args = parser.parse_args()
    device = configure_device()
    ds = load_dataset(args.data)
    frames = ds.hand_frames()
    only = set(args.only.split(",")) if args.only else None
    load = os.getloadavg()[0]
    settings, precisions = {}, set()
    for key, config in grid(args.size, precision=args.precision):
        if only and not {key, config.model} & only:
            continue
        seeds = args.alexnet_seeds if config.model == "alexnet" else args.seeds
        runs = []
        for seed in range(seeds):
            start = time.perf_counter()
            c = dataclasses.replace(config, seed=seed)
            if args.stored_only and saved_run(ds.identity, c.resolved()) is None:
                continue
            run, cached = train(ds, c)
            runs.append(run)
            precisions.add(name(run.config.precision))
            print(f"{key} seed {seed}: {run.test.accuracy:.1%} ({'loaded' if cached else 'trained'}"
                  f" in {time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip
        if runs:
            settings[key] = runs

    rows = []
    for runs in settings.values():
        iv = run_intervals(runs, frames)
        val = [v for v in map(validation_accuracy, runs) if v is not None]
        rows.append(
            f"| {config_label(runs[0].config)} | {len(runs)} "
            f"| {_mean_sd([r.test.accuracy for r in runs])} | {_interval(iv.test_accuracy)} "
            f"| {_mean_sd([r.test.balanced_accuracy for r in runs])} "
            f"| {_interval(iv.balanced_accuracy)} "
            f"| {statistics.fmean(r.test.macro_f1 for r in runs):.3f} "
            f"| {_pct(statistics.fmean(r.train_accuracy for r in runs))} "
            f"| {_pct(statistics.fmean(val)) if val else '—'} "
            f"| {sum(r.timings.seconds for r in runs) / 60 / len(runs):.1f} |"
        )
    claims = []
    for key, runs in settings.items():
        recipe = settings.get(runs[0].config.model)
        iv = run_intervals(runs, frames)
        if key == runs[0].config.model:  # a recipe: against always answering the majority
            acc = "shown" if iv.over_baseline.low > 0 else "not shown at this size"
            bal = "shown" if iv.balanced_over_baseline.low > 0 else "not shown at this size"
            verdict = f"accuracy: {acc}; balanced: {bal}"
            claims.append(f"| {config_label(runs[0].config)} beats the baseline "
                          f"| {_signed(iv.over_baseline)} | {_signed(iv.balanced_over_baseline)} "
                          f"| {verdict} |")  # fmt: skip
        elif recipe is not None:
            acc = compare_runs(runs, recipe, frames, "test_accuracy")
            bal = compare_runs(runs, recipe, frames, "balanced_accuracy")
            verdict = f"accuracy: {VERDICT[acc.verdict]}; balanced: {VERDICT[bal.verdict]}"
            claims.append(f"| {config_label(runs[0].config)} − recipe "
                          f"| {_signed(acc.difference)} | {_signed(bal.difference)} "
                          f"| {verdict} |")  # fmt: skip
    shown = Path(ds.description).name  # the folder's own name, never a path of this machine
    shown = f"the built-in sample ({shown})" if ds.is_sample else shown
    recordings = run_intervals(next(iter(settings.values())), frames).recordings
    text = [
        f"The {args.size} experiments (`python -m handclf_core experiments --size {args.size} "
        f"--seeds N`); dataset: {shown}; device: {device_name(device)}, {device.backend}; "
        f"precision: {', '.join(sorted(precisions))}; seeds 0..{args.seeds - 1} "
        f"(AlexNet 0..{args.alexnet_seeds - 1}); load average {load:.1f} at the start; "
        f"{time.strftime('%Y-%m-%d')}. Intervals: 95%, bootstrap over the {recordings} test "
        "recordings and the seeds (`runs.uncertainty`).",
        "",
        "| experiment | seeds | test accuracy (mean ± sd) | 95% interval | balanced accuracy "
        "(mean ± sd) | 95% interval | macro-F1 | train accuracy | validation accuracy "
        "| minutes per seed |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Each claim, paired on the same test frames (points, 95% interval):",
        "",
        "| claim | test accuracy | balanced accuracy | verdict |",
        "|---|---|---|---|",
        *claims,
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(text) + "\n")
    print("\n".join(text))


if __name__ == "__main__":
    main()
