"""The frame store: every frame decoded once, in parallel, into one memory-mapped array.

Decoding a 1920x1080 PNG costs ~40 ms: the 27,768 hand frames take minutes even on all cores.
They are decoded once into `base.npy`, (N, 227, 404, 3) uint8; every model input (32x32 RGB,
28x28 grey, 227x227 mirrored, ...) is derived from it in seconds, cached as a variant:

    <cache>/stores/<identity>-<cameras>-404x227-v1/
        base.npy  frames.csv  meta.json  variants/s32-rgb-noflip-squash.npy ...

Stores and variants are written under temporary names and renamed when complete
(`atomic.written`), so a final name always means complete contents; an interrupted or failed
build leaves nothing. The decoding and deriving run in worker processes (`store_workers`),
which write their rows straight into the new array.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from filelock import FileLock
from numpy.lib.format import open_memmap

from handclf_core import paths
from handclf_core.atomic import check_free_space, disk_errors, remove_stale, written
from handclf_core.data import store_workers
from handclf_core.data.images import BASE_SIZE, Preprocessing
from handclf_core.data.layout import CAMERAS, HAND_CAMERAS
from handclf_core.errors import HandCamError
from handclf_core.vocab import Camera
from handclf_core.workers import cpu_count, run_tasks

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from handclf_core.data.dataset import HandCamDataset

    Progress = Callable[[int, int], None] | None

FORMAT_VERSION = 1  # bump when the store's contents change meaning; old stores are not reused
_DECODE_CHUNK = 16  # frames per decoding task: ~0.7 s of work; quick to cancel, short tail
_DERIVE_CHUNK = 256  # base frames per variant task: ~0.1 s of work


class FrameStore:
    """An opened, complete store: `frames` (one row per stored frame, in store order) and
    `base`, their (N, 227, 404, 3) uint8 pixels, memory-mapped read-only."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.meta = json.loads((self.path / "meta.json").read_text())
        self.frames: pd.DataFrame = pd.read_csv(self.path / "frames.csv", keep_default_na=False)
        self.base: np.ndarray = np.load(self.path / "base.npy", mmap_mode="r")  # (N, 227, 404, 3)
        if len(self.frames) != len(self.base) or self.base.shape[1:] != (*BASE_SIZE[::-1], 3):
            raise HandCamError(f"{self.path}: frames.csv and base.npy disagree; delete the folder")

    def __len__(self) -> int:
        return len(self.frames)

    def variant_path(self, prep: Preprocessing) -> Path:
        """Where the inputs of `prep` are (or will be) kept."""
        return self.path / "variants" / f"{prep.key}.npy"

    def variant(
        self, prep: Preprocessing, *, workers: int | None = None, progress: Progress = None
    ) -> np.ndarray:
        """The model inputs of every stored frame, derived from `base` once and cached.

        Args:
            prep: the preprocessing; Rhand rows are mirrored when `prep.flip_right`.
            workers: processes; None: one per CPU.
            progress: called as progress(done, total) while deriving.

        Returns a read-only (N, size, size, C) uint8 memmap in `frames` order.
        """
        path = self.variant_path(prep)
        images = self._derived(prep)
        if images is not None:
            return images
        path.parent.mkdir(exist_ok=True)
        with FileLock(path.parent / f".{prep.key}.lock"):  # one process derives, others wait
            images = self._derived(prep)  # by the process we waited for
            return images if images is not None else self._new_variant(prep, workers, progress)

    def _derived(self, prep: Preprocessing) -> np.ndarray | None:
        """The variant of `prep` when it is complete; None when absent or cut short."""
        try:
            images = np.load(self.variant_path(prep), mmap_mode="r")
        except (OSError, ValueError):
            return None
        return images if images.shape == (len(self), prep.size, prep.size, prep.channels) else None

    def _new_variant(self, prep: Preprocessing, workers, progress) -> np.ndarray:
        path = self.variant_path(prep)
        remove_stale(path.parent)
        check_free_space(path.parent, len(self) * prep.size**2 * prep.channels, prep.key)
        # A reader sees the whole variant or none. Not fsynced, unlike the base: it is
        # re-derived in seconds, and syncing 4 GB (227x227) would take as long again.
        with disk_errors(f"the {prep.key} inputs", path.parent), written(path, ".npy") as tmp:
            self._derive(tmp, prep, workers, progress)
        return np.load(path, mmap_mode="r")

    def _derive(self, tmp: Path, prep: Preprocessing, workers, progress: Progress) -> None:
        n, s = len(self), prep.size
        open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(n, s, s, prep.channels))  # to fill
        tasks = [(lo, min(lo + _DERIVE_CHUNK, n)) for lo in range(0, n, _DERIVE_CHUNK)]
        right = (self.frames.camera == Camera.RHAND).to_numpy()  # (N,) bool
        base_npy = str(self.path / "base.npy")
        pool = store_workers.pool(workers, len(tasks), out=tmp, base_npy=base_npy, prep=prep,
                                  right=right)  # fmt: skip
        run_tasks(pool, store_workers.derive_chunk, tasks, n, progress)


