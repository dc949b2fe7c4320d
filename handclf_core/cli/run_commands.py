"""The commands over stored runs: `predict` and `explain` a picture, a run's `mistakes`, and
`runs` (list, delete, compare two)."""

from __future__ import annotations

import sys
from pathlib import Path

from handclf_core.cli.bars import progress_bar
from handclf_core.cli.dataset import dataset_of, lacking_data
from handclf_core.cli.train_commands import interval_fields
from handclf_core.errors import HandCamError


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
    ds = dataset_of(args, lacking_data(run))
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
             **interval_fields([r], tables[r.dataset.identity]), "seconds": r.timings.seconds,
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
        ds = dataset_of(args, lacking)
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
