"""Where a model looks: occlusion sensitivity, and its map laid over the frame.

Method (Zeiler & Fergus, 2014): the model input is cut into a grid of cells; each cell in
turn is covered with grey and the model is asked again. A cell whose cover lowers the
probability of the class most is a region that drives that answer. It needs forward
passes only (one batch of grid x grid covered copies), so it runs unchanged on every Keras
backend — Grad-CAM would need each backend's own gradients — and it explains the whole
model, not one layer. Cost: grid² forward passes (64 by default: AlexNet about half a
second on the classroom CPU, see the README).

`occlusion(model, x, class_id)` gives the (grid, grid) map of probability drops on the
model's input; `on_frame(picture, heat, prep, hand)` lays it over the picture the input came
from, undoing the squash or crop and the mirroring of a right hand, as an RGB picture.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PIL import Image

from handclf_core.data.images import Preprocessing
from handclf_core.vocab import Hand

GRID = 8  # cells per side
GREY = 128  # the cover's value: mid-grey, neither a bright nor a dark feature


@dataclass(frozen=True)
class Heat:
    """A model's occlusion map for one class of one picture."""

    class_id: int
    probability: float  # the class's probability on the whole input
    drops: np.ndarray  # (grid, grid): probability lost when each cell is covered, >= 0
    seconds: float  # the forward passes it took


def occlusion(model, x: np.ndarray, class_id: int, grid: int = GRID) -> Heat:
    """How much covering each of grid x grid cells of the input `x` ((s, s, C) uint8, as the
    model is fed) lowers the model's probability of `class_id`."""
    start = time.perf_counter()
    s = x.shape[0]
    edges = np.linspace(0, s, grid + 1).round().astype(int)
    batch = np.repeat(x[None], grid * grid + 1, axis=0)  # the last one uncovered
    for i in range(grid):
        for j in range(grid):
            rows, cols = slice(edges[i], edges[i + 1]), slice(edges[j], edges[j + 1])
            batch[i * grid + j, rows, cols] = GREY
    probs = np.asarray(model(batch.astype("float32"), training=False), dtype=np.float64)
    p = float(probs[-1, class_id])
    drops = np.clip(p - probs[:-1, class_id], 0, None).reshape(grid, grid)
    return Heat(class_id, p, drops, time.perf_counter() - start)


def on_frame(picture: Image.Image, heat: Heat, prep: Preprocessing, hand: Hand) -> np.ndarray:
    """The picture with the map over it, in red where covering hurt most: (H, W, 3) uint8.
    The map is placed where the model's input came from: the whole frame when squashed, its
    centre square when cropped; mirrored back for a right hand the model saw mirrored."""
    rgb = np.asarray(picture.convert("RGB"), dtype=np.float32)
    h, w = rgb.shape[:2]
    drops = heat.drops[:, ::-1] if prep.flip_right and hand == Hand.RIGHT else heat.drops
    top = drops.max()
    level = drops / top if top > 0 else np.zeros_like(drops)
    side = min(w, h)
    box = (w, h) if not prep.crop else (side, side)
    m = np.asarray(Image.fromarray((level * 255).astype(np.uint8)).resize(box, Image.BILINEAR))
    full = np.zeros((h, w), np.float32)
    if prep.crop:
        y0, x0 = (h - side) // 2, (w - side) // 2
        full[y0 : y0 + side, x0 : x0 + side] = m / 255
    else:
        full = m / 255
    alpha = 0.6 * full[..., None]
    red = np.array([230, 30, 30], np.float32)
    out = rgb * (1 - alpha) + red * alpha
    return out.clip(0, 255).astype(np.uint8)


def _convs(model) -> list:
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def first_filters(model) -> np.ndarray:
    """The first convolution's filters as pictures: (n, k, k, C) uint8, each filter
    stretched on its own from its lowest weight (0) to its highest (255). RGB filters show
    the colours they respond to; one-channel ones, the grey pattern."""
    kernel = np.asarray(_convs(model)[0].kernel, dtype=np.float32)  # (k, k, C, n)
    w = np.moveaxis(kernel, -1, 0)  # (n, k, k, C)
    low = w.min(axis=(1, 2, 3), keepdims=True)
    span = w.max(axis=(1, 2, 3), keepdims=True) - low
    return ((w - low) / np.where(span > 0, span, 1) * 255).round().astype(np.uint8)


def feature_maps(model, x: np.ndarray, convs: int = 2) -> list[np.ndarray]:
    """What the first `convs` convolutions (after their ReLU) make of the input `x` ((s, s,
    C) uint8, as the model is fed): one (h, w, channels) float32 array per convolution."""
    import keras

    layers = _convs(model)[:convs]
    probe = keras.Model(model.inputs, [layer.output for layer in layers])
    # Its inputs are declared as a list (`model.inputs`): fed as one, or Keras warns that
    # "the structure of `inputs` doesn't match" on every picture, into the server's log.
    out = probe([x[None].astype("float32")], training=False)
    out = out if isinstance(out, list | tuple) else [out]
    return [np.asarray(o, dtype=np.float32)[0] for o in out]


def tile(pictures: np.ndarray, columns: int, scale: int, gap: int = 1) -> np.ndarray:
    """(n, h, w[, C]) pictures side by side, `columns` a row, each enlarged `scale` times
    with nearest-neighbour, on white: one uint8 picture. Float maps are stretched per map."""
    if pictures.dtype != np.uint8:
        low = pictures.min(axis=(1, 2), keepdims=True)
        span = pictures.max(axis=(1, 2), keepdims=True) - low
        pictures = ((pictures - low) / np.where(span > 0, span, 1) * 255).astype(np.uint8)
    if pictures.ndim == 4 and pictures.shape[-1] == 1:
        pictures = pictures[..., 0]
    n, h, w = pictures.shape[:3]
    rows = -(-n // columns)
    cell_h, cell_w = h * scale + gap, w * scale + gap
    shape = (rows * cell_h + gap, columns * cell_w + gap, *pictures.shape[3:])
    sheet = np.full(shape, 255, np.uint8)
    for i, p in enumerate(pictures):
        r, c = divmod(i, columns)
        big = np.kron(p, np.ones((scale, scale, *([1] * (p.ndim - 2))), np.uint8))
        sheet[gap + r * cell_h : gap + r * cell_h + h * scale,
              gap + c * cell_w : gap + c * cell_w + w * scale] = big  # fmt: skip
    return sheet