def _check_cameras(cameras: Sequence[str]) -> tuple[str, ...]:
    bad = [c for c in cameras if c not in CAMERAS]
    if bad or not cameras:
        raise HandCamError(f"cameras: expected some of {', '.join(CAMERAS)}, found {cameras!r}")
    return tuple(c for c in CAMERAS if c in cameras)  # one name per set, whatever the order


def store_path(ds: HandCamDataset, cameras: Sequence[str] = HAND_CAMERAS) -> Path:
    """Where the store of these cameras of `ds` is (or would be)."""
    return _store_folder(ds.identity, cameras)


def _store_folder(identity: str, cameras: Sequence[str]) -> Path:
    cams = "+".join(_check_cameras(cameras))
    name = f"{identity}-{cams}-{BASE_SIZE[0]}x{BASE_SIZE[1]}-v{FORMAT_VERSION}"
    return paths.cache_dir() / "stores" / name


def stored_frames(identity: str, cameras: Sequence[str] = HAND_CAMERAS) -> pd.DataFrame | None:
    """The frame table of the complete store of the dataset `identity` (its hand frames, in
    store order), read from its `frames.csv` without opening the dataset; None when there
    is no such store (or it cannot be read)."""
    path = _store_folder(identity, cameras)
    if not (path / "meta.json").is_file():  # written last: the store is complete
        return None
    try:
        return pd.read_csv(path / "frames.csv", keep_default_na=False)
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class StoreStatus:
    """How far the frame store of a dataset is built, for a page to say."""

    frames: int
    seconds: float | None  # how long decoding took
    variant_ready: bool  # the inputs of the preprocessing asked about are derived


def store_status(ds: HandCamDataset, prep: Preprocessing) -> StoreStatus | None:
    """None when `ds` has no store yet; else its frames, build time and whether the inputs of
    `prep` are derived. Two small files read: cheap enough to ask on every page run."""
    store = open_store(ds)
    if store is None:
        return None
    return StoreStatus(len(store), store.meta.get("seconds"), store.variant_path(prep).is_file())


def open_store(ds: HandCamDataset, cameras: Sequence[str] = HAND_CAMERAS) -> FrameStore | None:
    """The complete store of these cameras of `ds`, or None when there is none yet."""
    path = store_path(ds, cameras)
    if not (path / "meta.json").is_file():  # written last, before the rename: complete
        return None
    try:
        store = FrameStore(path)
    except (OSError, ValueError, HandCamError):  # damaged by hand: build_store replaces it
        return None
    meta = store.meta
    ok = meta.get("format_version") == FORMAT_VERSION and meta.get("identity") == ds.identity
    return store if ok else None


