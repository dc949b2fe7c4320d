"""The training commands: `train` (or `--estimate`), `evaluate` and `experiments`, each seed
of a setting trained or loaded, and the summaries they print (a run's, a setting's)."""

from __future__ import annotations

import sys

from handclf_core.cli.bars import training_progress
from handclf_core.cli.dataset import dataset_of
from handclf_core.errors import HandCamError


def train_config(args):
    from handclf_core.runs.config import TrainConfig, validation_choice
    from handclf_core.runs.experiments import quick

    validation, held_out = validation_choice(args.validation)
    config = TrainConfig(
        model=args.model,
        task=args.task,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        momentum=args.momentum,
        size=args.size,
        gray=args.gray,
        flip_right=args.flip,
        crop=args.crop,
        balance=args.balance,
        shuffle=not args.no_shuffle,
        limit=args.limit,
        validation=validation,
        held_out=held_out,
        seed=args.seed,
        precision=args.precision,
    )
    return quick(config) if args.quick else config


def interval_fields(runs, frames) -> dict:
    """The "intervals" fields of a run or a setting's runs (`Intervals.as_json`), and whether
    it is distinguishable from the baseline; nulls where they cannot be computed (no frame
    table, or a run kept before its test predictions were)."""
    from handclf_core.runs.confidence import run_intervals
    from handclf_core.views.runs import frequencies_only

    runs = list(runs)
    try:
        iv = None if frames is None else run_intervals(runs, frames)
    except HandCamError:
        iv = None
    fields = iv.as_json() if iv else {"intervals": None, "interval_method": None,
                                      "test_recordings": None}  # fmt: skip
    return {**fields, "frequencies_only": frequencies_only(runs[0], iv)}


def _run_summary(run, cached: bool, frames=None) -> dict:
    from handclf_core.records import to_json

    test = run.test
    return {
        "model": run.model,
        "run": run.name,
        "task": run.task,
        "cached": cached,
        "split": test.split,
        "seed": run.config.seed,
        "test_frames": test.frames,
        "test_accuracy": test.accuracy,
        "balanced_accuracy": test.balanced_accuracy,
        "macro_f1": test.macro_f1,
        "train_accuracy": run.train_accuracy,
        "majority_baseline": to_json(test.majority_baseline),
        **interval_fields([run], frames),
        "seconds": run.timings.seconds,
        "images_per_second": run.timings.images_per_second,
        "device": to_json(run.environment.device),
        "model_path": str(run.model_file),
        "config": to_json(run.config),
    }


def _setting_summary(trained: list, frames) -> dict:
    """Several seeds of one setting: each seed's summary, their mean and spread, and the
    interval pooled over recordings and seeds."""
    import statistics

    runs = [run for run, _ in trained]
    first = _run_summary(*trained[0], frames)
    mean = {m: statistics.fmean(getattr(r.test, "accuracy" if m == "test_accuracy" else m)
                                for r in runs)
            for m in ("test_accuracy", "balanced_accuracy", "macro_f1")}  # fmt: skip
    accuracies = [r.test.accuracy for r in runs]
    return {
        **first,
        "run": None,
        "seed": None,
        "cached": all(c for _, c in trained),
        **mean,
        "train_accuracy": statistics.fmean(r.train_accuracy for r in runs),
        "seeds": [r.config.seed for r in runs],
        "runs": [r.name for r in runs],
        "test_accuracy_sd": statistics.stdev(accuracies) if len(runs) > 1 else None,
        "test_accuracy_range": [min(accuracies), max(accuracies)],
        **interval_fields(runs, frames),
        "seconds": sum(r.timings.seconds for r in runs),
        "model_path": None,
        "per_seed": [_run_summary(r, c, frames) for r, c in trained],
    }


def seed_configs(config, seeds: int) -> list:
    """`config` with `seeds` seeds in a row, from its own."""
    import dataclasses

    from handclf_core.cli.parser import MAX_SEEDS
    from handclf_core.models import get_recipe
    from handclf_core.runs.config import MAX_SEED

    if not 1 <= seeds <= MAX_SEEDS:  # before a configuration is built per seed
        raise HandCamError(f"--seeds: expected a whole number from 1 to {MAX_SEEDS}, found {seeds}")
    if config.seed + seeds - 1 > MAX_SEED:
        raise HandCamError(
            f"--seed {config.seed} --seeds {seeds}: expected seeds up to "
            f"{MAX_SEED}, found {config.seed + seeds - 1}"
        )
    configs = [dataclasses.replace(config, seed=config.seed + i) for i in range(seeds)]
    for c in configs:
        size = c.resolved().size  # a seed out of range is refused before the dataset is read
        least = get_recipe(c.model).min_input_size
        if size < least:  # the model's own check comes after the backend and the frames
            raise HandCamError(f"--size: expected {least} px or more for {c.model}, found {size}")
    return configs


