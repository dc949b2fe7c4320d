"""The layout faults of every page in every room (tests/layout.py's ROOMS: desks, projectors
in presentation mode with the sidebar open, a phone), in both languages, with ten tiny
runs stored, as tests/test_browser.py checks them. Prints one line per page, room and
language; with --shots, a screenshot of each.

    .venv/bin/python bench/probe_rooms.py [--pages compare,predict]
        [--rooms projector-1024,phone] [--langs en,zh-tw] [--keep DIR] [--shots DIR]
    (--keep: reuse a cache of trained runs in DIR)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _train_runs(sample_root: Path) -> None:
    """The browser test's runs: tiny_run, flip_run and class_runs' eight."""
    import dataclasses

    from handclf_core.data.dataset import open_dataset
    from handclf_core.runs.config import TrainConfig
    from handclf_core.training.train import train
    from handclf_core.vocab import Balance, Validation

    ds = open_dataset(sample_root)
    train(ds, TrainConfig(model="cnn_basic", epochs=1, batch_size=32, limit=64))
    train(ds, TrainConfig(model="mnist", epochs=1, batch_size=32, limit=32, flip_right=True))
    tiny = TrainConfig(model="cnn_basic", epochs=1, batch_size=32, limit=32)
    changes = [
        {"gray": True},
        {"flip_right": True},
        {"balance": Balance.CLASS_WEIGHT},
        {"validation": Validation.RANDOM},
        {"seed": 1},
        {"seed": 2},
        {"model": "mnist", "gray": False},
        {"model": "alexnet"},
    ]
    for change in changes:
        train(ds, dataclasses.replace(tiny, **change))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", default="")
    parser.add_argument("--rooms", default="", help="the rooms' names, all by default")
    parser.add_argument("--langs", default="en,zh-tw")
    parser.add_argument("--keep", default="")
    parser.add_argument("--shots", default="", help="a folder for a screenshot of each")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="probe-rooms-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["HANDCLF_CACHE"] = str(work / "cache")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from handclf_core.data.sample import generate_sample

    sample_root = work / "sample" / "handcam"
    if not (work / "trained").exists():
        generate_sample(sample_root, stride=50, size=(64, 36))
        _train_runs(sample_root)
        (work / "trained").touch()
    print(f"cache and sample in {work} (--keep {work} to reuse them)", flush=True)

    from tests.browser import _streamlit, chromium
    from tests.layout import GALLERY, ROOMS, by_kind, open_room, room_faults, visit

    pages = [p for p in GALLERY if not args.pages or p in args.pages.split(",")]
    rooms = [r for r in ROOMS if not args.rooms or r.name in args.rooms.split(",")]
    langs = args.langs.split(",")
    total = 0
    with _streamlit(sample_root) as url, chromium() as browser:
        for lang in langs:
            locale = "en-US" if lang == "en" else "zh-TW"
            for _kind, group in by_kind(rooms):
                page = open_room(browser, url, group[0], locale)
                for name in pages:
                    visit(page, url, name, group[0])
                    for room in group:
                        faults = room_faults(page, room)
                        total += sum(len(v) for v in faults.values())
                        print(
                            f"{name:14} {lang:6} {room.name:16} "
                            + ("clean" if not faults else repr(faults)),
                            flush=True,
                        )
                        if args.shots:
                            shot = Path(args.shots) / f"{name}-{lang}-{room.name}.png"
                            shot.parent.mkdir(parents=True, exist_ok=True)
                            page.screenshot(path=str(shot), full_page=True)
                page.context.close()
    print(f"{total} faults in all")


if __name__ == "__main__":
    main()
