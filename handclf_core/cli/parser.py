"""Every command and option of `python -m handclf_core`, in one place, as `--help` shows
them."""

from __future__ import annotations

import argparse

from handclf_core.cli.commands import (
    cmd_evaluate,
    cmd_experiments,
    cmd_explain,
    cmd_mistakes,
    cmd_models,
    cmd_predict,
    cmd_prepare,
    cmd_runs,
    cmd_sample,
    cmd_stats,
    cmd_train,
)
from handclf_core.models import list_models
from handclf_core.vocab import METRICS, TASKS, Balance, Hand, Precision


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


def _seeds_option(p) -> None:
    p.add_argument("--seeds", type=int, default=1,
                   help="train each setting with N seeds (--seed, --seed+1, ...), each its "
                   "own stored run; figures are their mean, intervals pool them (default "
                   "1)")  # fmt: skip


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
            p.add_argument(
                "--estimate", action="store_true", help="how long it takes here now; no training"
            )
            _seeds_option(p)

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
    _seeds_option(p)

    p = command("runs", cmd_runs, "list the stored runs, compare two, or delete one")
    p.add_argument("action", choices=["list", "compare", "delete"], nargs="?", default="list")
    p.add_argument("name", nargs="?", help="delete, compare: a run's name (its folder)")
    p.add_argument("other", nargs="?", help="compare: the run it is compared with")
    p.add_argument("--metric", choices=list(METRICS), default="test_accuracy",
                   help="compare: the figure compared (default test_accuracy)")  # fmt: skip
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