def build_store(
    ds: HandCamDataset,
    *,
    cameras: Sequence[str] = HAND_CAMERAS,
    workers: int | None = None,
    progress: Progress = None,
) -> tuple[FrameStore, bool]:
    """Decode every frame of these cameras once into a store, or open the existing one.

    Args:
        ds: an opened dataset.
        cameras: which cameras' frames to store; the hands by default.
        workers: decoding processes; None: one per CPU.
        progress: called as progress(done, total) as frames are decoded.

    Returns (store, cached), cached True when the store existed. Raises HandCamError naming
    the file when a frame cannot be decoded; nothing is left behind then, nor on interrupt.
    """
    cameras = _check_cameras(cameras)
    store = open_store(ds, cameras)
    if store is not None:
        return store, True
    final = store_path(ds, cameras)
    final.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(final.parent / f".{final.name}.lock"):  # one process decodes, others wait
        store = open_store(ds, cameras)
        if store is not None:  # built by the process we waited for
            return store, True
        return _build(ds, cameras, final, workers, progress), False


def _build(ds: HandCamDataset, cameras, final: Path, workers, progress) -> FrameStore:
    """Decode the frames of `cameras` into a new store at `final` (the caller holds its lock)."""
    remove_stale(final.parent)
    frames = ds.frames[ds.frames.camera.isin(cameras)].reset_index(drop=True)
    n, started = len(frames), time.perf_counter()
    if n == 0:
        raise HandCamError(f"{ds.description}: expected frames of {', '.join(cameras)}, found none")
    check_free_space(final.parent, n * BASE_SIZE[0] * BASE_SIZE[1] * 3, "the frame store")
    with disk_errors("the frame store", final.parent), written(final) as tmp:
        tmp.mkdir()
        npy = tmp / "base.npy"
        open_memmap(npy, mode="w+", dtype=np.uint8, shape=(n, *BASE_SIZE[::-1], 3))  # to fill
        files = list(frames.file)
        chunks = [(lo, files[lo : lo + _DECODE_CHUNK]) for lo in range(0, n, _DECODE_CHUNK)]
        pool = store_workers.pool(workers, len(chunks), out=npy, tree=ds.frames_tree)
        run_tasks(pool, store_workers.decode_chunk, chunks, n, progress)
        fd = os.open(npy, os.O_RDONLY)
        os.fsync(fd)  # on disk before the folder gets its final name
        os.close(fd)
        frames.to_csv(tmp / "frames.csv", index=False)
        meta = {
            "identity": ds.identity,
            "dataset": ds.description,
            "cameras": list(cameras),
            "base_size": list(BASE_SIZE),
            "frames": n,
            "format_version": FORMAT_VERSION,
            "seconds": round(time.perf_counter() - started, 3),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
        # a damaged store under the final name (open_store refused it) is replaced
    return FrameStore(final)


def prepare(
    ds: HandCamDataset,
    prep: Preprocessing,
    *,
    cameras: Sequence[str] = HAND_CAMERAS,
    workers: int | None = None,
    progress: Progress = None,
) -> dict:
    """Build (or open) the store of `ds`, then derive the variant `prep` from it.

    Args:
        ds: an opened dataset.
        prep: the preprocessing of the model inputs.
        cameras: which cameras' frames; the hands by default.
        workers: processes decoding, then deriving; None: one per CPU.
        progress: called as progress(done, total) while decoding, then while deriving.

    Returns a JSON-ready summary: frames, seconds, frames_per_second, cached (True when
    nothing had to be decoded), store, variant, variant_shape, variant_bytes, workers.
    """
    started = time.perf_counter()
    store, cached = build_store(ds, cameras=cameras, workers=workers, progress=progress)
    images = store.variant(prep, workers=workers, progress=progress)
    seconds = time.perf_counter() - started
    return {
        "frames": len(store),
        "seconds": round(seconds, 3),
        "frames_per_second": round(len(store) / max(seconds, 1e-9), 1),
        "cached": cached,
        "store": str(store.path),
        "variant": prep.key,
        "variant_shape": list(images.shape),
        "variant_bytes": int(images.nbytes),
        "workers": workers or cpu_count(),
    }
