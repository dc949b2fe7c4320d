"""The frame store: every frame decoded once, in parallel, into one memory-mapped array.

Decoding a 1920x1080 PNG costs ~40 ms: the 27,768 hand frames take minutes even on all cores.
They are decoded once into `base.npy`, (N, 227, 404, 3) uint8; every model input (32x32 RGB,
28x28 grey, 227x227 mirrored, ...) is derived from it in seconds, cached as a variant:

    <cache>/stores/<identity>-<cameras>-404x227-v1/
        base.npy  frames.csv  meta.json  variants/s32-rgb-noflip-squash.npy ...

A store is built chunk by chunk in a partial folder beside it (`store_build`): each chunk
of 16 frames is kept once it is durable and journaled with its SHA-256, so an interrupted
or failed build (Ctrl-C, a cancel, a kill, a full disk, a bad frame) keeps its chunks, and
the next build verifies them and decodes only the rest. The folder is renamed to its final
name when complete, and variants are written under temporary names (`atomic.written`): a
final name always means complete contents. The decoding and deriving run in worker
processes (`store_workers`), which write their rows straight into the array.
"""

from __future__ import annotations

import hashlib
import json
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
from handclf_core.data import store_build, store_workers
from handclf_core.data.images import BASE_SIZE, Preprocessing
from handclf_core.data.layout import CAMERAS, HAND_CAMERAS
from handclf_core.data.store_build import BuildPlan, PartialStore
from handclf_core.data.trees import read_file, regular_file
from handclf_core.errors import HandCamError
from handclf_core.i18n import N_
from handclf_core.vocab import Camera
from handclf_core.workers import cpu_count, run_tasks

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from handclf_core.data.dataset import HandCamDataset

    Progress = Callable[[int, int], None] | None
    Notice = Callable[[BuildPlan], None] | None

FORMAT_VERSION = 1  # bump when the store's contents change meaning; old stores are not reused
# Frames per decoding task, each kept whole once done: ~0.7 s of work at 1920x1080, so quick
# to cancel, a short tail, and little lost to a kill; 4.4 MB to sync and hash.
_DECODE_CHUNK = 16
MAX_TABLE_BYTES = 64 * 2**20  # frames.csv of the real data's 41,652 hand frames: about 4 MB
_DERIVE_CHUNK = 256  # base frames per variant task: ~0.1 s of work


