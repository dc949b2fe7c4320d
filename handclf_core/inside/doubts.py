"""Why one picture's answer may mean little: the picture is far from what the model trained
on. Each doubt has a measured reason a teacher can check:

- of the picture, the same for every model: smaller than a model's input, an aspect far
  from a frame's 16:9 (`doubts`, terms of `vocab.Doubt`), or a look unlike every training
  frame's (`unlike`): its contrast, its fine detail, its colours or its colourfulness
  outside the range the dataset's training frames show (`Usual`, measured once per dataset
  and kept in the cache);
- of one model: less sure of the picture than of all but 5% of its test frames
  (`Doubt.SYNTHETIC`, for the built-in sample's models).

A doubt that fires on the dataset's own frames would teach nothing: `bench/bench_doubts.py`
measures how often each fires on test frames and on foreign pictures (docs/doubts.json).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from handclf_core.data.images import to_base
from handclf_core.errors import HandCamError
from handclf_core.runs.record import Run
from handclf_core.vocab import Doubt, PictureSource

FRAME_ASPECT = 16 / 9  # a HandCam frame's width / height
ASPECT_TOLERANCE = 1.5  # a picture's aspect this many times off a frame's is a doubt
USUAL = 0.05  # a run is "usually" at least as sure as on all but this share of its test frames

# The look of a picture, measured on its store-sized frame (`to_base`, 404x227), as numbers
# a teacher can read (0..255 scales), in the order they are checked:
MEASURES = ("contrast", "detail", "colours", "colour")
# contrast: the spread (standard deviation) of its brightness: 0 for a flat picture
# detail: how much neighbouring pixels' brightness differs, on average: noise and text high
# colours: the share of its pixels in colours the training frames hardly ever show
# colour: its colourfulness, the mean of each pixel's max(R, G, B) - min(R, G, B)
RANGED = ("contrast", "detail", "colour")  # the measures held against a usual range
LOOK_FRAMES = 600  # training frames measured, evenly spread (about 4 s, once per dataset)
OUTER = 0.005  # a measure's usual range leaves out this share of training frames at each end
MARGIN = 0.1  # ... and is widened by this share of its width: 2% of the sample's test frames
# (other recordings) fall outside some range, 96% of foreign pictures (docs/doubts.json)
LEVELS = 8  # colours are told apart in 8 levels per channel: 512 colour boxes
RARE = 1e-4  # a colour box holding under 1 in 10,000 of the training frames' pixels
MOSTLY = 0.5  # a picture with over half of its pixels in such colours is unlike them
LOOKS_VERSION = 1  # of the measures and their file in the cache


def confidence_floor(probabilities: np.ndarray) -> float:
    """The top probability that all but USUAL of a run's test frames reach or exceed:
    (N, C) softmax outputs, its kept predictions."""
    return float(np.quantile(np.asarray(probabilities).max(axis=1), USUAL, method="lower"))


def doubts(
    picture, run: Run, source: PictureSource, confidence: float | None = None,
    floor: float | None = None,
) -> list[Doubt]:  # fmt: skip
    """Why `run`'s answer for a decoded picture may mean little: a picture smaller than the
    model's input, an aspect far from a frame's 16:9, or a picture from outside the dataset
    (uploaded or from the camera) shown to a model that learnt the built-in sample's drawn
    pictures, when it is less sure of it (`confidence`, its top probability) than of all
    but 5% of its test frames (`floor`, from `confidence_floor`). Without those two figures
    (a run kept before its test predictions were) that doubt is not raised: it would have
    no measured reason. A look unlike every training frame's is `unlike`."""
    width, height = picture.size
    found = []
    if min(width, height) < run.preprocessing.size:
        found.append(Doubt.SMALL)
    aspect = width / height
    if max(aspect / FRAME_ASPECT, FRAME_ASPECT / aspect) > ASPECT_TOLERANCE:
        found.append(Doubt.ASPECT)
    unsure = confidence is not None and floor is not None and confidence < floor
    if run.dataset.sample and source != PictureSource.FRAME and unsure:
        found.append(Doubt.SYNTHETIC)
    return found


# --- A look unlike every training frame's ---------------------------------------------------


@dataclass(frozen=True)
class Looks:
    """One picture's look, measured on its store-sized frame."""

    contrast: float
    detail: float
    colour: float
    boxes: np.ndarray  # (512,) int: its pixels in each colour box (r, g, b in 8 levels)


def looks(picture) -> Looks:
    """The look of a decoded picture (PIL) or of a store frame ((227, 404, 3) uint8)."""
    base = picture if isinstance(picture, np.ndarray) else to_base(picture)
    rgb = np.asarray(base, dtype=np.float32)  # (227, 404, 3)
    grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32)  # Pillow's "L"
    across = np.abs(np.diff(grey, axis=1)).mean()
    down = np.abs(np.diff(grey, axis=0)).mean()
    level = np.asarray(base, dtype=np.uint8) // (256 // LEVELS)
    box = (level[..., 0].astype(np.int32) * LEVELS + level[..., 1]) * LEVELS + level[..., 2]
    return Looks(
        contrast=float(grey.std()),
        detail=float((across + down) / 2),
        colour=float((rgb.max(axis=-1) - rgb.min(axis=-1)).mean()),
        boxes=np.bincount(box.ravel(), minlength=LEVELS**3),
    )


