"""Command-line interface: `python -m handclf_core <command> ...`.

Every command takes `--json` and then prints exactly one JSON object on stdout; progress bars
and messages go to stderr. A user's mistake (a wrong path, a corrupt frame) is one line on
stderr and exit code 2; `--debug` shows the traceback instead.

One role, one file of ~500 lines: each of the ten commands is a short `cmd_*` function over
the core, and `build_parser` lists every option in one place, as `--help` shows them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from contextlib import contextmanager
from pathlib import Path

from handclf_core.data.layout import TASKS
from handclf_core.errors import HandCamError
from handclf_core.models import list_models
from handclf_core.vocab import Balance, Hand, Precision


@contextmanager
def progress_bar(desc: str, enabled: bool = True):
    """A tqdm bar on stderr, fed through a progress(done, total) callback."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=desc, unit="frame", file=sys.stderr, disable=not enabled)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


def _dataset(args):
    from handclf_core.data.dataset import load_dataset

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
    return ds


def cmd_sample(args) -> dict:
    from handclf_core.data.sample import (
        default_sample_dir,
        ensure_sample,
        generate_sample,
        parse_size,
    )

    size = parse_size(args.size)
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
    from handclf_core.data.store import prepare

    ds = _dataset(args)
    with progress_bar("preparing frames") as update:
        return prepare(ds, _preprocessing(args), workers=args.workers, progress=update)


def cmd_models(args) -> dict:
    from handclf_core.models import describe_models

    return {"task": args.task, "models": describe_models(args.task)}


def _train_config(args):
    from handclf_core.runs.config import TrainConfig
    from handclf_core.runs.experiments import quick

    validation = {"recording": "lab/4", "none": ""}.get(args.validation, args.validation)
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
        seed=args.seed,
        precision=args.precision,
    )
    return quick(config) if args.quick else config


@contextmanager
def training_progress():
    """One progress bar per stage of training, fed by train()'s events (in English)."""
    from tqdm import tqdm

    from handclf_core.training.progress import Batch, Step, describe
    from handclf_core.vocab import Stage

    current: dict = {"stage": None, "bar": None}

    def bar_for(stage, desc: str, total: int | None, unit: str):
        if current["stage"] != stage:
            if current["bar"] is not None:
                current["bar"].close()
            current.update(
                stage=stage, bar=tqdm(desc=desc, total=total, unit=unit, file=sys.stderr)
            )
        return current["bar"]

    def update(event) -> None:
        if isinstance(event, Step) and event.total:  # decoding, resizing
            bar = bar_for(event.stage, describe(event), event.total, "frame")
            bar.update(event.done - bar.n)
        elif isinstance(event, Step):  # scoring: no count to show, one line says it
            if current["bar"] is not None:
                current["bar"].close()
                current.update(stage=None, bar=None)
            print(f"{describe(event)}…", file=sys.stderr, flush=True)
        elif isinstance(event, Batch):
            bar = bar_for(Stage.TRAINING, describe(Step(Stage.TRAINING)),
                          event.batches * event.epochs, "batch")  # fmt: skip
            bar.update((event.epoch - 1) * event.batches + event.batch - bar.n)
            bar.set_postfix(
                epoch=event.epoch,
                loss=f"{event.loss:.3f}",
                acc=f"{event.accuracy:.3f}",
                img_s=f"{event.images_per_second:.0f}",
            )

    try:
        yield update
    finally:
        if current["bar"] is not None:
            current["bar"].close()


def _run_summary(run, cached: bool) -> dict:
    from handclf_core.records import to_json

    test = run.test
    return {
        "model": run.model,
        "task": run.task,
        "cached": cached,
        "split": test.split,
        "test_frames": test.frames,
        "test_accuracy": test.accuracy,
        "balanced_accuracy": test.balanced_accuracy,
        "macro_f1": test.macro_f1,
        "train_accuracy": run.train_accuracy,
        "majority_baseline": to_json(test.majority_baseline),
        "seconds": run.timings.seconds,
        "images_per_second": run.timings.images_per_second,
        "device": to_json(run.environment.device),
        "model_path": str(run.model_file),
        "config": to_json(run.config),
    }


def _train_or_load(args, retrain: bool):
    from handclf_core.training.train import train

    ds = _dataset(args)
    with training_progress() as update:
        return train(ds, _train_config(args), retrain=retrain, progress=update)


def cmd_train(args) -> dict:
    return _run_summary(*_train_or_load(args, args.retrain))


