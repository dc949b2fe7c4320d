"""What each command does: a short `cmd_*` function over the core that returns one JSON-ready
dict (printed as is with `--json`, laid out for people by `text.render` otherwise)."""

from __future__ import annotations

import sys
from pathlib import Path

from handclf_core.cli.bars import progress_bar, training_progress
from handclf_core.errors import HandCamError


def _dataset(args, lacking: str | None = None):
    """The dataset of `--data` (else $HANDCAM_DATA, else the built-in sample), read once per
    command. A command that only reads stored runs gives `lacking`, what it expected: it
    uses the sample only where it is built already, and asks for `--data` rather than
    generate it (minutes, and a hundred megabytes in the cache)."""
    import os

    from handclf_core.data.dataset import load_dataset
    from handclf_core.data.sample import default_sample_dir

    if getattr(args, "read_dataset", None) is not None:
        return args.read_dataset
    given = args.data or os.environ.get("HANDCAM_DATA")
    if lacking and not given and not default_sample_dir().is_dir():
        raise HandCamError(
            f"{lacking}, found none; give --data (the dataset the runs were trained on)"
        )
    with progress_bar("generating the built-in sample") as update:
        ds = load_dataset(args.data, progress=update, subset=args.subset)
    if ds.missing:
        print(
            f"reading a subset: {len(ds.missing)} hand-camera folders of the HandCam layout are "
            f"missing (e.g. {', '.join(ds.missing[:3])})",
            file=sys.stderr,
        )
    if ds.is_sample:
        print(
            f"using the built-in sample ({ds.description}): synthetic pictures over real "
            "HandCam labels",
            file=sys.stderr,
        )
    args.read_dataset = ds
    return ds


def check(args) -> None:
    """Refuse what a command's settings get wrong before the backend loads (seconds) and
    before any work: the training configurations of each seed, the run a command reads, and
    the dataset (read once, then kept for the command)."""
    if args.command in ("train", "evaluate"):
        _seed_configs(_train_config(args), getattr(args, "seeds", 1))
        _dataset(args)
    elif args.command == "experiments":
        _experiment_configs(args)
        _dataset(args)
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
        check_dataset(run, _dataset(args, _lacking(run)))


def _lacking(run) -> str:
    """What a command that reads `run` expected, where neither --data nor the sample is."""
    return (
        f"{run.name}: expected the dataset it was trained on ({run.dataset.description}) "
        "with --data or $HANDCAM_DATA"
    )


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

    return dataset_stats(_dataset(args), args.task)


def _preprocessing(args):
    from handclf_core.data.images import Preprocessing

    return Preprocessing(size=args.size, gray=args.gray, flip_right=args.flip, crop=args.crop)


def cmd_prepare(args) -> dict:
    from handclf_core.cli.text import prepare_interrupted, prepare_plan
    from handclf_core.data.store import plan_store, prepare

    ds = _dataset(args)

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


def _train_config(args):
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


def _intervals(runs, frames) -> dict:
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
        **_intervals([run], frames),
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
        **_intervals(runs, frames),
        "seconds": sum(r.timings.seconds for r in runs),
        "model_path": None,
        "per_seed": [_run_summary(r, c, frames) for r, c in trained],
    }


def _seed_configs(config, seeds: int) -> list:
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

    configs = _seed_configs(_train_config(args), seeds)
    ds = _dataset(args)
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

    configs = _seed_configs(_train_config(args), args.seeds)
    ds = _dataset(args)
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


def cmd_predict(args) -> dict:
    from handclf_core.inside.predict import guess_hand, predict
    from handclf_core.records import to_json
    from handclf_core.runs.folders import find_run

    run = find_run(args.model, task=args.task)
    hand = args.hand or guess_hand(args.image)  # ".../Rhand/Image5.png", "house_Rhand_..."
    return to_json(predict(Path(args.image), run, hand=hand, top=args.top))


def cmd_explain(args) -> dict:
    from PIL import Image

    from handclf_core.data.images import decode_image
    from handclf_core.data.trees import read_file
    from handclf_core.inside.explain import occlusion, on_frame
    from handclf_core.inside.predict import guess_hand, load_model, model_input, predict
    from handclf_core.runs.folders import find_run

    run = find_run(args.model, task=args.task)
    hand = args.hand or guess_hand(args.image)
    path = Path(args.image)
    picture = decode_image(read_file(path), str(path))
    answer = predict(picture, run, hand=hand, top=1, name=str(path))
    top = answer.top[0]
    heat = occlusion(load_model(run), model_input(picture, run, hand), run.classes.index(top.name))
    result = {"model": run.model, "run": run.name, "hand": hand, "class": top.name,
              "probability": top.probability, "method": "occlusion",
              "grid": heat.drops.round(4).tolist(), "milliseconds": heat.seconds * 1000,
              "out": None}  # fmt: skip
    if args.out:
        out = Path(args.out)
        try:
            Image.fromarray(on_frame(picture, heat, run.preprocessing, hand)).save(out)
        except (OSError, ValueError) as e:
            raise HandCamError(
                f"{out}: expected a writable .png or .jpg path, found: {e}"
            ) from None
        result["out"] = str(out)
    return result


