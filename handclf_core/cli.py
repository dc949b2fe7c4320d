"""Command-line interface: `python -m handclf_core <command> ...`.

Every command takes `--json` and then prints exactly one JSON object on stdout; progress bars
and messages go to stderr. A user's mistake (a wrong path, a corrupt frame) is one line on
stderr and exit code 2; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager

from .config import TASKS
from .errors import HandCamError


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
    from .dataset import load_dataset

    with progress_bar("generating the built-in sample") as update:
        ds = load_dataset(args.data, progress=update)
    if ds.is_sample:
        print(
            f"using the built-in sample ({ds.description}): synthetic pictures over real "
            "HandCam labels",
            file=sys.stderr,
        )
    return ds


def cmd_sample(args) -> dict:
    from pathlib import Path

    from .sample import default_sample_dir, generate_sample, parse_size

    size = parse_size(args.size)
    out = Path(args.out) if args.out else default_sample_dir(args.stride, size, args.seed)
    with progress_bar("writing sample frames") as update:
        generate_sample(out, stride=args.stride, size=size, seed=args.seed, progress=update)
    frames = sum(1 for _ in (out / "frames").rglob("*.png"))
    return {"path": str(out), "frames": frames, "stride": args.stride, "size": list(size)}


def cmd_stats(args) -> dict:
    from .stats import dataset_stats

    return dataset_stats(_dataset(args), args.task)


def _preprocessing(args):
    from .images import Preprocessing

    return Preprocessing(size=args.size, gray=args.gray, flip_right=args.flip, crop=args.crop)


def cmd_prepare(args) -> dict:
    from .store import prepare

    ds = _dataset(args)
    with progress_bar("preparing frames") as update:
        return prepare(ds, _preprocessing(args), workers=args.workers, progress=update)


def _print_human(result: dict) -> None:
    for key, value in result.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        print(f"{key}: {value}")


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
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
        _print_human(result)
    return 0