def cmd_evaluate(args) -> dict:
    from handclf_core.records import to_json

    run, cached = _train_or_load(args, retrain=False)
    return {
        **_run_summary(run, cached),
        "confusion_matrix": to_json(run.test.confusion_matrix),
        "per_class": to_json(run.test.per_class),
    }


def cmd_predict(args) -> dict:
    from handclf_core.inside.predict import find_run, guess_hand, predict
    from handclf_core.records import to_json

    run = find_run(args.model, task=args.task)
    hand = args.hand or guess_hand(args.image)  # ".../Rhand/Image5.png", "house_Rhand_..."
    return to_json(predict(Path(args.image), run, hand=hand, top=args.top))


def cmd_explain(args) -> dict:
    from PIL import Image

    from handclf_core.data.images import decode_image
    from handclf_core.inside.explain import occlusion, on_frame
    from handclf_core.inside.predict import find_run, guess_hand, load_model, model_input, predict

    run = find_run(args.model, task=args.task)
    hand = args.hand or guess_hand(args.image)
    path = Path(args.image)
    try:
        picture = decode_image(path.read_bytes(), str(path))
    except OSError as e:
        raise HandCamError(f"{path}: expected an image file, found: {e.strerror}") from None
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
    from handclf_core.data.store import open_store
    from handclf_core.inside.mistakes import (
        cells,
        check_dataset,
        check_store,
        frames_at,
        read_predictions,
        score_run,
    )
    from handclf_core.inside.predict import find_run
    from handclf_core.records import to_json

    run = find_run(args.model, task=args.task)
    ds = _dataset(args)
    check_dataset(run, ds)  # its frames are shown from that dataset's store
    scored = False
    try:
        found = read_predictions(run)
    except HandCamError as e:
        print(f"warning: {e}", file=sys.stderr)
        found = None
    if found is None:  # stored before schema 3, or damaged: scored once, then kept
        with progress_bar(f"scoring the {run.frames.test} test frames of {run.name}") as bar:
            run = score_run(run, ds, again=run.predictions is not None, progress=bar)
        found, scored = read_predictions(run), True
    listed = cells(found.confusion(), run.classes)
    result = {"model": run.model, "run": run.name, "scored_now": scored, "test_frames":
              len(found.rows), "cell": None, "frames": None,
              "cells": [to_json(c) for c in listed[: args.limit]]}  # fmt: skip
    if args.cell:
        true, colon, predicted = args.cell.partition(":")
        if not colon:
            raise HandCamError(f"--cell: expected TRUE:PREDICTED (e.g. cookie:free), found "
                               f"{args.cell!r}")  # fmt: skip
        for name in (true, predicted):
            if name not in run.classes:
                raise HandCamError(f"--cell {args.cell}: expected two of the classes "
                                   f"{', '.join(run.classes)}; found {name!r}")  # fmt: skip
        store = open_store(ds)
        if store is None:
            raise HandCamError(f"{ds.description}: expected its frame store, found none "
                               "(python -m handclf_core prepare builds it)")  # fmt: skip
        check_store(found, store.frames, run.task)
        positions = found.cell(run.classes.index(true), run.classes.index(predicted))
        shown = frames_at(found, positions[: args.limit], store.frames, run.classes)
        result.update(cell={"true": true, "predicted": predicted, "frames": len(positions)},
                      frames=[to_json(f) for f in shown])  # fmt: skip
    return result


def cmd_experiments(args) -> dict:
    from handclf_core.runs.experiments import grid
    from handclf_core.training.train import train
    from handclf_core.views.runs import config_label

    ds = _dataset(args)
    only = set(args.only.split(",")) if args.only else None
    experiments = grid(args.size, args.task, seed=args.seed, precision=args.precision)
    chosen = [(k, c) for k, c in experiments if only is None or {k, c.model} & only]
    if not chosen:
        raise HandCamError(f"--only {args.only}: expected experiment ids or models, found none")
    rows = []
    for i, (key, config) in enumerate(chosen, 1):
        print(f"[{i}/{len(chosen)}] {key}: {config_label(config)}", file=sys.stderr, flush=True)
        with training_progress() as update:
            run, cached = train(ds, config, progress=update)
        rows.append({"experiment": key, "label": config_label(config), **_run_summary(run, cached)})
    return {"size": args.size, "dataset": ds.description, "sample": ds.is_sample,
            "experiments": rows}  # fmt: skip


