"""The layout faults of every page in narrow rooms: presentation mode (the sidebar open) at
1280x800 and 1024x768, and a 1366x768 desk, in both languages, with ten tiny runs stored,
as tests/test_browser.py checks them at 1920 and 1440 (its `_layout_faults`, and on a
projector its smallest type). Prints one line per page, room and language.

    .venv/bin/python bench/probe_rooms.py [--pages compare,predict] [--sizes 1280,1024,1366]
        [--langs en,zh-tw] [--keep DIR]   (--keep: reuse a cache of trained runs in DIR)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROOMS = {  # width: (height, presentation mode)
    1280: (800, True),
    1024: (768, True),
    1366: (768, False),
}


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
    parser.add_argument("--sizes", default="1280,1024,1366")
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

    from playwright.sync_api import sync_playwright

    from tests.test_browser import (
        CHROMIUM,
        DETAILS,
        EXPERIMENTS,
        GALLERY,
        LAUNCH_ARGS,
        SMALLEST_TYPE,
        WAIT,
        _layout_faults,
        _settle,
        _streamlit,
    )

    pages = [p for p in GALLERY if not args.pages or p in args.pages.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    langs = args.langs.split(",")
    total = 0
    with _streamlit(sample_root) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for lang in langs:
            locale, which = ("en-US", 0) if lang == "en" else ("zh-TW", 1)
            switch = ("Presentation mode", "簡報模式")[which]
            for width in sizes:
                height, present = ROOMS[width]
                room = f"{width}x{height} {'projector' if present else 'desk'}"
                context = browser.new_context(
                    viewport={"width": width, "height": height}, locale=locale
                )
                page = context.new_page()
                page.set_default_timeout(WAIT)
                sidebar = page.locator('[data-testid="stSidebar"]')
                page.goto(f"{url}/")
                _settle(page)
                if present:
                    sidebar.get_by_text(switch).click()
                    _settle(page)
                for name in pages:
                    sidebar.get_by_role("link", name=GALLERY[name][which]).click()
                    _settle(page)
                    if name == "train":
                        page.get_by_text(EXPERIMENTS[which]).first.click()
                        page.locator('[data-testid="stMultiSelect"]').first.wait_for()
                        _settle(page)
                    if name == "compare":
                        page.get_by_text(DETAILS[which], exact=True).first.click()
                        page.locator('[data-testid="stTable"]').nth(1).wait_for()
                        _settle(page)
                    faults = _layout_faults(page)
                    if present:
                        px, text = page.evaluate(SMALLEST_TYPE)
                        if px < 16:
                            faults["small type"] = [f"{px} px: {text}"]
                    total += sum(len(v) for v in faults.values())
                    print(
                        f"{name:14} {lang:6} {room:22} "
                        + ("clean" if not faults else repr(faults)),
                        flush=True,
                    )
                    if args.shots:
                        shot = Path(args.shots) / f"{name}-{lang}-{width}.png"
                        shot.parent.mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=str(shot), full_page=True)
                context.close()
        browser.close()
    print(f"{total} faults in all")


if __name__ == "__main__":
    main()