class FrameStore:
    """An opened, complete store: `frames` (one row per stored frame, in store order) and
    `base`, their (N, 227, 404, 3) uint8 pixels, memory-mapped read-only."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.meta = json.loads(read_file(self.path / "meta.json", MAX_TABLE_BYTES))
        self.frames: pd.DataFrame = read_table(self.path / "frames.csv")
        base = self.path / "base.npy"
        regular_file(base)  # not a pipe or a device, which np.load would wait on or read
        self.base: np.ndarray = np.load(base, mmap_mode="r")  # (N, 227, 404, 3)
        if len(self.frames) != len(self.base) or self.base.shape[1:] != (*BASE_SIZE[::-1], 3):
            raise HandCamError(
                f"{self.path}: frames.csv and base.npy disagree; delete the folder",
                key=N_("error.store.disagree"),
                path=str(self.path),
            )

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
        lock = paths.lock_file(path.parent / f".{prep.key}.lock", "the folder of inputs")
        with FileLock(lock):  # one process derives, others wait
            images = self._derived(prep)  # by the process we waited for
            return images if images is not None else self._new_variant(prep, workers, progress)

    def _derived(self, prep: Preprocessing) -> np.ndarray | None:
        """The variant of `prep` when it is complete; None when absent or cut short."""
        try:
            regular_file(self.variant_path(prep))  # a pipe there would be waited on
            images = np.load(self.variant_path(prep), mmap_mode="r")
        except (OSError, ValueError, HandCamError):
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
        raise HandCamError(
            f"cameras: expected some of {', '.join(CAMERAS)}, found {cameras!r}",
            key=N_("error.store.cameras"),
            expected=", ".join(CAMERAS),
        )
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
        return read_table(path / "frames.csv")
    except (OSError, ValueError, HandCamError):
        return None


def read_table(path: Path) -> pd.DataFrame:
    """A store's frames.csv, read through the bounded reader: a pipe, a device or a file of
    more than MAX_TABLE_BYTES is a HandCamError naming it, never a read without end."""
    import io

    return pd.read_csv(io.BytesIO(read_file(path, MAX_TABLE_BYTES)), keep_default_na=False)


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
    return stored_store(ds.identity, cameras)


def store_stamp(ds: HandCamDataset, cameras: Sequence[str] = HAND_CAMERAS) -> tuple | None:
    """What changes when the store of `ds` is built, replaced or removed (its last-written
    file's time and size; None without one): a key for keeping an opened store."""
    try:
        info = (_store_folder(ds.identity, cameras) / "meta.json").stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def stored_store(identity: str, cameras: Sequence[str] = HAND_CAMERAS) -> FrameStore | None:
    """The complete store of the dataset `identity`, opened without the dataset (a run's
    record names it); None when there is none, or it cannot be read."""
    path = _store_folder(identity, cameras)
    if not (path / "meta.json").is_file():  # written last, before the rename: complete
        return None
    try:
        store = FrameStore(path)
    except (OSError, ValueError, HandCamError):  # damaged by hand: build_store replaces it
        return None
    meta = store.meta
    ok = meta.get("format_version") == FORMAT_VERSION and meta.get("identity") == identity
    return store if ok else None


def build_store(
    ds: HandCamDataset,
    *,
    cameras: Sequence[str] = HAND_CAMERAS,
    workers: int | None = None,
    progress: Progress = None,
    notice: Notice = None,
) -> tuple[FrameStore, bool]:
    """Decode every frame of these cameras once into a store, or open the existing one.

    Args:
        ds: an opened dataset.
        cameras: which cameras' frames to store; the hands by default.
        workers: decoding processes; None: one per CPU.
        progress: called as progress(done, total) as frames are decoded; `done` counts the
            frames an interrupted build had decoded too (the first call says how many).
        notice: called once as notice(plan) before anything is decoded, with the
            `BuildPlan` (plan.decoded > 0: resuming an interrupted build, its chunks
            verified). Not called when the store exists.

    Returns (store, cached), cached True when the store existed. Raises HandCamError naming
    the file when a frame cannot be decoded, or saying what the disk refused; the chunks
    decoded until then are kept for the next build, as on an interrupt.
    """
    cameras = _check_cameras(cameras)
    store = open_store(ds, cameras)
    if store is not None:
        return store, True
    final = store_path(ds, cameras)
    partial, frames = _partial(ds, cameras)
    lock = paths.lock_file(Path(f"{partial.path}.lock"), "the folder of frame stores")
    with FileLock(lock):  # one process decodes, others wait
        store = open_store(ds, cameras)
        if store is not None:  # built by the process we waited for
            return store, True
        if partial.path.is_symlink():  # never written through: replaced by a folder
            partial.path.unlink()
        remove_stale(final.parent)
        store_build.build(partial, final, ds, frames, cameras, workers=workers,
                          progress=progress, notice=notice)  # fmt: skip
        return FrameStore(final), False


def _partial(ds: HandCamDataset, cameras: Sequence[str]) -> tuple[PartialStore, pd.DataFrame]:
    """The partial folder of the store of `cameras` of `ds`, and the frames it holds. Named
    by the dataset's location, not its identity: a frame fixed after a failed build changes
    the identity, and the chunks of the other frames are still good (each chunk's sources
    are checked)."""
    frames = ds.frames[ds.frames.camera.isin(cameras)].reset_index(drop=True)
    files = list(frames.file)
    where = hashlib.sha256(ds.frames_tree.description.encode()).hexdigest()[:16]
    final = store_path(ds, cameras)
    path = final.parent / f".partial-{where}-{final.name.split('-', 1)[1]}"
    fingerprints = ds.frames_tree.fingerprint(files)
    return PartialStore(path, files, fingerprints, _DECODE_CHUNK, FORMAT_VERSION), frames


def plan_store(ds: HandCamDataset, cameras: Sequence[str] = HAND_CAMERAS) -> BuildPlan | None:
    """What building the store of these cameras of `ds` takes from here: frames, those an
    interrupted build decoded already (by its journal, not verified: cheap), bytes to write,
    free bytes. None when the store is complete."""
    cameras = _check_cameras(cameras)
    if open_store(ds, cameras) is not None:
        return None
    return _partial(ds, cameras)[0].plan_from_journal()


def decode_seconds(ds: HandCamDataset, frames: int = 3, cameras=HAND_CAMERAS) -> float:
    """Seconds to decode one frame of `ds` and reduce it to the store's size, now, in this
    process (one core; the build runs one worker per core): the median over the first
    `frames` frames still to decode. 0.0 when the store is complete. Raises HandCamError
    naming a frame that cannot be decoded."""
    cameras = _check_cameras(cameras)
    if open_store(ds, cameras) is not None:
        return 0.0
    return _partial(ds, cameras)[0].decode_seconds(ds.frames_tree, frames)


def prepare(
    ds: HandCamDataset,
    prep: Preprocessing,
    *,
    cameras: Sequence[str] = HAND_CAMERAS,
    workers: int | None = None,
    progress: Progress = None,
    notice: Notice = None,
) -> dict:
    """Build (or open) the store of `ds`, then derive the variant `prep` from it.

    Args:
        ds: an opened dataset.
        prep: the preprocessing of the model inputs.
        cameras: which cameras' frames; the hands by default.
        workers: processes decoding, then deriving; None: one per CPU.
        progress: called as progress(done, total) while decoding, then while deriving.
        notice: called as notice(plan) before decoding (see `build_store`).

    Returns a JSON-ready summary: frames, seconds, frames_per_second (of the frames decoded
    now), cached (True when nothing had to be decoded), resumed (frames an interrupted build
    had decoded), store, variant, variant_shape, variant_bytes, workers.
    """
    started, plans = time.perf_counter(), []

    def told(plan: BuildPlan) -> None:
        plans.append(plan)
        if notice:
            notice(plan)

    store, cached = build_store(ds, cameras=cameras, workers=workers, progress=progress,
                                notice=told)  # fmt: skip
    images = store.variant(prep, workers=workers, progress=progress)
    seconds, resumed = time.perf_counter() - started, plans[0].decoded if plans else 0
    return {
        "frames": len(store),
        "seconds": round(seconds, 3),
        "frames_per_second": round((len(store) - resumed) / max(seconds, 1e-9), 1),
        "cached": cached,
        "resumed": resumed,
        "store": str(store.path),
        "variant": prep.key,
        "variant_shape": list(images.shape),
        "variant_bytes": int(images.nbytes),
        "workers": workers or cpu_count(),
    }