def cmd_runs(args) -> dict:
    from handclf_core.records import to_json
    from handclf_core.runs.record import delete_run, find_stored, scan_runs
    from handclf_core.views.runs import config_label, frequencies_only

    if args.action == "delete":
        if not args.name:
            raise HandCamError("runs delete: expected the name of a run (see `runs list`)")
        folder = find_stored(args.name)
        if not args.yes:
            if not sys.stdin.isatty():
                raise HandCamError(f"runs delete {folder.name}: add --yes to delete without asking")
            answer = input(f"delete the stored run {folder.name} (model and record)? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                return {"deleted": None}
        return {"deleted": delete_run(args.name).name}
    runs, damaged = scan_runs(task=args.task)
    return {
        "runs": [
            {"name": r.name, "label": config_label(r.config), "created": r.created,
             "dataset": r.dataset.description, "sample": r.dataset.sample,
             "test_accuracy": r.test.accuracy, "balanced_accuracy": r.test.balanced_accuracy,
             "majority_baseline": r.test.majority_baseline.accuracy,
             "frequencies_only": frequencies_only(r), "seconds": r.timings.seconds,
             "bytes": r.model_bytes, "config": to_json(r.config)}
            for r in runs
        ],
        "damaged": damaged,
    }  # fmt: skip


KERAS_COMMANDS = {"train", "evaluate", "predict", "models", "experiments", "explain", "mistakes"}


def _train_options(p) -> None:
    """The options of a training configuration (train, evaluate); unset: the recipe's."""
    p.add_argument("--quick", action="store_true",
                   help="the model's quick class demo (see the Train page): fewer frames or "
                   "epochs where the recipe would take minutes")  # fmt: skip
    p.add_argument("--epochs", type=int, help="default: the model's recipe")
    p.add_argument("--batch-size", type=int, help="default: the model's recipe")
    p.add_argument("--lr", type=float, help="learning rate; default: the recipe's")
    p.add_argument(
        "--momentum", type=float, help="SGD momentum (alexnet); default: the recipe's 0.9"
    )
    p.add_argument("--size", type=int, help="input side in pixels; default: the recipe's")
    colour = p.add_mutually_exclusive_group()
    colour.add_argument("--gray", dest="gray", action="store_const", const=True,
                        help="one grayscale channel (the mnist recipe's)")  # fmt: skip
    colour.add_argument("--rgb", dest="gray", action="store_const", const=False,
                        help="three colour channels (the other recipes')")  # fmt: skip
    p.add_argument("--flip", action=argparse.BooleanOptionalAction,
                   help="mirror right-hand frames (default: the recipe's: alexnet's)")  # fmt: skip
    p.add_argument("--crop", action="store_true", help="centre-crop instead of squashing")
    p.add_argument("--balance", choices=list(Balance), default=Balance.NONE,
                   type=Balance, help="class balancing")  # fmt: skip
    p.add_argument("--no-shuffle", action="store_true", help="keep frame order")
    p.add_argument("--validation", default="recording",
                   help="frames held out to validate on: 'recording' (lab/4, default), "
                   "SCENE/N (another recording), 'random' (20%% of frames, as the report's "
                   "validation_split=0.2) or 'none'")  # fmt: skip
    p.add_argument("--precision", choices=list(Precision), type=Precision,
                   help="number format; default: mixed bfloat16 on a CPU with bfloat16 "
                   "instructions, mixed float16 on a GPU, float32 elsewhere")  # fmt: skip
    p.add_argument("--limit", type=int, help="at most N frames per split (quick demos)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m handclf_core",
        description="HandCam classroom: data, preprocessing and models of the "
        "'Deep Classification' assignment.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name, func, help, data=True):
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        p.add_argument("--debug", action="store_true", help="show tracebacks of errors")
        if data:
            p.add_argument(
                "--data",
                help="dataset folder (frames/ + labels/, or frames.zip + labels.zip), or "
                "'frames.zip,labels.zip'; default $HANDCAM_DATA, else the built-in sample",
            )
            p.add_argument(
                "--subset",
                action="store_true",
                help="read a dataset with recordings of the HandCam layout missing (it says "
                "which); without it, every recording must be there",
            )
        p.set_defaults(func=func)
        return p

    p = command("sample", cmd_sample, "write the built-in sample dataset", data=False)
    p.add_argument("--out", help="folder to write (default: under the cache folder)")
    p.add_argument("--stride", type=int, default=10, help="keep every Nth frame (default 10)")
    p.add_argument("--size", default="320x180", help="frame size WxH (default 320x180)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the pictures")

    p = command("stats", cmd_stats, "frame and class counts, imbalance, majority baseline")
    p.add_argument("--task", choices=TASKS, default="obj", help="label set (default obj)")

    p = command("prepare", cmd_prepare, "decode frames once into the frame store")
    p.add_argument("--size", type=int, default=32, help="model input side (32, 28, 227)")
    p.add_argument("--gray", action="store_true", help="grayscale (one channel)")
    p.add_argument("--flip", action="store_true", help="mirror right-hand frames")
    p.add_argument("--crop", action="store_true", help="centre-crop instead of squashing")
    p.add_argument("--workers", type=int, help="decoding processes (default: one per core)")

    p = command("models", cmd_models, "the registered models and their recipes", data=False)
    p.add_argument("--task", choices=TASKS, default="obj", help="label set (default obj)")

    for name, func, help in (
        ("train", cmd_train, "train a model, or load it when this configuration is stored"),
        ("evaluate", cmd_evaluate, "test-split metrics of a model (trains it if not stored)"),
    ):
        p = command(name, func, help)
        p.add_argument("--model", required=True, choices=list_models())
        p.add_argument("--task", choices=TASKS, default="obj", help="label set (default obj)")
        _train_options(p)
        if name == "train":
            p.add_argument("--retrain", action="store_true", help="train even when stored")

    p = command("experiments", cmd_experiments,
                "train the assignment's experiments in turn (stored ones are loaded)")  # fmt: skip
    p.add_argument(
        "--size",
        choices=["quick", "full"],
        default="quick",
        help="quick: each model's class demo; full: each recipe (default quick)",
    )
    p.add_argument("--task", choices=TASKS, default="obj", help="label set (default obj)")
    p.add_argument("--only", help="comma-separated experiment ids or models (default: all)")
    p.add_argument(
        "--precision",
        choices=list(Precision),
        type=Precision,
        help="number format (default: what the device is fast at)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")

    p = command("runs", cmd_runs, "list the stored runs, or delete one", data=False)
    p.add_argument("action", choices=["list", "delete"], nargs="?", default="list")
    p.add_argument("name", nargs="?", help="delete: the run's name (its folder)")
    p.add_argument("--task", choices=TASKS, help="list: only runs of this label set")
    p.add_argument("--yes", action="store_true", help="delete without asking")

    p = command("predict", cmd_predict, "classify one image with a stored run", data=False)
    p.add_argument("--model", required=True, help="a model name (its newest run) or a run path")
    p.add_argument("--image", required=True, help="a PNG or JPEG file")
    p.add_argument(
        "--hand",
        choices=list(Hand),
        type=Hand,
        help="the wrist camera that took it (default: from the file name, Rhand -> right, "
        "else left)",
    )
    p.add_argument("--top", type=int, default=5, help="how many classes to show")
    p.add_argument("--task", choices=TASKS, help="with a model name: its task")

    p = command("explain", cmd_explain, "where a stored run looks in one image (occlusion)",
                data=False)  # fmt: skip
    p.add_argument("--model", required=True, help="a model name (its newest run) or a run path")
    p.add_argument("--image", required=True, help="a PNG or JPEG file")
    p.add_argument("--hand", choices=list(Hand), type=Hand,
                   help="the wrist camera that took it (default: from the file name)")  # fmt: skip
    p.add_argument("--out", help="write the picture with the heat map over it here (.png)")
    p.add_argument("--task", choices=TASKS, help="with a model name: its task")

    p = command("mistakes", cmd_mistakes,
                "a stored run's confusion cells, and the test frames behind one")  # fmt: skip
    p.add_argument("--model", required=True, help="a model name (its newest run) or a run path")
    p.add_argument("--cell", help="TRUE:PREDICTED, e.g. cookie:free: list the frames of that cell")
    p.add_argument("--limit", type=int, default=12, help="cells or frames shown (default 12)")
    p.add_argument("--task", choices=TASKS, help="with a model name: its task")
    return parser


class _Warnings(logging.Handler):
    """The core's log records as `warning: ...` lines on whatever sys.stderr is now (the
    backend's quiet start replaces it)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"warning: {record.getMessage()}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The core's warnings (a stored run left out, a damaged one trained again): one line each.
    core_log = logging.getLogger("handclf_core")
    if not any(isinstance(h, _Warnings) for h in core_log.handlers):
        core_log.addHandler(_Warnings())
    try:
        if args.command in KERAS_COMMANDS and not args.debug:
            from handclf_core.training.devices import load_backend_quietly, native_stderr_to_null

            if args.command == "models":  # Keras only if the counts are not cached yet
                native_stderr_to_null()
            else:
                load_backend_quietly()
        result = args.func(args)
    except HandCamError as e:
        if args.debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing partial was kept", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(result))
    else:
        from handclf_core.cli.text import render

        print(render(args.command, result))
    return 0
