"""Every command and option of `python -m handclf_core`, in one place, as `--help` shows
them."""

from __future__ import annotations

import argparse
import math
import re

from handclf_core.cli.commands import cmd_models, cmd_prepare, cmd_sample, cmd_stats
from handclf_core.cli.report import cmd_report
from handclf_core.cli.run_commands import cmd_explain, cmd_mistakes, cmd_predict, cmd_runs
from handclf_core.cli.train_commands import cmd_evaluate, cmd_experiments, cmd_train
from handclf_core.data.images import MAX_INPUT, MIN_INPUT
from handclf_core.models import list_models
from handclf_core.runs.config import MAX_SEED
from handclf_core.vocab import CLASSES, METRICS, Balance, Hand, Precision, Task

# The range of every number a user gives: refused by argparse, before any work is done (a
# count with no bound would build a configuration per seed, or read every frame, first).
MAX_SEEDS = 10  # seeds per setting (the app offers 1, 3, 5), each a full training
MAX_EPOCHS = 1000
MAX_BATCH = 4096
MAX_LIMIT = 1_000_000  # frames per split: the full HandCam has 27,768 training frames
MAX_LR = 10.0
MAX_WORKERS = 256
MAX_STRIDE = 1000
MAX_SHOWN = 1000  # mistakes: cells or frames listed
MAX_SAMPLE_SIZE = (1920, 1080)  # the camera's frames: a larger sample only fills the disk
MAX_TOP = max(len(names) for names in CLASSES.values())


def whole(lo: int, hi: int):
    """argparse type: a whole number lo..hi ("8589934592", "2**33" and "1e3" refused)."""

    def convert(text: str) -> int:
        value = int(text) if re.fullmatch(r"\s*[+-]?\d{1,30}\s*", text) else None
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(
                f"expected a whole number from {lo} to {hi}, found {text}"
            )
        return value

    return convert


def real(lo: float, hi: float, *, open_lo: bool = False, open_hi: bool = False):
    """argparse type: a finite number in the range lo..hi, each end open where told (NaN and
    infinities refused)."""
    left, right = "(" if open_lo else "[", ")" if open_hi else "]"

    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        inside = (lo < value if open_lo else lo <= value) and (
            value < hi if open_hi else value <= hi
        )
        if not (math.isfinite(value) and inside):
            raise argparse.ArgumentTypeError(
                f"expected a number in {left}{lo:g}, {hi:g}{right}, found {text}"
            )
        return value

    return convert


def picture_size(text: str) -> tuple[int, int]:
    """argparse type of `sample --size`: WxH from the sample's least to the camera's."""
    from handclf_core.data.sample import MIN_SIZE, parse_size
    from handclf_core.errors import HandCamError

    (w, h), (hi_w, hi_h) = MIN_SIZE, MAX_SAMPLE_SIZE
    expected = f"expected a size WxH from {w}x{h} to {hi_w}x{hi_h}, such as 320x180"
    try:
        size = parse_size(text) if len(text) < 40 else None
    except HandCamError:
        size = None
    if size is None or size[0] > hi_w or size[1] > hi_h:
        raise argparse.ArgumentTypeError(f"{expected}, found {text}")
    return size


def term(kind):
    """argparse type of a vocabulary option, with `choices=ids(kind)`: its member, or the text
    as given, which the choices then refuse listing the plain ids (not the members' reprs)."""

    def convert(text: str):
        try:
            return kind(text)
        except ValueError:
            return text

    convert.__name__ = kind.kind()
    return convert


def ids(kind) -> list[str]:
    """The plain ids of a vocabulary kind, as choices."""
    return [m.value for m in kind]


class _Parser(argparse.ArgumentParser):
    """argparse refusing as every command does: one line `error: …` naming the option
    ("error: --seeds: expected a whole number from 1 to 10, found 0"), exit code 2;
    `--help` gives the usage."""

    def error(self, message: str):
        self.exit(2, f"error: {message.removeprefix('argument ')}\n")