def _train_or_load(args, retrain: bool, seeds: int = 1):
    """The configuration of `args` trained (or loaded) with each of `seeds` seeds: the
    dataset, and [(run, loaded)] in seed order."""
    from handclf_core.training.train import train

    configs = seed_configs(train_config(args), seeds)
    ds = dataset_of(args)
    trained = []
    for i, config in enumerate(configs, 1):
        if seeds > 1:
            print(f"[seed {config.seed}: {i}/{seeds}]", file=sys.stderr, flush=True)
        with training_progress() as update:
            trained.append(train(ds, config, retrain=retrain, progress=update))
    return ds, trained


def _this_device():
    """What would train here, without loading the backend where a CPU is all there is (the
    estimate answers at once); with an NVIDIA driver, the backend says."""
    import os
    import shutil

    from handclf_core.runs.device import Device
    from handclf_core.vocab import DeviceKind
    from handclf_core.workers import cpu_count

    if shutil.which("nvidia-smi"):
        from handclf_core.training.devices import configure_device

        return configure_device()
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    return Device(DeviceKind.CPU, cpu_count(), "", backend, False)


def cmd_estimate(args) -> dict:
    """`train --estimate`: how long exactly that run (each of its seeds) takes here now, from
    the one estimator the app shows; stored runs load and count nothing."""
    import os

    from handclf_core.load import measure_others
    from handclf_core.runs.folders import list_runs, saved_run
    from handclf_core.training.estimate_data import job_estimate
    from handclf_core.training.splits import effective

    configs = seed_configs(train_config(args), args.seeds)
    ds = dataset_of(args)
    runs, device = list_runs(), _this_device()
    other = measure_others(1.0, exclude=os.getpid())
    frames = ds.hand_frames()
    stored = {c for c in configs if saved_run(ds.identity, effective(c.resolved(), frames))}
    todo = [c for c in configs if args.retrain or c not in stored]
    found = [
        job_estimate(ds, c, runs, device, other=other, start=i == 0) for i, c in enumerate(todo)
    ]
    counts = {"to_train": len(todo), "stored": len(configs) - len(todo)}
    if any(e is None for e in found):
        return {"seconds": None, "basis": {"source": "unknown", "runs": 0}, **counts}
    basis = found[0].as_json()["basis"] if found else {"source": "stored", "runs": 0}
    return {"seconds": round(sum(e.seconds for e in found), 1), "basis": basis, **counts}


def cmd_train(args) -> dict:
    if args.estimate:
        return cmd_estimate(args)
    ds, trained = _train_or_load(args, args.retrain, args.seeds)
    frames = ds.hand_frames()
    return (
        _run_summary(*trained[0], frames)
        if len(trained) == 1
        else _setting_summary(trained, frames)
    )


def cmd_evaluate(args) -> dict:
    from handclf_core.records import to_json

    ds, [(run, cached)] = _train_or_load(args, retrain=False)
    return {
        **_run_summary(run, cached, ds.hand_frames()),
        "confusion_matrix": to_json(run.test.confusion_matrix),
        "per_class": to_json(run.test.per_class),
    }


def experiment_configs(args) -> list:
    """The experiments `--only` chooses, each with its configurations of `--seeds` seeds."""
    from handclf_core.runs.experiments import grid

    only = None if args.only is None else {k.strip() for k in args.only.split(",")} - {""}
    if only is not None and not only:
        raise HandCamError(f"--only {args.only!r}: expected experiment ids or models, found none")
    experiments = grid(args.size, args.task, seed=args.seed, precision=args.precision)
    chosen = [(k, c) for k, c in experiments if only is None or {k, c.model} & only]
    if not chosen:
        raise HandCamError(f"--only {args.only}: expected experiment ids or models, found none")
    return [(k, seed_configs(c, args.seeds)) for k, c in chosen]


def cmd_experiments(args) -> dict:
    from handclf_core.training.train import train
    from handclf_core.views.runs import config_label

    seeded = experiment_configs(args)
    ds = dataset_of(args)
    frames, rows, total, done = ds.hand_frames(), [], len(seeded) * args.seeds, 0
    for key, configs in seeded:
        trained = []
        for config in configs:
            done += 1
            print(f"[{done}/{total}] {key}: {config_label(config)}", file=sys.stderr, flush=True)
            with training_progress() as update:
                trained.append(train(ds, config, progress=update))
        rows.append({"experiment": key, "label": config_label(configs[0]),
                     **_setting_summary(trained, frames)})  # fmt: skip
    return {"size": args.size, "dataset": ds.description, "sample": ds.is_sample,
            "experiments": rows}  # fmt: skip
