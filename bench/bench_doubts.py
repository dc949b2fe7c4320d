"""Benchmark: how often Predict's doubts speak up, on foreign pictures and on test frames.

    python bench/bench_doubts.py [--frames 300] [--out docs/doubts.json]

On the built-in sample at its default size (320x180, stride 10), each model's run that
Predict shows by default (its recipe's run, else its best; a quick demo is trained where a
model has none) is shown two sets of pictures:

- foreign pictures, drawn here: flat colours of 13 hues, gradients (one of 8000x8000),
  noise, rendered text, checkerboards, a face-like and an outdoor-like scene, as a camera
  photo or an upload would bring them;
- `--frames` of the sample's own test frames, evenly spread, each taken as an upload (so
  that the per-model doubt about uploads may fire; a frame picked on the page never gets it).

For each set and model it reports the share of pictures that get a doubt "before" (the
rule of `inside.doubts.doubts` alone: size, shape, and the model less sure than on 95% of
its test frames) and "after" (with `inside.doubts.unlike`: a look outside what the training
frames show), both for any doubt and for doubts about what the picture shows (leaving out
the size and shape ones, which fire on a picture's dimensions alone); the time to measure
the training frames (once per dataset) and to check one picture; the machine and its load.
Goals: foreign pictures doubted most of the time, test frames under 10%.
This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from handclf_core.data.dataset import load_dataset  # noqa: E402
from handclf_core.data.images import decode_image  # noqa: E402
from handclf_core.inside import doubts as rule  # noqa: E402
from handclf_core.inside.predict import predict  # noqa: E402
from handclf_core.load import LoadMeter  # noqa: E402
from handclf_core.models import list_models  # noqa: E402
from handclf_core.runs.config import TrainConfig  # noqa: E402
from handclf_core.runs.experiments import quick  # noqa: E402
from handclf_core.runs.folders import default_per_model, list_runs  # noqa: E402
from handclf_core.runs.predictions import read_predictions  # noqa: E402
from handclf_core.training.devices import configure_device  # noqa: E402
from handclf_core.training.train import train  # noqa: E402
from handclf_core.views.runs import config_label, device_name  # noqa: E402
from handclf_core.vocab import Camera, Doubt, PictureSource  # noqa: E402

CAMERA = (640, 480)  # a browser camera's photo
HUES = {
    "red": (220, 30, 30),
    "orange": (240, 140, 20),
    "yellow": (240, 230, 40),
    "green": (40, 170, 60),
    "cyan": (40, 200, 210),
    "blue": (30, 60, 200),
    "purple": (120, 50, 170),
    "white": (250, 250, 250),
    "black": (5, 5, 5),
    "grey": (128, 128, 128),
    "beige": (235, 225, 195),  # near the sample's walls
    "skin": (225, 185, 140),  # near its hands
    "brown": (150, 90, 60),  # near its floors
}


def _ramp(width: int, height: int, colour: bool) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    if not colour:
        return Image.fromarray(np.broadcast_to(x, (height, width)).astype(np.uint8)).convert("RGB")
    planes = [np.broadcast_to(x, (height, width)), np.broadcast_to(y, (height, width))]
    planes.append(np.full((height, width), 128, np.float32))
    return Image.fromarray(np.stack(planes, axis=-1).astype(np.uint8))


def _text(ink, paper) -> Image.Image:
    im = Image.new("RGB", CAMERA, paper)
    draw, font = ImageDraw.Draw(im), ImageFont.load_default(size=28)
    for i in range(12):
        draw.text((20, 15 + 38 * i), "The quick brown fox jumps over 13 lazy dogs", ink, font)
    return im


def _checker(cell: int, a, b) -> Image.Image:
    y, x = np.mgrid[: CAMERA[1], : CAMERA[0]]
    odd = ((y // cell + x // cell) % 2).astype(bool)[..., None]
    return Image.fromarray(np.where(odd, np.array(a), np.array(b)).astype(np.uint8))


def _face() -> Image.Image:
    im = Image.new("RGB", CAMERA, (70, 90, 130))
    d = ImageDraw.Draw(im)
    d.ellipse((190, 30, 450, 170), fill=(60, 40, 25))  # hair
    d.ellipse((200, 60, 440, 400), fill=(225, 180, 140))
    for x in (260, 340):
        d.ellipse((x, 170, x + 40, 200), fill=(255, 255, 255))
        d.ellipse((x + 12, 175, x + 28, 195), fill=(40, 30, 20))
    d.arc((270, 260, 370, 340), 20, 160, fill=(150, 40, 40), width=6)
    d.rectangle((0, 400, CAMERA[0], CAMERA[1]), fill=(40, 60, 100))  # shoulders
    return im


def _outdoor() -> Image.Image:
    im = Image.new("RGB", CAMERA, (120, 180, 235))  # sky
    d = ImageDraw.Draw(im)
    d.rectangle((0, 300, CAMERA[0], CAMERA[1]), fill=(70, 150, 50))  # grass
    d.ellipse((480, 40, 560, 120), fill=(255, 230, 90))  # sun
    d.rectangle((140, 200, 160, 310), fill=(100, 70, 40))
    d.ellipse((90, 120, 210, 230), fill=(40, 110, 40))  # a tree
    d.polygon([(300, 300), (340, 240), (380, 300)], fill=(140, 140, 150))  # a rock
    return im


def foreign_pictures() -> dict[str, tuple[Image.Image, PictureSource]]:
    """Pictures unlike any HandCam frame, each with where it would come from."""
    rng = np.random.default_rng(0)
    h, w = CAMERA[1], CAMERA[0]
    out = {
        f"flat {k}": (Image.new("RGB", CAMERA, c), PictureSource.CAMERA) for k, c in HUES.items()
    }
    out["gradient grey"] = (_ramp(w, h, False), PictureSource.UPLOAD)
    out["gradient colour"] = (_ramp(w, h, True), PictureSource.UPLOAD)
    out["gradient 8000x8000"] = (_ramp(8000, 8000, True), PictureSource.UPLOAD)
    out["noise colour"] = (
        Image.fromarray(rng.integers(0, 256, (h, w, 3), np.uint8)),
        PictureSource.UPLOAD,
    )
    grey = rng.integers(0, 256, (h, w), np.uint8)
    out["noise grey"] = (Image.fromarray(grey).convert("RGB"), PictureSource.UPLOAD)
    blobs = Image.fromarray(rng.integers(0, 256, (6, 8, 3), np.uint8)).resize(CAMERA, Image.BICUBIC)
    out["noise blobs"] = (blobs, PictureSource.UPLOAD)
    out["text black on white"] = (_text((0, 0, 0), (255, 255, 255)), PictureSource.UPLOAD)
    out["text white on black"] = (_text((255, 255, 255), (0, 0, 0)), PictureSource.UPLOAD)
    out["checkerboard 8 px"] = (_checker(8, (255,) * 3, (0,) * 3), PictureSource.UPLOAD)
    out["checkerboard 40 px"] = (_checker(40, (255,) * 3, (0,) * 3), PictureSource.UPLOAD)
    out["checkerboard colour"] = (_checker(40, (200, 40, 40), (40, 200, 220)), PictureSource.UPLOAD)
    out["face-like"] = (_face(), PictureSource.CAMERA)
    out["outdoor-like"] = (_outdoor(), PictureSource.CAMERA)
    return {k: (im, PictureSource(source)) for k, (im, source) in out.items()}


def _runs(ds) -> list:
    """Predict's default run of each model; a quick demo trained where a model has none."""
    runs = default_per_model(list_runs(ds.identity, "obj"))
    for model in set(list_models()) - {r.model for r in runs}:
        print(f"no stored run of {model}: training its quick demo", flush=True)
        train(ds, quick(TrainConfig(model=model)))
    return default_per_model(list_runs(ds.identity, "obj"))