def _train_options(p) -> None:
    """The options of a training configuration (train, evaluate); unset: the recipe's."""
    p.add_argument("--quick", action="store_true",
                   help="the model's quick class demo (see the Train page): fewer frames or "
                   "epochs where the recipe would take minutes")  # fmt: skip
    p.add_argument("--epochs", type=whole(1, MAX_EPOCHS), help="default: the model's recipe")
    p.add_argument("--batch-size", type=whole(1, MAX_BATCH), help="default: the model's recipe")
    p.add_argument(
        "--lr", type=real(0, MAX_LR, open_lo=True), help="learning rate; default: the recipe's"
    )
    p.add_argument(
        "--momentum",
        type=real(0, 1, open_hi=True),
        help="SGD momentum (alexnet); default: the recipe's 0.9",
    )
    p.add_argument(
        "--size",
        type=whole(MIN_INPUT, MAX_INPUT),
        help="input side in pixels; default: the recipe's",
    )
    colour = p.add_mutually_exclusive_group()
    colour.add_argument("--gray", dest="gray", action="store_const", const=True,
                        help="one grayscale channel (the mnist recipe's)")  # fmt: skip
    colour.add_argument("--rgb", dest="gray", action="store_const", const=False,
                        help="three colour channels (the other recipes')")  # fmt: skip
    p.add_argument("--flip", action=argparse.BooleanOptionalAction,
                   help="mirror right-hand frames (default: the recipe's: alexnet's)")  # fmt: skip
    p.add_argument("--crop", action="store_true", help="centre-crop instead of squashing")
    p.add_argument(
        "--balance",
        choices=ids(Balance),
        default=Balance.NONE,
        type=term(Balance),
        help="class balancing",
    )
    p.add_argument("--no-shuffle", action="store_true", help="keep frame order")
    p.add_argument("--validation", default="recording",
                   help="frames held out to validate on: 'recording' (lab/4, default), "
                   "SCENE/N (another recording), 'random' (20%% of frames, as the report's "
                   "validation_split=0.2) or 'none'")  # fmt: skip
    p.add_argument("--precision", choices=ids(Precision), type=term(Precision),
                   help="number format; default: mixed bfloat16 on a CPU with bfloat16 "
                   "instructions, mixed float16 on a GPU, float32 elsewhere")  # fmt: skip
    p.add_argument(
        "--limit", type=whole(1, MAX_LIMIT), help="at most N frames per split (quick demos)"
    )
    p.add_argument("--seed", type=whole(0, MAX_SEED), default=0, help="random seed (default 0)")


def _task_option(p, help: str = "label set (default obj)", default=Task.OBJ) -> None:
    p.add_argument("--task", choices=ids(Task), type=term(Task), default=default, help=help)


