"""A built-in sample of HandCam: the real label sequences over synthetic pictures.

The real frames (about 28k PNGs of 1920x1080 per camera) cannot be shipped, but their labels
can (`data/handcam_labels.npz`). This module writes a small data set in the exact HandCam
layout whose labels are the real sequences, subsampled, and whose pictures are drawn: a scene
background, a hand entering from the wrist camera's side and, when the obj label is not
`free`, the held object, drawn from a per-class spec with random jitter. So every reader,
model and page of the project runs with no download, on the real class imbalance.
"""

from __future__ import annotations

import functools
import math
import os
import re
import shutil
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from handclf_core import config
from handclf_core.errors import HandCamError

DEFAULT_STRIDE = 10
DEFAULT_SIZE = (320, 180)
MIN_SIZE = (32, 18)
_CHUNK = 40  # frames per worker task: fine-grained progress, yet few tasks to schedule

RGB = tuple[int, int, int]
# obj class id -> (shape, width, height, colour, detail); sizes are fractions of the frame
# height, so an object covers 15-35% of it at any resolution and survives squashing to 32x32.
OBJECTS: dict[int, tuple[str, float, float, RGB, str]] = {
    1: ("box", 0.34, 0.24, (60, 62, 72), "screen"),  # computer
    2: ("round", 0.14, 0.25, (40, 110, 200), "band"),  # cellphone
    3: ("ellipse", 0.16, 0.16, (205, 170, 60), "rings"),  # coin
    4: ("box", 0.36, 0.09, (235, 220, 120), "ticks"),  # ruler
    5: ("can", 0.13, 0.34, (170, 176, 186), "cap"),  # thermos-bottle
    6: ("bar", 0.07, 0.34, (190, 50, 60), "cap"),  # whiteboard-pen
    7: ("round", 0.14, 0.25, (175, 72, 40), "band"),  # whiteboard-eraser
    8: ("bar", 0.07, 0.34, (40, 95, 220), "cap"),  # pen
    9: ("can", 0.22, 0.22, (236, 236, 228), "handle"),  # cup
    10: ("box", 0.11, 0.30, (60, 135, 60), "buttons"),  # remote-control-TV
    11: ("box", 0.11, 0.30, (150, 72, 150), "buttons"),  # remote-control-AC
    12: ("box", 0.17, 0.17, (200, 170, 90), "toggle"),  # switch
    13: ("box", 0.34, 0.30, (170, 210, 235), "panes"),  # windows
    14: ("box", 0.28, 0.35, (226, 228, 232), "door"),  # fridge
    15: ("box", 0.32, 0.32, (140, 95, 55), "door"),  # cupboard
    16: ("bar", 0.20, 0.30, (185, 188, 195), "spout"),  # water-tap
    17: ("ellipse", 0.22, 0.22, (240, 200, 30), "stripe"),  # toy
    18: ("can", 0.30, 0.28, (50, 50, 56), "handle"),  # kettle
    19: ("can", 0.11, 0.32, (80, 170, 110), "cap"),  # bottle
    20: ("box", 0.24, 0.18, (210, 140, 60), "dots"),  # cookie
    21: ("box", 0.26, 0.32, (120, 40, 50), "spine"),  # book
    22: ("round", 0.14, 0.14, (220, 40, 40), "none"),  # magnet
    23: ("box", 0.17, 0.17, (123, 186, 212), "toggle"),  # lamp-switch
}
# Same shape, size and detail, different hue at (near) equal luminance Y = .299R+.587G+.114B
# (what PIL's "L" uses): a grayscale input cannot tell these apart, a colour one can.
ISOLUMINANT_PAIRS = ((10, 11), (6, 8), (2, 7), (12, 23))
# Scene palettes: wall, floor, two furniture colours.
SCENE_COLOURS: dict[str, tuple[RGB, RGB, RGB, RGB]] = {
    "house": ((215, 195, 160), (150, 100, 60), (120, 50, 50), (90, 120, 80)),
    "lab": ((200, 210, 215), (170, 175, 180), (60, 80, 110), (235, 235, 235)),
    "office": ((185, 190, 200), (80, 90, 120), (170, 140, 100), (30, 30, 35)),
}


