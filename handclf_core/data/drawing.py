"""The built-in sample's pictures: a scene, a hand entering from the wrist camera's side and,
when the hand holds something, its object, drawn from a per-class spec with random jitter.

Every picture is a pure function of its arguments and a seed key, so the same sample is
byte-identical whatever process draws it (`sample` draws them in parallel). A few pairs of
classes differ only in hue at equal luminance (ISOLUMINANT_PAIRS): grayscale input cannot
tell them apart, as in the assignment's lesson.
"""

from __future__ import annotations

import functools
import math
import zlib

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageOps

BILINEAR = Image.Resampling.BILINEAR
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