def _seeds_option(p) -> None:
    p.add_argument("--seeds", type=whole(1, MAX_SEEDS), default=1,
                   help="train each setting with N seeds (--seed, --seed+1, ...), each its "
                   "own stored run; figures are their mean, intervals pool them (default "
                   "1)")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
            # The commands that only read runs never generate the sample (cli.dataset).
            fallback = "the built-in sample"
            if name in ("runs", "mistakes"):
                fallback += " once generated"
            p.add_argument(
                "--data",
                help="dataset folder (frames/ + labels/, or frames.zip + labels.zip), or "
                f"'frames.zip,labels.zip'; default $HANDCAM_DATA, else {fallback}",
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
    p.add_argument(
        "--stride", type=whole(1, MAX_STRIDE), default=10, help="keep every Nth frame (default 10)"
    )
    p.add_argument(
        "--size", type=picture_size, default="320x180", help="frame size WxH (default 320x180)"
    )
    p.add_argument("--seed", type=whole(0, MAX_SEED), default=0, help="random seed of the pictures")

    p = command("stats", cmd_stats, "frame and class counts, imbalance, majority baseline")
    _task_option(p)

    p = command("prepare", cmd_prepare, "decode frames once into the frame store")
    p.add_argument(
        "--size",
        type=whole(MIN_INPUT, MAX_INPUT),
        default=32,
        help="model input side (32, 28, 227)",
    )
    p.add_argument("--gray", action="store_true", help="grayscale (one channel)")
    p.add_argument("--flip", action="store_true", help="mirror right-hand frames")
    p.add_argument("--crop", action="store_true", help="centre-crop instead of squashing")
    p.add_argument(
        "--workers", type=whole(1, MAX_WORKERS), help="decoding processes (default: one per core)"
    )

    p = command("models", cmd_models, "the registered models and their recipes", data=False)
    _task_option(p)

    for name, func, help in (
        ("train", cmd_train, "train a model, or load it when this configuration is stored"),
        ("evaluate", cmd_evaluate, "test-split metrics of a model (trains it if not stored)"),
    ):
        p = command(name, func, help)
        p.add_argument("--model", required=True, choices=list_models())
        _task_option(p)
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
    _task_option(p)
    p.add_argument("--only", help="comma-separated experiment ids or models (default: all)")
    p.add_argument(
        "--precision",
        choices=ids(Precision),
        type=term(Precision),
        help="number format (default: what the device is fast at)",
    )
    p.add_argument("--seed", type=whole(0, MAX_SEED), default=0, help="random seed (default 0)")
    _seeds_option(p)

    p = command("runs", cmd_runs, "list the stored runs, compare two, or delete one")
    p.add_argument("action", choices=["list", "compare", "delete"], nargs="?", default="list")
    p.add_argument("name", nargs="?", help="delete, compare: a run's name (its folder)")
    p.add_argument("other", nargs="?", help="compare: the run it is compared with")
    p.add_argument("--metric", choices=list(METRICS), default="test_accuracy",
                   help="compare: the figure compared (default test_accuracy)")  # fmt: skip
    _task_option(p, "list: only runs of this label set", default=None)
    p.add_argument("--yes", action="store_true", help="delete without asking")

    p = command("predict", cmd_predict, "classify one image with a stored run", data=False)
    p.add_argument("--model", required=True, help="a model name (its newest run) or a run path")
    p.add_argument("--image", required=True, help="a PNG or JPEG file")
    p.add_argument(
        "--hand",
        choices=ids(Hand),
        type=term(Hand),
        help="the wrist camera that took it (default: from the file name, Rhand -> right, "
        "else left)",
    )
    p.add_argument("--top", type=whole(1, MAX_TOP), default=5, help="how many classes to show")
    _task_option(p, "with a model name: its task", default=None)

    p = command("explain", cmd_explain, "where a stored run looks in one image (occlusion)",
                data=False)  # fmt: skip
    p.add_argument("--model", required=True, help="a model name (its newest run) or a run path")
    p.add_argument("--image", required=True, help="a PNG or JPEG file")
    p.add_argument("--hand", choices=ids(Hand), type=term(Hand),
                   help="the wrist camera that took it (default: from the file name)")  # fmt: skip
    p.add_argument("--out", help="write the picture with the heat map over it here (.png)")
    _task_option(p, "with a model name: its task", default=None)

    p = command("mistakes", cmd_mistakes,
                "a stored run's confusion cells, and the test frames behind one")  # fmt: skip
    p.add_argument("--model", required=True, help="a model name (its newest run) or a run path")
    p.add_argument("--cell", help="TRUE:PREDICTED, e.g. cookie:free: list the frames of that cell")
    p.add_argument(
        "--limit", type=whole(1, MAX_SHOWN), default=12, help="cells or frames shown (default 12)"
    )
    _task_option(p, "with a model name: its task", default=None)

    p = command("report", cmd_report, "write the lab report of stored runs (HTML or Markdown)")
    p.add_argument(
        "--runs",
        nargs="+",
        required=True,
        metavar="NAME",
        help="the runs reported (names from `runs list`, or run folders); the "
        "runs of one setting, equal but for the seed, are pooled",
    )
    p.add_argument(
        "--out",
        required=True,
        help="the file written: REPORT.html, or REPORT.md with REPORT_files/ beside it",
    )
    p.add_argument("--format", choices=["html", "md"], help="default: from --out's ending")
    p.add_argument(
        "--lang", choices=["en", "zh-TW"], default="en", help="the report's language (default en)"
    )
    return parser
