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
from PIL import Image, ImageChops, ImageDraw, ImageOps

from handclf_core import config
from handclf_core.errors import HandCamError

DEFAULT_STRIDE = 10
DEFAULT_SIZE = (320, 180)
MIN_SIZE = (32, 18)
BILINEAR = Image.Resampling.BILINEAR
_CHUNK = 40  # frames per worker task: smooth progress, little scheduling overhead

RGB = tuple[int, int, int]
# obj class id -> (shape, width, height, colour, detail). Sizes are fractions of the frame
# height, so an object covers 15-35% of the frame at any resolution and survives 32x32.
OBJECTS: dict[int, tuple[str, float, float, RGB, str]] = {
    1: ("box", 0.34, 0.24, (60, 62, 72), "screen"),  # computer
    2: ("round", 0.14, 0.25, (40, 110, 200), "band"),  # cellphone
    3: ("ellipse", 0.16, 0.16, (205, 170, 60), "rings"),  # coin
    4: ("box", 0.36, 0.09, (235, 220, 120), "ticks"),  # ruler
    5: ("can", 0.13, 0.34, (170, 176, 186), "cap"),  # thermos-bottle
    6: ("box", 0.07, 0.34, (190, 50, 60), "cap"),  # whiteboard-pen
    7: ("round", 0.14, 0.25, (175, 72, 40), "band"),  # whiteboard-eraser
    8: ("box", 0.07, 0.34, (40, 95, 220), "cap"),  # pen
    9: ("can", 0.22, 0.22, (236, 236, 228), "handle"),  # cup
    10: ("box", 0.11, 0.30, (60, 135, 60), "buttons"),  # remote-control-TV
    11: ("box", 0.11, 0.30, (150, 72, 150), "buttons"),  # remote-control-AC
    12: ("box", 0.17, 0.17, (200, 170, 90), "toggle"),  # switch
    13: ("box", 0.34, 0.30, (170, 210, 235), "panes"),  # windows
    14: ("box", 0.28, 0.35, (226, 228, 232), "door"),  # fridge
    15: ("box", 0.32, 0.32, (140, 95, 55), "door"),  # cupboard
    16: ("box", 0.20, 0.30, (185, 188, 195), "spout"),  # water-tap
    17: ("ellipse", 0.22, 0.22, (240, 200, 30), "stripe"),  # toy
    18: ("can", 0.30, 0.28, (50, 50, 56), "handle"),  # kettle
    19: ("can", 0.11, 0.32, (80, 170, 110), "cap"),  # bottle
    20: ("box", 0.24, 0.18, (210, 140, 60), "dots"),  # cookie
    21: ("box", 0.26, 0.32, (120, 40, 50), "spine"),  # book
    22: ("round", 0.14, 0.14, (220, 40, 40), "none"),  # magnet
    23: ("box", 0.17, 0.17, (123, 186, 212), "toggle"),  # lamp-switch
}
# Same shape, size and detail, different hue at (near) equal luminance Y = .299R+.587G+.114B
# (what PIL's "L" computes): grayscale input cannot tell these apart, colour input can.
ISOLUMINANT_PAIRS = ((10, 11), (6, 8), (2, 7), (12, 23))