CONTENT = {Doubt.SYNTHETIC}  # the per-model doubts about what a picture shows


def _judge(picture, run, source, floor, usual, hand="left") -> dict:
    result = predict(picture, run, hand=hand, top=1)
    sure = result.top[0].probability
    before = rule.doubts(picture, run, source, sure, floor)
    t = time.perf_counter()
    odd = rule.unlike(picture, usual)
    ms = (time.perf_counter() - t) * 1000
    content = bool(set(before) & CONTENT)
    return {
        "answer": result.top[0].name,
        "probability": round(sure, 4),
        "before": [str(d) for d in before],
        "unlike": None if odd is None else odd.measure,
        "any_before": bool(before),
        "any_after": bool(before) or odd is not None,
        "content_before": content,
        "content_after": content or odd is not None,
        "unlike_ms": ms,
    }


def _rates(judged: list[dict]) -> dict:
    keys = ("any_before", "any_after", "content_before", "content_after")
    rates = {k: float(np.mean([j[k] for j in judged])) for k in keys}
    unlike = float(np.mean([j["unlike"] is not None for j in judged]))
    return {"pictures": len(judged), **rates, "unlike": unlike}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300, help="test frames shown")
    parser.add_argument("--out", help="write the report as JSON here (docs/doubts.json)")
    args = parser.parse_args()
    device = configure_device()
    loadavg = os.getloadavg()[0]
    with LoadMeter() as meter:
        ds = load_dataset()
        runs = _runs(ds)
        t = time.perf_counter()
        usual = rule.measure_looks(ds.identity, ds)
        measure_s = time.perf_counter() - t
        print(
            f"{device_name(device)}, load average {loadavg:.2f}; the training frames' look "
            f"measured on {usual.frames} frames in {measure_s:.1f} s",
            flush=True,
        )
        foreign = foreign_pictures()
        hands = ds.hand_frames()
        test = hands[hands.split == "test"]
        test = test.iloc[np.linspace(0, len(test) - 1, min(args.frames, len(test))).astype(int)]
        frames = [
            (decode_image(ds.read_bytes(f), f), Camera(c).hand)
            for f, c in zip(test.file, test.camera, strict=True)
        ]
        models, pictures = [], {name: {} for name in foreign}
        for run in runs:
            floor = rule.confidence_floor(read_predictions(run).probabilities)
            on_foreign = {}
            for name, (im, source) in foreign.items():
                on_foreign[name] = _judge(im, run, source, floor, usual)
                pictures[name][run.model] = on_foreign[name]
            on_test = [
                _judge(im, run, PictureSource.UPLOAD, floor, usual, hand) for im, hand in frames
            ]
            entry = {
                "model": run.model,
                "run": run.name,
                "label": config_label(run.config),
                "confidence_floor": floor,
                "foreign": _rates(list(on_foreign.values())),
                "test_frames": _rates(on_test),
                "test_frames_unlike": sorted({j["unlike"] for j in on_test if j["unlike"]}),
            }
            models.append(entry)
            f, s = entry["foreign"], entry["test_frames"]
            print(
                f"{run.model:10} foreign: any {f['any_before']:.0%} -> {f['any_after']:.0%}, "
                f"content {f['content_before']:.0%} -> {f['content_after']:.0%};  test frames: "
                f"any {s['any_before']:.1%} -> {s['any_after']:.1%}, content "
                f"{s['content_before']:.1%} -> {s['content_after']:.1%}",
                flush=True,
            )
        others = meter.mean()
    unlike_ms = [j["unlike_ms"] for p in pictures.values() for j in p.values()]
    print(
        f"unlike(): median {np.median(unlike_ms):.1f} ms a picture; other work meanwhile "
        f"{others:.2f} cores"
    )
    for name, by_model in pictures.items():
        said = next(iter(by_model.values()))["unlike"] or "-"
        answers = ", ".join(
            f"{m} {j['answer']} {j['probability']:.0%}" for m, j in by_model.items()
        )
        print(f"  {name:22} unlike: {said:8} {answers}")
    report = {
        "machine": {
            "device": device_name(device),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "load": {"load_average_at_start": loadavg, "other_work_cores_mean": others},
        "dataset": {"identity": ds.identity, "description": Path(ds.description).name},
        "rule": {
            "measures": list(rule.MEASURES),
            "frames_measured": usual.frames,
            "outer_share": rule.OUTER,
            "margin": rule.MARGIN,
            "rare_colour": rule.RARE,
            "mostly": rule.MOSTLY,
            "low": usual.low,
            "high": usual.high,
            "rare_colour_boxes": len(usual.rare),
        },
        "seconds_to_measure_training_frames": measure_s,
        "unlike_ms_median": float(np.median(unlike_ms)),
        "test_frames": len(frames),
        "models": models,
        "foreign_pictures": {
            name: {
                "unlike": next(iter(by_model.values()))["unlike"],
                **{
                    m: {k: j[k] for k in ("answer", "probability", "before")}
                    for m, j in by_model.items()
                },
            }
            for name, by_model in pictures.items()
        },
    }
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