@functools.cache
def builtin_labels() -> dict[str, np.ndarray]:
    """The packaged real HandCam label sequences, keyed "scene/task_sideN" (uint8, read-only)."""
    with np.load(Path(__file__).parent / "data" / "handcam_labels.npz") as data:
        labels = {key: data[key] for key in data.files}
    for array in labels.values():
        array.setflags(write=False)  # shared by every caller through the cache
    return labels


def _rng(key: tuple) -> np.random.Generator:
    # crc32, not hash(): str hashes differ between processes.
    return np.random.default_rng([zlib.crc32(str(part).encode()) for part in key])


def _jitter(rng: np.random.Generator, rgb: RGB, amount: int) -> RGB:
    return tuple(int(c) for c in np.clip(np.add(rgb, rng.integers(-amount, amount + 1, 3)), 0, 255))


@functools.lru_cache(maxsize=16)
def _style(scene: str, size: tuple[int, int], key: tuple) -> tuple[Image.Image, RGB]:
    """Per recording and camera: a background 1/8 larger than the frame (for camera shake)
    and a skin colour."""
    rng = _rng(key)
    wall, floor, *furniture = (_jitter(rng, c, 15) for c in SCENE_COLOURS[scene])
    bw, bh = size[0] + size[0] // 8, size[1] + size[1] // 8
    img = Image.new("RGB", (bw, bh), floor if key[-1] == "head" else wall)
    d = ImageDraw.Draw(img)
    if key[-1] == "head":  # seen from above: floor with a table or desk top in front
        d.rectangle(
            (
                rng.uniform(0.1, 0.3) * bw,
                -1,
                rng.uniform(0.7, 0.9) * bw,
                rng.uniform(0.4, 0.6) * bh,
            ),
            fill=furniture[0],
        )
        horizon = bh
    else:  # seen from the wrist: wall above a floor or desk edge, furniture on the line
        horizon = rng.uniform(0.4, 0.6) * bh
        d.polygon(
            [(0, horizon), (bw, horizon + rng.uniform(-0.1, 0.1) * bh), (bw, bh), (0, bh)],
            fill=floor,
        )
        for _ in range(rng.integers(2, 5)):
            x, w, h = rng.uniform(0, bw), rng.uniform(0.1, 0.3) * bw, rng.uniform(0.15, 0.4) * bh
            d.rectangle(
                (x, horizon - h, x + w, horizon + 0.05 * bh), fill=furniture[rng.integers(2)]
            )
    line = tuple(int(c * 0.8) for c in floor)
    for _ in range(rng.integers(4, 9)):  # planks, tiles or carpet seams
        y = rng.uniform(0, bh) if key[-1] == "head" else rng.uniform(horizon, bh)
        d.line((0, y, bw, y + rng.uniform(-0.1, 0.1) * bh), fill=line, width=max(1, bh // 90))
    return img, _jitter(rng, (224, 172, 140), 20)


def _draw_object(obj: int, unit: float, rng: np.random.Generator) -> Image.Image:
    """The object of class `obj` on a transparent tile, scaled, recoloured and rotated."""
    shape, fw, fh, rgb, detail = OBJECTS[obj]
    scale = unit * rng.uniform(0.85, 1.15)
    w, h = max(3, round(fw * scale)), max(3, round(fh * scale))
    rgb = _jitter(rng, rgb, 8)
    dark, light = tuple(c // 3 for c in rgb), tuple((c + 255) // 2 for c in rgb)
    tile = Image.new("RGBA", (w, h))
    d = ImageDraw.Draw(tile)
    bw = round(w * 0.7) if detail in ("handle", "spout") else w  # room for what sticks out
    if detail == "handle":
        d.arc((bw * 0.5, h * 0.2, w - 1, h * 0.7), -90, 90, fill=dark, width=max(1, w // 10))
    if detail == "spout":
        d.rectangle((0, 0, w - 1, h * 0.18), fill=rgb, outline=dark)
        d.rectangle((w * 0.8, 0, w - 1, h * 0.32), fill=rgb, outline=dark)
    body = (0, 0, bw - 1, h - 1)
    if shape == "ellipse":
        d.ellipse(body, fill=rgb, outline=dark)
    elif shape == "round":
        d.rounded_rectangle(body, radius=min(bw, h) // 4, fill=rgb, outline=dark)
    elif shape == "can":
        d.rectangle((0, h * 0.08, bw - 1, h * 0.92), fill=rgb)
        d.ellipse((0, h * 0.84, bw - 1, h - 1), fill=rgb)
        d.ellipse((0, 0, bw - 1, h * 0.16), fill=light, outline=dark)
    else:
        d.rectangle(body, fill=rgb, outline=dark)
    lw = max(1, min(bw, h) // 12)
    if detail == "screen":
        d.rectangle((bw * 0.1, h * 0.08, bw * 0.9, h * 0.55), fill=(90, 140, 200))
        for y in (0.68, 0.8, 0.92):
            d.line((bw * 0.1, h * y, bw * 0.9, h * y), fill=light, width=lw)
    elif detail == "band":
        d.rectangle((0, h * 0.65, bw - 1, h * 0.85), fill=dark)
    elif detail == "rings":
        d.ellipse((bw * 0.2, h * 0.2, bw * 0.8, h * 0.8), outline=dark, width=lw)
    elif detail == "ticks":
        for x in np.linspace(bw * 0.05, bw * 0.95, 10):
            d.line((x, 0, x, h * 0.4), fill=dark, width=lw)
    elif detail == "cap":
        d.rectangle((bw * 0.15, 0, bw * 0.85, h * 0.2), fill=dark)
    elif detail == "buttons":
        r = bw * 0.12
        for x in (0.3, 0.7):
            for y in (0.35, 0.5, 0.65, 0.8):
                d.ellipse((bw * x - r, h * y - r, bw * x + r, h * y + r), fill=light)
        d.ellipse((bw * 0.5 - r, h * 0.12 - r, bw * 0.5 + r, h * 0.12 + r), fill=dark)
    elif detail == "toggle":
        d.rectangle((bw * 0.35, h * 0.25, bw * 0.65, h * 0.75), fill=light, outline=dark)
    elif detail == "panes":
        d.line((bw / 2, 0, bw / 2, h), fill=(245, 245, 245), width=3 * lw)
        d.line((0, h / 2, bw, h / 2), fill=(245, 245, 245), width=3 * lw)
    elif detail == "door":
        d.line((bw / 2, 0, bw / 2, h), fill=dark, width=lw)
        d.rectangle((bw * 0.55, h * 0.4, bw * 0.62, h * 0.6), fill=dark)
    elif detail == "stripe":
        d.chord(body, 200, 340, fill=(40, 80, 200))
    elif detail == "dots":
        for x, y in ((0.2, 0.3), (0.5, 0.6), (0.8, 0.3), (0.3, 0.8), (0.75, 0.75)):
            d.ellipse((bw * x - 2 * lw, h * y - 2 * lw, bw * x + 2 * lw, h * y + 2 * lw), fill=dark)
    elif detail == "spine":
        d.rectangle((0, 0, bw * 0.14, h), fill=dark)
        d.rectangle((bw * 0.92, 2, bw - 1, h - 3), fill=(240, 236, 220))
    return tile.rotate(rng.uniform(-35, 35), resample=Image.Resampling.BICUBIC, expand=True)


def _ellipse(cx: float, cy: float, rx: float, ry: float, angle: float) -> list[tuple]:
    ca, sa = math.cos(angle), math.sin(angle)
    ts = np.linspace(0, 2 * math.pi, 24, endpoint=False)
    return [
        (
            cx + rx * math.cos(t) * ca - ry * math.sin(t) * sa,
            cy + rx * math.cos(t) * sa + ry * math.sin(t) * ca,
        )
        for t in ts
    ]


def _hand_layer(size, labels, rng, skin, palm, unit) -> Image.Image:
    """A left hand (and its object) on a transparent layer: forearm from the bottom-left,
    fingers and object up-right; `unit` is the hand's scale in pixels."""
    layer = Image.new("RGBA", size)
    d = ImageDraw.Draw(layer)
    px, py = palm
    ang = math.radians(-40 + rng.uniform(-12, 12))  # image y points down: negative is upward
    ca, sa = math.cos(ang), math.sin(ang)
    shade = tuple(int(c * 0.85) for c in skin)
    d.line((px - ca * unit, py - sa * unit, px, py), fill=shade, width=round(0.36 * unit))
    d.polygon(_ellipse(px, py, 0.26 * unit, 0.21 * unit, ang), fill=skin)
    ges = labels["ges"]
    spread, reach = 0.18 + 0.05 * (ges % 4), 0.32 * (1 - 0.15 * (ges % 3))  # pose follows ges
    fw = max(1, round(0.075 * unit))
    for k in range(4):
        a = ang + spread * (k - 1.5)
        bx, by = px + ca * 0.2 * unit, py + sa * 0.2 * unit
        d.line(
            (bx, by, bx + math.cos(a) * reach * unit, by + math.sin(a) * reach * unit),
            fill=skin,
            width=fw,
        )
    if labels["obj"]:
        tile = _draw_object(labels["obj"], unit, rng)
        dist = (0.62 + rng.uniform(-0.06, 0.06)) * unit
        cx, cy = px + ca * dist + rng.uniform(-0.05, 0.05) * unit, py + sa * dist
        layer.alpha_composite(tile, (round(cx - tile.width / 2), round(cy - tile.height / 2)))
        d = ImageDraw.Draw(layer)
    thumb = ang + 0.9 + 0.1 * (ges % 5)  # the thumb crosses in front of the held object
    tx, ty = px + math.cos(ang + 1.2) * 0.2 * unit, py + math.sin(ang + 1.2) * 0.2 * unit
    d.line(
        (tx, ty, tx + math.cos(thumb - 1.5) * 0.3 * unit, ty + math.sin(thumb - 1.5) * 0.3 * unit),
        fill=shade,
        width=round(fw * 1.2),
    )
    return layer


def _finish(img: Image.Image, rng: np.random.Generator, mirror: bool) -> Image.Image:
    # Blur, brightness and sensor noise, so no frame is an exact copy of its class template.
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.0) * img.height / 180))
    noise = rng.normal(0, rng.uniform(2, 8), (img.height, img.width, 3)).astype(np.float32)
    pixels = np.asarray(img, dtype=np.float32) * rng.uniform(0.7, 1.3) + noise
    img = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return ImageOps.mirror(img) if mirror else img


def _frame_start(scene: str, size: tuple[int, int], key: tuple, rng: np.random.Generator):
    background, skin = _style(scene, tuple(size), key[:-1])
    ox, oy = rng.integers(0, size[0] // 8 + 1), rng.integers(0, size[1] // 8 + 1)  # shake
    return background.crop((ox, oy, ox + size[0], oy + size[1])).convert("RGBA"), skin


def draw_hand_frame(
    labels: dict, scene: str, size: tuple[int, int], key: tuple, *, mirror: bool = False
) -> Image.Image:
    """One wrist-camera frame, drawn as the left camera sees it.

    Args:
        labels: this hand's labels, {"obj": id, "ges": id, ...}.
        scene: "house", "lab" or "office".
        size: (width, height) in pixels.
        key: what seeds the randomness, (seed, split, scene, recording, camera, frame); the
            key without its last item picks the recording's background and skin colour.
        mirror: flip left-right at the end, as for the right-hand camera.
    Returns:
        An RGB image; the same arguments always give the same pixels.
    """
    rng = _rng(key)
    img, skin = _frame_start(scene, size, key, rng)
    palm = (
        min(0.3 * size[1], 0.4 * size[0]) + rng.uniform(-0.04, 0.04) * size[1],
        size[1] * rng.uniform(0.95, 1.02),
    )
    img.alpha_composite(_hand_layer(size, labels, rng, skin, palm, size[1]))
    return _finish(img.convert("RGB"), rng, mirror)


def draw_head_frame(
    left: dict, right: dict, scene: str, size: tuple[int, int], key: tuple
) -> Image.Image:
    """One head-camera frame: the scene from above, both hands small at the bottom (each
    hand's labels as in `draw_hand_frame`, the right hand drawn as a mirrored left one)."""
    rng = _rng(key)
    img, skin = _frame_start(scene, size, key, rng)
    for labels, mirror in ((left, False), (right, True)):
        palm = (size[0] * rng.uniform(0.25, 0.32), size[1] * rng.uniform(0.98, 1.05))
        layer = _hand_layer(size, labels, rng, skin, palm, 0.5 * size[1])
        img.alpha_composite(ImageOps.mirror(layer) if mirror else layer)
    return _finish(img.convert("RGB"), rng, False)


def _kept_indices(sequences: np.ndarray, stride: int) -> np.ndarray:
    """Indices kept from (n_sequences, n_frames) labels: every stride-th frame and the first
    frame of each run of equal labels, so that no class present in the full data vanishes."""
    changed = np.r_[True, (sequences[:, 1:] != sequences[:, :-1]).any(axis=0)]
    return np.flatnonzero(changed | (np.arange(sequences.shape[1]) % stride == 0))


def _render_chunk(job: tuple) -> int:
    root, split, scene, recording, frames, size, seed = job
    folder = Path(root) / "frames" / split / scene / str(recording)
    for number, index, left, right in frames:
        key = (seed, split, scene, recording)
        images = {
            "Lhand": draw_hand_frame(left, scene, size, (*key, "Lhand", index)),
            "Rhand": draw_hand_frame(right, scene, size, (*key, "Rhand", index), mirror=True),
            "head": draw_head_frame(left, right, scene, size, (*key, "head", index)),
        }
        for camera, img in images.items():
            img.save(folder / camera / f"Image{number}.png", compress_level=1)
    return len(frames) * len(images)


def _plan(root: Path, stride: int, size: tuple[int, int], seed: int) -> list[tuple]:
    """Write the label files and folders; return the frame-drawing jobs."""
    labels, jobs = builtin_labels(), []
    for split in config.SPLITS:
        recordings = config.TRAIN_RECORDINGS if split == "train" else config.TEST_RECORDINGS
        for scene, count in recordings.items():
            for recording in range(1, count + 1):
                n = config.label_number(split, scene, recording)
                names = [f"{task}_{side}{n}" for task in config.TASKS for side in ("left", "right")]
                kept = _kept_indices(np.stack([labels[f"{scene}/{x}"] for x in names]), stride)
                (root / "labels" / scene).mkdir(parents=True, exist_ok=True)
                for name in names:
                    np.save(
                        root / "labels" / scene / f"{name}.npy",
                        labels[f"{scene}/{name}"][kept].astype(np.float64),
                    )
                for camera in config.CAMERAS:
                    (root / "frames" / split / scene / str(recording) / camera).mkdir(parents=True)
                side = {
                    s: {t: labels[f"{scene}/{t}_{s}{n}"] for t in config.TASKS}
                    for s in ("left", "right")
                }
                frames = [
                    (number, int(i), *({t: int(a[i]) for t, a in side[s].items()} for s in side))
                    for number, i in enumerate(kept, 1)
                ]
                for start in range(0, len(frames), _CHUNK):
                    jobs.append(
                        (
                            str(root),
                            split,
                            scene,
                            recording,
                            frames[start : start + _CHUNK],
                            size,
                            seed,
                        )
                    )
    return jobs


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    w, h = size
    if w < MIN_SIZE[0] or h < MIN_SIZE[1]:
        raise HandCamError(
            f"expected a size of at least {MIN_SIZE[0]}x{MIN_SIZE[1]}, found {w}x{h}"
        )
    return int(w), int(h)


def generate_sample(
    out: Path,
    *,
    stride: int = DEFAULT_STRIDE,
    size: tuple[int, int] = DEFAULT_SIZE,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write the built-in sample data set, in the HandCam layout, to `out`.

    Args:
        out: the folder to create; it must not exist. The data set is built in a sibling
            temporary folder and renamed to `out` when complete, so `out` is never partial; on
            any error or interrupt the temporary folder is removed.
        stride: keep every stride-th frame of each recording (plus the first frame of every
            run of equal labels), >= 1.
        size: (width, height) of the pictures, at least 32x18.
        seed: the same seed gives byte-identical files.
        workers: processes drawing frames; None: one per CPU, 1: draw in this process.
        progress: called in this process as progress(pngs_done, pngs_total).
    Returns:
        `out`.
    """
    out, size = Path(out), _check_size(size)
    if stride < 1:
        raise HandCamError(f"expected a stride of at least 1, found {stride}")
    if out.exists():
        raise HandCamError(f"{out} already exists: remove it or choose another folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)  # left by a killed run that had our pid
    try:
        jobs = _plan(tmp, stride, size, seed)
        done, total = 0, sum(3 * len(job[4]) for job in jobs)
        if progress:
            progress(done, total)
        if workers == 1:
            results = map(_render_chunk, jobs)
        else:
            pool = ProcessPoolExecutor(workers)
            results = (
                f.result() for f in as_completed([pool.submit(_render_chunk, j) for j in jobs])
            )
        try:
            for count in results:
                done += count
                if progress:
                    progress(done, total)
        finally:
            if workers != 1:  # stop queued chunks; wait for running ones before removing tmp
                pool.shutdown(wait=True, cancel_futures=True)
        (tmp / "SAMPLE.txt").write_text(
            "HandCam built-in sample: synthetic pictures over the real HandCam label sequences\n"
            "(Chan et al., 'Recognition from Hand Cameras: A Revisit with Deep Learning',\n"
            "ECCV 2016). The labels are real, subsampled; the pictures are drawn by\n"
            "handclf_core.sample and show no real scene.\n"
            f"stride={stride} size={size[0]}x{size[1]} seed={seed} pngs={total}\n"
        )
        try:
            tmp.rename(out)
        except OSError as error:  # another process finished the same folder first
            raise HandCamError(
                f"{out} already exists: remove it or choose another folder"
            ) from error
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def default_sample_dir(
    stride: int = DEFAULT_STRIDE, size: tuple[int, int] = DEFAULT_SIZE, seed: int = 0
) -> Path:
    """Where `ensure_sample` keeps the sample of these parameters, under the project cache."""
    return (
        config.cache_dir() / "sample" / f"handcam-sample-s{stride}-{size[0]}x{size[1]}-seed{seed}"
    )


def ensure_sample(
    stride: int = DEFAULT_STRIDE,
    size: tuple[int, int] = DEFAULT_SIZE,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """The folder of the sample with these parameters (see `generate_sample`), generated first
    if absent. Safe with several processes at once: a complete folder only appears by rename,
    and a process that loses the race uses the winner's."""
    out = default_sample_dir(stride, size, seed)
    if out.is_dir():
        return out
    try:
        return generate_sample(out, stride=stride, size=size, seed=seed, progress=progress)
    except HandCamError:
        if out.is_dir():
            return out
        raise


def parse_size(text: str) -> tuple[int, int]:
    """ "320x180" -> (320, 180); HandCamError on anything else or below 32x18."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise HandCamError(
            f"expected a size WxH with positive integers, such as 320x180, found {text!r}"
        )
    return _check_size((int(match[1]), int(match[2])))