# Drawing ops: (method, box as fractions of the body, ink). The inks "base", "dark" and
# "light" are the object's colour and scalings of it, so the pairs above stay isoluminant.
SHAPES = {
    "box": [("rectangle", (0, 0, 1, 1), "base")],
    "round": [("rounded", (0, 0, 1, 1), "base")],
    "ellipse": [("ellipse", (0, 0, 1, 1), "base")],
    "can": [
        ("rectangle", (0, 0.08, 1, 0.92), "base"),
        ("ellipse", (0, 0.84, 1, 1), "base"),
        ("ellipse", (0, 0, 1, 0.16), "light"),
    ],
}
_BUTTONS = [(x, y) for x in (0.3, 0.7) for y in (0.35, 0.5, 0.65, 0.8)]
_DOTS = ((0.2, 0.3), (0.5, 0.6), (0.8, 0.3), (0.3, 0.8), (0.75, 0.75))
DETAILS = {
    "none": [],
    "screen": [("rectangle", (0.1, 0.08, 0.9, 0.55), (90, 140, 200))]
    + [("line", (0.1, y, 0.9, y), "light") for y in (0.68, 0.8, 0.92)],
    "band": [("rectangle", (0, 0.65, 1, 0.85), "dark")],
    "rings": [("ring", (0.2, 0.2, 0.8, 0.8), "dark")],
    "ticks": [("line", (x, 0, x, 0.4), "dark") for x in np.linspace(0.05, 0.95, 10)],
    "cap": [("rectangle", (0.15, 0, 0.85, 0.2), "dark")],
    "buttons": [("ellipse", (x - 0.12, y - 0.04, x + 0.12, y + 0.04), "light") for x, y in _BUTTONS]
    + [("ellipse", (0.38, 0.08, 0.62, 0.16), "dark")],
    "toggle": [("rectangle", (0.35, 0.25, 0.65, 0.75), "light")],
    "panes": [
        ("rectangle", (0.45, 0, 0.55, 1), "white"),
        ("rectangle", (0, 0.45, 1, 0.55), "white"),
    ],
    "door": [("line", (0.5, 0, 0.5, 1), "dark"), ("rectangle", (0.55, 0.4, 0.62, 0.6), "dark")],
    "stripe": [("chord", (0, 0, 1, 1), (40, 80, 200))],
    "dots": [("ellipse", (x - 0.07, y - 0.09, x + 0.07, y + 0.09), "dark") for x, y in _DOTS],
    "spine": [
        ("rectangle", (0, 0, 0.14, 1), "dark"),
        ("rectangle", (0.92, 0.02, 1, 0.98), "white"),
    ],
    # These two stick out right of the body: drawn first, over the whole tile.
    "handle": [("ring", (0.5, 0.2, 1, 0.7), "dark")],
    "spout": [("rectangle", (0, 0, 1, 0.18), "base"), ("rectangle", (0.8, 0, 1, 0.32), "base")],
}
# Per scene: wall, floor, two furniture colours.
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
    """A recording camera's background, 1/8 larger than the frame for shake; the skin colour."""
    rng, head = _rng(key), key[-1] == "head"
    wall, floor, *furniture = (_jitter(rng, c, 15) for c in SCENE_COLOURS[scene])
    w, h = size[0] + size[0] // 8, size[1] + size[1] // 8
    img = Image.new("RGB", (w, h), wall)
    d = ImageDraw.Draw(img)
    # From the wrist: wall above a floor or desk, furniture along the line. From the head:
    # all floor, with a table or desk top ahead.
    top = 0 if head else rng.uniform(0.4, 0.6) * h
    tilt = 0 if head else rng.uniform(-0.1, 0.1) * h
    d.polygon([(0, top), (w, top + tilt), (w, h), (0, h)], fill=floor)
    seam = tuple(int(c * 0.8) for c in floor)
    for _ in range(rng.integers(4, 9)):  # planks, tiles or carpet seams
        y = rng.uniform(top, h)
        d.line((0, y, w, y + rng.uniform(-0.1, 0.1) * h), fill=seam, width=max(1, h // 90))
    if head:
        x0, x1, y1 = rng.uniform(0.1, 0.3) * w, rng.uniform(0.7, 0.9) * w, rng.uniform(0.4, 0.6) * h
        d.rectangle((x0, -1, x1, y1), fill=furniture[0])
    for _ in range(0 if head else rng.integers(2, 5)):
        x, fw, fh = rng.uniform(0, w), rng.uniform(0.1, 0.3) * w, rng.uniform(0.15, 0.4) * h
        d.rectangle((x, top - fh, x + fw, top + 0.05 * h), fill=furniture[rng.integers(2)])
    return img, _jitter(_rng(key[:-1]), (224, 172, 140), 20)  # one wearer per recording


def _paint(d: ImageDraw.ImageDraw, ops: list, w: int, h: int, inks: dict, lw: int) -> None:
    for method, (x0, y0, x1, y1), ink in ops:
        xy, ink = (x0 * (w - 1), y0 * (h - 1), x1 * (w - 1), y1 * (h - 1)), inks.get(ink, ink)
        if method == "line":
            d.line(xy, fill=ink, width=lw)
        elif method == "ring":
            d.ellipse(xy, outline=ink, width=lw)
        elif method == "chord":
            d.chord(xy, 200, 340, fill=ink)
        elif method == "rounded":
            d.rounded_rectangle(xy, radius=min(w, h) // 4, fill=ink)
        else:
            getattr(d, method)(xy, fill=ink)


def _draw_object(obj: int, unit: float, rng: np.random.Generator) -> Image.Image:
    """Class `obj` on a transparent tile: jittered in size and colour, rotated."""
    shape, fw, fh, rgb, detail = OBJECTS[obj]
    scale = unit * rng.uniform(0.85, 1.15)
    w, h = max(4, round(fw * scale)), max(4, round(fh * scale))
    rgb = _jitter(rng, rgb, 8)
    inks = {"base": rgb, "dark": tuple(c // 3 for c in rgb), "white": (242, 240, 232)}
    inks["light"] = tuple((c + 255) // 2 for c in rgb)
    tile = Image.new("RGBA", (w, h))
    d, lw = ImageDraw.Draw(tile), max(1, min(w, h) // 12)
    if detail in ("handle", "spout"):
        _paint(d, DETAILS[detail], w, h, inks, lw)
        w, detail = max(4, round(0.7 * w)), "none"
    _paint(d, SHAPES[shape] + DETAILS[detail], w, h, inks, lw)
    return tile.rotate(rng.uniform(-35, 35), resample=Image.Resampling.BICUBIC, expand=True)


def _hand_layer(size, labels: dict, rng, skin: RGB, palm: tuple, unit: float) -> Image.Image:
    """A left hand holding its object on a transparent layer: the forearm from the bottom-left,
    fingers up-right; `unit` is the hand's scale in pixels (the frame height for wrist frames)."""
    layer = Image.new("RGBA", size)
    d = ImageDraw.Draw(layer)
    angle = math.radians(-40 + rng.uniform(-12, 12))  # image y points down: negative is up

    def at(dist: float, a: float = angle, origin: tuple = palm) -> tuple[float, float]:
        return origin[0] + math.cos(a) * dist * unit, origin[1] + math.sin(a) * dist * unit

    shade = tuple(int(c * 0.85) for c in skin)
    d.line((*at(-1), *palm), fill=shade, width=round(0.36 * unit))
    t = np.linspace(0, 2 * math.pi, 24, endpoint=False)
    x, y = 0.26 * unit * np.cos(t), 0.21 * unit * np.sin(t)
    ca, sa = math.cos(angle), math.sin(angle)
    d.polygon(
        list(zip(palm[0] + x * ca - y * sa, palm[1] + x * sa + y * ca, strict=True)), fill=skin
    )
    ges, fw = labels.get("ges", 0), max(1, round(0.08 * unit))
    spread, reach = 0.16 + 0.05 * (ges % 4), 0.42 * (1 - 0.2 * (ges % 3))  # pose follows ges
    for k in range(4):
        d.line((*at(0.12), *at(reach, angle + spread * (k - 1.5), at(0.12))), fill=skin, width=fw)
    if labels.get("obj"):
        tile = _draw_object(labels["obj"], unit, rng)
        cx, cy = at(0.62 + rng.uniform(-0.06, 0.06), angle + rng.uniform(-0.08, 0.08))
        held = Image.new("RGBA", size)  # paste, unlike alpha_composite, may go past the edges
        held.paste(tile, (round(cx - tile.width / 2), round(cy - tile.height / 2)))
        layer.alpha_composite(held)
        d = ImageDraw.Draw(layer)
    base = at(0.2, angle + 1.2)  # the thumb, in front of the held object
    d.line((*base, *at(0.3, angle - 0.6 + 0.1 * (ges % 5), base)), fill=shade, width=fw + 1)
    return layer


def _frame(scene: str, size: tuple[int, int], key: tuple, hands: list, mirror: bool) -> Image.Image:
    """Background, hands (each (labels, palm as fractions of W,H, scale, mirrored)), then
    blur, brightness and noise, so no two frames of a class are copies of one template."""
    rng = _rng(key)
    background, skin = _style(scene, size, key[:-1])
    ox, oy = rng.integers(0, size[0] // 8 + 1), rng.integers(0, size[1] // 8 + 1)  # shake
    img = background.crop((ox, oy, ox + size[0], oy + size[1])).convert("RGBA")
    for labels, (fx, fy), scale, flip in hands:
        palm = (
            (fx + rng.uniform(-0.03, 0.03)) * size[0],
            (fy + rng.uniform(-0.03, 0.03)) * size[1],
        )
        layer = _hand_layer(size, labels, rng, skin, palm, scale * size[1])
        img.alpha_composite(ImageOps.mirror(layer) if flip else layer)
    # Blur: a random down-and-up scaling. Noise: cells of 1/22 of the height, coarse enough
    # to survive the squash to 32x32 yet cheap in PNG bytes (per-pixel noise made 10x larger
    # files, and vanishes in the squash anyway).
    w, h = size
    blur = rng.uniform(1, 2)
    img = (
        img.convert("RGB")
        .resize((round(w / blur), round(h / blur)), BILINEAR)
        .resize(size, BILINEAR)
    )
    gain = rng.uniform(0.7, 1.3)
    img = img.point(lambda v: v * gain)
    cells = rng.normal(128, rng.uniform(1, 4), (22, max(1, round(22 * w / h)), 3))
    noise = Image.fromarray(cells.clip(0, 255).astype(np.uint8)).resize(
        size, Image.Resampling.NEAREST
    )
    img = ImageChops.add(img, noise, offset=-128)
    return ImageOps.mirror(img) if mirror else img


def draw_hand_frame(
    labels: dict, scene: str, size: tuple[int, int], key: tuple, *, mirror: bool = False
) -> Image.Image:
    """One wrist-camera frame, drawn as the left-hand camera sees it.

    Args:
        labels: the hand's labels, {"obj": id, "ges": id, ...}; obj 0 (free) draws no object.
        scene: "house", "lab" or "office".
        size: (width, height) in pixels.
        key: seeds the randomness, (seed, split, scene, recording, camera, frame); without
            the frame it picks the background, without the camera too the skin colour.
        mirror: flip left-right at the very end, as for the right-hand camera.
    Returns:
        An RGB image; the same arguments always give the same pixels.
    """
    palm = (min(0.3, 0.4 * size[0] / size[1]) * size[1] / size[0], 0.99)
    return _frame(scene, tuple(size), key, [(labels, palm, 1.0, False)], mirror)


def draw_head_frame(
    left: dict, right: dict, scene: str, size: tuple[int, int], key: tuple
) -> Image.Image:
    """One head-camera frame: the scene from above, both hands small at the bottom, the right
    one drawn as a mirrored left one. Arguments as for `draw_hand_frame`."""
    hands = [(left, (0.24, 1.01), 0.5, False), (right, (0.24, 1.01), 0.5, True)]
    return _frame(scene, tuple(size), key, hands, False)


def _kept_indices(sequences: np.ndarray, stride: int) -> np.ndarray:
    """Frames kept from (n_sequences, n_frames) labels: every stride-th and the first of each
    run of equal labels, so that no class of the real data vanishes from the sample."""
    changed = np.r_[True, (sequences[:, 1:] != sequences[:, :-1]).any(axis=0)]
    return np.flatnonzero(changed | (np.arange(sequences.shape[1]) % stride == 0))


def _render_chunk(job: tuple) -> int:
    folder, key, size, frames = job
    for number, index, left, right in frames:
        images = {
            "Lhand": draw_hand_frame(left, key[2], size, (*key, "Lhand", index)),
            "Rhand": draw_hand_frame(right, key[2], size, (*key, "Rhand", index), mirror=True),
            "head": draw_head_frame(left, right, key[2], size, (*key, "head", index)),
        }
        for camera, img in images.items():
            img.save(folder / camera / f"Image{number}.png", compress_level=1)
    return 3 * len(frames)


def _recordings():
    """(split, scene, recording, label N) of every frames folder, in dataset order."""
    for split in config.SPLITS:
        counts = config.TRAIN_RECORDINGS if split == "train" else config.TEST_RECORDINGS
        for scene, count in counts.items():
            for recording in range(1, count + 1):
                yield split, scene, recording, config.label_number(split, scene, recording)


def _plan(root: Path, stride: int, size: tuple[int, int], seed: int) -> list[tuple]:
    """Write the label files and frame folders; return the frame-drawing jobs."""
    labels, jobs, sides = builtin_labels(), [], ("left", "right")
    for split, scene, recording, n in _recordings():
        seqs = {(t, s): labels[f"{scene}/{t}_{s}{n}"] for t in config.TASKS for s in sides}
        kept = _kept_indices(np.stack(list(seqs.values())), stride)
        (root / "labels" / scene).mkdir(parents=True, exist_ok=True)
        for (task, side), seq in seqs.items():  # float64, as the real dataset stores them
            np.save(root / "labels" / scene / f"{task}_{side}{n}.npy", seq[kept].astype(float))
        folder = root / "frames" / split / scene / str(recording)
        for camera in config.CAMERAS:
            (folder / camera).mkdir(parents=True)
        hand = [[{t: int(seqs[t, s][i]) for t in config.TASKS} for s in sides] for i in kept]
        frames = [(k + 1, int(i), *hand[k]) for k, i in enumerate(kept)]
        key = (seed, split, scene, recording)
        jobs += [(folder, key, size, frames[i : i + _CHUNK]) for i in range(0, len(frames), _CHUNK)]
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
            temporary folder and renamed to `out` when complete, so `out` is never partial;
            on any error or interrupt the temporary folder is removed.
        stride: keep every stride-th frame of each recording (and the first frame of every
            run of equal labels); at least 1.
        size: (width, height) of the pictures; at least 32x18.
        seed: the same seed gives byte-identical files, whatever `workers` is.
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
    pool = None
    try:
        jobs = _plan(tmp, stride, size, seed)
        done, total = 0, sum(3 * len(job[-1]) for job in jobs)
        if progress:
            progress(done, total)
        if workers == 1:
            counts = map(_render_chunk, jobs)
        else:
            pool = ProcessPoolExecutor(workers)
            counts = (
                f.result() for f in as_completed([pool.submit(_render_chunk, j) for j in jobs])
            )
        for count in counts:
            done += count
            if progress:
                progress(done, total)
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
        if pool:  # drop queued chunks and wait for running ones, which write into tmp
            pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if pool:
            pool.shutdown()
    return out


def default_sample_dir(
    stride: int = DEFAULT_STRIDE, size: tuple[int, int] = DEFAULT_SIZE, seed: int = 0
) -> Path:
    """Where `ensure_sample` keeps the sample with these parameters, in the project cache."""
    name = f"handcam-sample-s{stride}-{size[0]}x{size[1]}-seed{seed}"
    return config.cache_dir() / "sample" / name


def ensure_sample(
    stride: int = DEFAULT_STRIDE,
    size: tuple[int, int] = DEFAULT_SIZE,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """The folder of the sample with these parameters (see `generate_sample` for them),
    generated first if absent. Safe with several processes at once: a complete folder only
    appears by rename, and a process that loses the race uses the winner's."""
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
    """Parse "WxH", e.g. "320x180" -> (320, 180); HandCamError if malformed or below 32x18."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise HandCamError(
            f"expected a size WxH with positive integers, such as 320x180, found {text!r}"
        )
    return _check_size((int(match[1]), int(match[2])))
