"""What each command does: a short `cmd_*` function over the core that returns one JSON-ready
dict (printed as is with `--json`, laid out for people by `text.render` otherwise). Here the
checks before any work and the data's commands (sample, stats, prepare, models); training
and its experiments in `train_commands`, the stored runs' in `run_commands`, the lab report
in `report`."""

from __future__ import annotations

import sys
from pathlib import Path

from handclf_core.cli.bars import progress_bar
from handclf_core.cli.dataset import dataset_of, lacking_data
from handclf_core.cli.train_commands import experiment_configs, seed_configs, train_config


def check(args) -> None:
    """Refuse what a command's settings get wrong before the backend loads (seconds) and
    before any work: the training configurations of each seed, the run a command reads, and
    the dataset (read once, then kept for the command)."""
    if args.command in ("train", "evaluate"):
        seed_configs(train_config(args), getattr(args, "seeds", 1))
        dataset_of(args)
    elif args.command == "experiments":
        experiment_configs(args)
        dataset_of(args)
    elif args.command in ("predict", "explain"):
        from handclf_core.runs.folders import find_run

        find_run(args.model, task=args.task)
    elif args.command == "report":
        from handclf_core.cli import report

        report.check(args)
    elif args.command == "mistakes":
        from handclf_core.inside.mistakes import check_dataset, parse_cell
        from handclf_core.runs.folders import find_run

        run = find_run(args.model, task=args.task)
        if args.cell:
            parse_cell(args.cell, run.classes)
        check_dataset(run, dataset_of(args, lacking_data(run)))


def cmd_sample(args) -> dict:
    from handclf_core.data.sample import (
        default_sample_dir,
        ensure_sample,
        generate_sample,
        parse_size,
    )

    size = parse_size(args.size) if isinstance(args.size, str) else args.size
    options = {"stride": args.stride, "size": size, "seed": args.seed}
    existed = not args.out and default_sample_dir(**options).exists()
    with progress_bar("writing sample frames") as update:
        if args.out:  # an explicit folder must not exist yet: never overwrite a user's files
            out = generate_sample(Path(args.out), progress=update, **options)
        else:  # the cache's sample is made once and reused
            out = ensure_sample(progress=update, **options)
    frames = sum(1 for _ in (out / "frames").rglob("*.png"))
    return {
        "path": str(out),
        "frames": frames,
        "stride": args.stride,
        "size": list(size),
        "cached": existed,
    }


def cmd_stats(args) -> dict:
    from handclf_core.data.stats import dataset_stats

    return dataset_stats(dataset_of(args), args.task)


def _preprocessing(args):
    from handclf_core.data.images import Preprocessing

    return Preprocessing(size=args.size, gray=args.gray, flip_right=args.flip, crop=args.crop)


def cmd_prepare(args) -> dict:
    from handclf_core.cli.text import prepare_interrupted, prepare_plan
    from handclf_core.data.store import plan_store, prepare

    ds = dataset_of(args)

    def notice(plan) -> None:  # before anything is decoded: what the build takes, how long
        import os

        from handclf_core.load import measure_others
        from handclf_core.training.estimate_data import data_seconds, store_estimate

        other = measure_others(0.5, exclude=os.getpid())
        data = data_seconds(ds, _preprocessing(args), other=other)
        seconds = store_estimate(data, other=other).seconds
        print(prepare_plan(plan, seconds), file=sys.stderr, flush=True)

    try:
        with progress_bar("preparing frames") as update:
            return prepare(ds, _preprocessing(args), workers=args.workers, progress=update,
                           notice=notice)  # fmt: skip
    except KeyboardInterrupt:  # the decoded chunks are kept: not main's "nothing partial"
        print(prepare_interrupted(plan_store(ds)), file=sys.stderr)
        raise SystemExit(130) from None


def cmd_models(args) -> dict:
    from handclf_core.models import describe_models

    return {"task": args.task, "models": describe_models(args.task)}