@dataclass(frozen=True)
class Usual:
    """What a dataset's training frames look like: each measure's usual range (the values
    all but 1% of them show, widened by MARGIN) and the colour boxes they hardly ever show."""

    identity: str  # the dataset's
    frames: int  # training frames measured
    low: dict[str, float]  # measure -> the lowest usual value
    high: dict[str, float]
    rare: tuple[int, ...]  # colour boxes holding under RARE of the training frames' pixels


@dataclass(frozen=True)
class Unlike:
    """A picture unlike every training frame, by one measure: its value, and the range the
    training frames show (for "colours", the share of its pixels in their rare colours
    against MOSTLY)."""

    measure: str  # one of MEASURES
    value: float
    low: float
    high: float


def measure_usual(frames, identity: str) -> Usual:
    """The usual look of training frames: `frames`, (227, 404, 3) uint8 store frames."""
    measured = [looks(np.asarray(f)) for f in frames]
    if not measured:
        raise HandCamError(f"dataset {identity}: expected training frames, found none")
    low, high = {}, {}
    for m in RANGED:
        lo, hi = np.quantile([getattr(x, m) for x in measured], [OUTER, 1 - OUTER])
        low[m], high[m] = float(lo - MARGIN * (hi - lo)), float(hi + MARGIN * (hi - lo))
    boxes = np.sum([x.boxes for x in measured], axis=0)
    rare = np.flatnonzero(boxes < RARE * boxes.sum())
    return Usual(identity, len(measured), low, high, tuple(int(b) for b in rare))


def unlike(picture, usual: Usual | None) -> Unlike | None:
    """Why a decoded picture (or its `Looks`) is unlike every training frame of `usual`'s
    dataset: the first of MEASURES outside their usual range; None when every one is inside
    (or there is no measure of the training frames to hold it against)."""
    if usual is None:
        return None
    seen = picture if isinstance(picture, Looks) else looks(picture)
    for measure in MEASURES:
        if measure == "colours":
            share = float(seen.boxes[list(usual.rare)].sum() / max(seen.boxes.sum(), 1))
            if share > MOSTLY:
                return Unlike(measure, share, 0.0, MOSTLY)
            continue
        value = getattr(seen, measure)
        low, high = usual.low[measure], usual.high[measure]
        if not low <= value <= high:
            return Unlike(measure, value, max(low, 0.0), high)
    return None


def _looks_file(identity: str):
    from handclf_core.paths import cache_dir

    return cache_dir() / "looks" / f"{identity}-v{LOOKS_VERSION}.json"


def _read_usual(identity: str) -> Usual | None:
    try:
        data = json.loads(_looks_file(identity).read_text(encoding="utf-8"))
        usual = Usual(**{**data, "rare": tuple(data["rare"])})
    except (OSError, ValueError, TypeError, KeyError):
        return None
    ok = usual.identity == identity and set(usual.low) == set(usual.high) == set(RANGED)
    return usual if ok else None


def _keep_usual(usual: Usual) -> None:
    """Kept in the cache for the next process; a cache that cannot be written only costs
    the next process the measuring again."""
    from handclf_core.atomic import write_file
    from handclf_core.paths import cache_folder

    path = _looks_file(usual.identity)
    try:
        cache_folder(path.parent, "the folder of the training frames' looks")
        write_file(path, json.dumps(asdict(usual)))
    except (OSError, HandCamError):
        pass


def _spread(rows: np.ndarray, count: int) -> np.ndarray:
    if len(rows) <= count:
        return rows
    return rows[np.linspace(0, len(rows) - 1, count).round().astype(int)]


_KNOWN: dict[str, Usual] = {}  # measured or read in this process, by dataset


def usual_looks(identity: str, ds=None) -> Usual | None:
    """The usual look of the training frames of the dataset `identity`: measured once
    (`measure_looks`) and kept in the cache and in this process; None when it cannot be."""
    usual = _KNOWN.get(identity) or _read_usual(identity)
    if usual is None:
        usual = measure_looks(identity, ds)
        if usual is None:
            return None
        _keep_usual(usual)
    _KNOWN[identity] = usual
    return usual


def measure_looks(identity: str, ds=None) -> Usual | None:
    """The usual look of the training frames of the dataset `identity`, measured now: on
    LOOK_FRAMES of them from its frame store, else decoded from `ds` (a fifth as many: a
    real frame takes 40 ms to decode); None when neither is at hand."""
    from handclf_core.data.store import stored_store

    store = stored_store(identity)
    if store is not None:
        rows = np.flatnonzero(store.frames["split"].to_numpy() == "train")
        if len(rows):
            return measure_usual((store.base[i] for i in _spread(rows, LOOK_FRAMES)), identity)
    if ds is None:
        return None
    from handclf_core.data.images import decode_image

    hands = ds.hand_frames()
    files = _spread(hands.file[hands.split == "train"].to_numpy(), LOOK_FRAMES // 5)
    if not len(files):
        return None
    return measure_usual((to_base(decode_image(ds.read_bytes(f), f)) for f in files), identity)