def cmd_mistakes(args) -> dict:
    from handclf_core.inside.mistakes import (
        cell_frames,
        cells,
        check_dataset,
        parse_cell,
        predictions_or_score,
    )
    from handclf_core.records import to_json
    from handclf_core.runs.folders import find_run

    run = find_run(args.model, task=args.task)
    ds = _dataset(args, _lacking(run))
    check_dataset(run, ds)  # its frames are shown from that dataset's store
    cell = parse_cell(args.cell, run.classes) if args.cell else None
    with progress_bar(f"scoring the {run.frames.test} test frames of {run.name}") as bar:
        run, found, scored = predictions_or_score(
            run, ds, warn=lambda e: print(f"warning: {e}", file=sys.stderr), progress=bar
        )
    listed = cells(found.confusion(), run.classes)
    result = {"model": run.model, "run": run.name, "scored_now": scored, "test_frames":
              len(found.rows), "cell": None, "frames": None,
              "cells": [to_json(c) for c in listed[: args.limit]]}  # fmt: skip
    if cell is not None:
        total, shown = cell_frames(run, found, ds, *cell, limit=args.limit)
        true, predicted = (run.classes[i] for i in cell)
        result.update(cell={"true": true, "predicted": predicted, "frames": total},
                      frames=[to_json(f) for f in shown])  # fmt: skip
    return result


def _experiment_configs(args) -> list:
    """The experiments `--only` chooses, each with its configurations of `--seeds` seeds."""
    from handclf_core.runs.experiments import grid

    only = None if args.only is None else {k.strip() for k in args.only.split(",")} - {""}
    if only is not None and not only:
        raise HandCamError(f"--only {args.only!r}: expected experiment ids or models, found none")
    experiments = grid(args.size, args.task, seed=args.seed, precision=args.precision)
    chosen = [(k, c) for k, c in experiments if only is None or {k, c.model} & only]
    if not chosen:
        raise HandCamError(f"--only {args.only}: expected experiment ids or models, found none")
    return [(k, _seed_configs(c, args.seeds)) for k, c in chosen]


def cmd_experiments(args) -> dict:
    from handclf_core.training.train import train
    from handclf_core.views.runs import config_label

    seeded = _experiment_configs(args)
    ds = _dataset(args)
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


def cmd_runs(args) -> dict:
    from handclf_core.records import to_json
    from handclf_core.runs.folders import delete_run, run_folder, scan_runs
    from handclf_core.views.runs import config_label

    if args.action == "delete":
        if not args.name:
            raise HandCamError("runs delete: expected the name of a run (see `runs list`)")
        folder = run_folder(args.name)
        if not args.yes:
            if not sys.stdin.isatty():
                raise HandCamError(f"runs delete {folder.name}: add --yes to delete without asking")
            answer = input(f"delete the stored run {folder.name} (model and record)? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                return {"deleted": None}
        return {"deleted": delete_run(args.name).name}
    if args.action == "compare":
        return _compare(args)
    from handclf_core.data.store import stored_frames

    runs, damaged = scan_runs(task=args.task)
    tables = {i: stored_frames(i) for i in {r.dataset.identity for r in runs}}
    return {
        "runs": [
            {"name": r.name, "label": config_label(r.config), "created": r.created,
             "dataset": r.dataset.description, "sample": r.dataset.sample,
             "seed": r.config.seed,
             "test_accuracy": r.test.accuracy, "balanced_accuracy": r.test.balanced_accuracy,
             "macro_f1": r.test.macro_f1,
             "majority_baseline": r.test.majority_baseline.accuracy,
             **_intervals([r], tables[r.dataset.identity]), "seconds": r.timings.seconds,
             "bytes": r.model_bytes, "config": to_json(r.config)}
            for r in runs
        ],
        "damaged": damaged,
    }  # fmt: skip


def _compare(args) -> dict:
    """runs compare A B: A minus B on one metric, paired on the same test frames."""
    from handclf_core.data.store import stored_frames
    from handclf_core.runs.confidence import compare_runs
    from handclf_core.runs.folders import run_folder
    from handclf_core.runs.record import read_run

    if not (args.name and args.other):
        raise HandCamError("runs compare: expected the names of two runs (see `runs list`)")
    a, b = (read_run(run_folder(n)) for n in (args.name, args.other))
    frames = stored_frames(a.dataset.identity)
    if frames is None:  # the frame store is gone: the dataset itself has the table
        lacking = (
            f"runs compare {a.name}: expected the frame store's frames.csv of "
            f"{a.dataset.description} (or that dataset with --data)"
        )
        ds = _dataset(args, lacking)
        if ds.identity != a.dataset.identity:
            raise HandCamError(f"{a.name} was trained on {a.dataset.description}: give that "
                               "dataset with --data to compare it")  # fmt: skip
        frames = ds.hand_frames()
    from handclf_core.views.runs import config_label

    if a.name == b.name:
        raise HandCamError(
            f"runs compare {a.name} {b.name}: expected two different runs, found "
            "the same run twice: choose another one to compare it with"
        )
    d = compare_runs(a, b, frames, args.metric)
    return {"a": a.name, "b": b.name, "a_label": config_label(a.config),
            "b_label": config_label(b.config), **d.as_json()}  # fmt: skip
