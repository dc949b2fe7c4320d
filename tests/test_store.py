"""The frame store and the image helpers, on tiny datasets written in the real layout."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from handclf_core.data import store as store_mod
from handclf_core.data.dataset import open_dataset
from handclf_core.data.images import BASE_SIZE, Preprocessing, decode_image, preprocess, to_base
from handclf_core.data.store import build_store, open_store, prepare, store_path
from handclf_core.errors import HandCamError
from handclf_core.vocab import Hand

REAL_FRAMES = Path(__file__).resolve().parents[2] / "shared" / "handcam" / "frames"
# (split, scene, recording) -> label file number N, as in the real layout.
RECORDINGS = {("train", "house", 1): 1, ("train", "lab", 2): 2, ("test", "house", 1): 4}


def _png(rng: np.random.Generator, size=(96, 54)) -> bytes:
    """A frame with structure (a gradient) and noise, so that resampling errors would show."""
    w, h = size
    grad = np.linspace(0, 200, w, dtype=np.float64)[None, :, None] + rng.integers(0, 55, (h, w, 3))
    buf = io.BytesIO()
    Image.fromarray(grad.astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def make_dataset(root: Path, frames_per_recording: int = 4, size=(96, 54)) -> Path:
    """frames/<split>/<scene>/<rec>/<Lhand|Rhand>/Image<k>.png and labels/<scene>/*.npy."""
    rng = np.random.default_rng(0)
    n = frames_per_recording
    for (split, scene, rec), label_n in RECORDINGS.items():
        for camera, side in (("Lhand", "left"), ("Rhand", "right")):
            folder = root / "frames" / split / scene / str(rec) / camera
            folder.mkdir(parents=True)
            for k in range(1, n + 1):
                (folder / f"Image{k}.png").write_bytes(_png(rng, size))
            labels = root / "labels" / scene
            labels.mkdir(parents=True, exist_ok=True)
            for task, classes in (("obj", 24), ("ges", 13), ("FA", 2)):
                ids = rng.integers(0, classes, n).astype(np.float64)  # float64 like the real files
                np.save(labels / f"{task}_{side}{label_n}.npy", ids)
    return root


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HANDCLF_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def ds(tmp_path, cache):
    return open_dataset(make_dataset(tmp_path / "data"), subset=True)


def _leftovers(cache: Path) -> list[str]:
    """What the stores folder holds besides lock files (they stay, and hold no data)."""
    stores = cache / "stores"
    entries = stores.iterdir() if stores.exists() else ()
    return sorted(p.name for p in entries if not p.name.endswith(".lock"))


def test_store_built_once_and_reopened(ds, cache, tmp_path):
    store, cached = build_store(ds, workers=2)
    assert not cached and store.path == store_path(ds)
    hands = ds.hand_frames()
    assert len(store) == len(hands) == 24 and list(store.frames.file) == list(hands.file)
    assert store.base.shape == (24, 227, 404, 3) and store.base.dtype == np.uint8
    for i, file in enumerate(store.frames.file):
        expected = to_base(decode_image(ds.read_bytes(file), file))
        np.testing.assert_array_equal(store.base[i], expected)

    # Nothing is decoded again: with every PNG gone, the store still opens and prepares.
    for png in (tmp_path / "data" / "frames").rglob("*.png"):
        png.unlink()
    again, cached = build_store(ds)
    assert cached and again.path == store.path
    np.testing.assert_array_equal(again.base, store.base)
    report = prepare(ds, Preprocessing(size=32))
    assert report["cached"] and report["frames"] == 24
    assert report["variant"] == "s32-rgb-noflip-squash" and report["variant_shape"] == [
        24,
        32,
        32,
        3,
    ]
    assert report["variant_bytes"] == 24 * 32 * 32 * 3
    assert _leftovers(cache) == [store.path.name]


def test_store_from_zip_archives(ds, cache, tmp_path):
    # The workers read frames.zip in place, each with its own handle.
    zipped = tmp_path / "zipped"
    for part in ("frames", "labels"):
        shutil.make_archive(str(zipped / part), "zip", tmp_path / "data" / part)
    from_zip, _ = build_store(open_dataset(zipped, subset=True), workers=2)
    from_folder, _ = build_store(ds, workers=2)
    assert from_zip.path != from_folder.path
    np.testing.assert_array_equal(from_zip.base, from_folder.base)


def test_variants(ds, cache):
    store, _ = build_store(ds, workers=2)
    for prep, shape in [
        (Preprocessing(size=32), (24, 32, 32, 3)),
        (Preprocessing(size=28, gray=True), (24, 28, 28, 1)),
        (Preprocessing(size=227), (24, 227, 227, 3)),
    ]:
        images = store.variant(prep, workers=2)
        assert images.shape == shape and images.dtype == np.uint8
        assert (store.path / "variants" / f"{prep.key}.npy").is_file()

    plain = store.variant(Preprocessing(size=32))
    flipped = store.variant(Preprocessing(size=32, flip_right=True))
    right = (store.frames.camera == "Rhand").to_numpy()
    assert right.sum() == 12
    np.testing.assert_array_equal(flipped[right], plain[right][:, :, ::-1])
    np.testing.assert_array_equal(flipped[~right], plain[~right])

    cropped = store.variant(Preprocessing(size=64, crop=True))
    squashed = store.variant(Preprocessing(size=64))
    assert not np.array_equal(cropped, squashed)
    for i in (0, 5, 23):
        for prep, images in ((Preprocessing(size=64, crop=True), cropped),
                             (Preprocessing(size=64), squashed)):  # fmt: skip
            hand = Hand.RIGHT if right[i] else Hand.LEFT
            np.testing.assert_array_equal(images[i], preprocess(store.base[i], prep, hand=hand))

    # Cached: derived once, then read back (the file is not rewritten).
    path = store.path / "variants" / "s32-rgb-noflip-squash.npy"
    mtime = path.stat().st_mtime_ns
    np.testing.assert_array_equal(store.variant(Preprocessing(size=32)), plain)
    assert path.stat().st_mtime_ns == mtime
    # Cut short, as by a crash: derived again. (A new file: never truncate a mapped one.)
    cut = path.with_name("cut.npy")
    cut.write_bytes(path.read_bytes()[:200])
    os.replace(cut, path)
    np.testing.assert_array_equal(store.variant(Preprocessing(size=32)), plain)
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp-")]


def _corrupt(png: bytes) -> bytes:
    # Flip bytes inside the image data (past the 33-byte signature and header chunk).
    data = bytearray(png)
    for i in range(60, len(data) - 20, 7):
        data[i] ^= 0x5A
    return bytes(data)


def _decoded(ds) -> np.ndarray:
    """Every hand frame of `ds` decoded here, one by one: what the store must hold."""
    files = ds.hand_frames().file
    return np.stack([to_base(decode_image(ds.read_bytes(f), f)) for f in files])


def _partial(cache: Path) -> Path:
    (folder,) = [p for p in (cache / "stores").glob(".partial-*") if p.is_dir()]
    return folder


def _journaled(cache: Path) -> list[tuple[int, int]]:
    journal = (_partial(cache) / "journal.txt").read_text()
    return sorted((int(lo), int(hi)) for lo, hi, *_ in map(str.split, journal.splitlines()))


def _touch_keeping_stat(path: Path, data: bytes) -> None:
    """Overwrite a file with as many bytes, its modification time kept: a fingerprint that
    does not change, so a build trusts its chunk and never reads it again."""
    st = path.stat()
    path.write_bytes(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize(
    "damage",
    [_corrupt, lambda b: b[: len(b) // 2], lambda b: b""],
    ids=["corrupt", "truncated", "empty"],
)
def test_bad_frame_fails_naming_it_and_keeps_the_chunks_before_it(
    damage, tmp_path, cache, monkeypatch
):
    monkeypatch.setattr(store_mod, "_DECODE_CHUNK", 2)  # 12 chunks of 24 frames
    root = make_dataset(tmp_path / "data")
    expected = _decoded(open_dataset(root, subset=True))
    files = [root / "frames" / f for f in open_dataset(root, subset=True).hand_frames().file]
    bad, good = files[12], files[12].read_bytes()  # the first frame of chunk 7
    bad.write_bytes(damage(good))
    name = re.escape("/".join(bad.parts[-4:]))
    with pytest.raises(HandCamError, match=rf"{name}: expected a PNG or JPEG"):
        build_store(open_dataset(root, subset=True), workers=1)
    assert open_store(open_dataset(root, subset=True)) is None
    assert _journaled(cache)[:6] == [(lo, lo + 2) for lo in range(0, 12, 2)]
    kept = _journaled(cache)
    assert (12, 14) not in kept

    bad.write_bytes(good)  # fixed: the dataset's identity changes, chunks 1-6 stay good
    for f in files[:12]:  # and never decoded again: they would fail now
        _touch_keeping_stat(f, _corrupt(f.read_bytes()))
    plans = []
    store, cached = build_store(open_dataset(root, subset=True), workers=1, notice=plans.append)
    assert not cached and plans[0].decoded == 2 * len(kept) >= 12  # (chunks
    # queued after chunk 7 may have run: a worker runs ahead of what this process has read)
    np.testing.assert_array_equal(store.base, expected)
    assert _leftovers(cache) == [store.path.name]


class Cancelled(Exception):
    """What the app's training process raises from a progress callback to cancel."""


@pytest.mark.parametrize("cancel", [KeyboardInterrupt, Cancelled])
def test_a_cancelled_build_keeps_its_whole_chunks_and_resumes(ds, cache, monkeypatch, cancel):
    monkeypatch.setattr(store_mod, "_DECODE_CHUNK", 2)  # several chunks from 24 frames
    calls = []

    def progress(done, total):
        calls.append(done)
        raise cancel

    with pytest.raises(cancel):
        build_store(ds, workers=2, progress=progress)
    assert calls == [2] and open_store(ds) is None
    assert _leftovers(cache) == [_partial(cache).name]  # kept, not trusted blindly
    kept = _journaled(cache)  # the chunk that ended, and those running then
    assert len(kept) >= 1 and all(hi - lo == 2 for lo, hi in kept)

    plans, calls = [], []
    store, cached = build_store(
        ds, workers=2, notice=plans.append, progress=lambda d, n: calls.append(d)
    )
    assert not cached and plans[0].decoded == 2 * len(kept) and plans[0].frames == 24
    assert calls[0] == plans[0].decoded and calls[-1] == 24  # the bar starts where it stopped
    np.testing.assert_array_equal(store.base, _decoded(ds))
    assert _leftovers(cache) == [store.path.name]


def test_a_damaged_chunk_is_decoded_again(ds, cache, monkeypatch):
    from handclf_core.data.store import decode_seconds, plan_store

    monkeypatch.setattr(store_mod, "_DECODE_CHUNK", 2)

    def progress(done, total):
        if done >= 6:
            raise KeyboardInterrupt

    assert 0 < decode_seconds(ds) < 60  # a frame decoded and timed (s); nothing written
    with pytest.raises(KeyboardInterrupt):
        build_store(ds, workers=2, progress=progress)
    kept = _journaled(cache)
    assert len(kept) >= 3
    plan = plan_store(ds)  # the journal as it is: nothing verified yet
    assert (plan.frames, plan.decoded, plan.to_decode) == (24, 2 * len(kept), 24 - 2 * len(kept))
    assert (
        plan.bytes == 128 + 24 * 227 * 404 * 3
        and plan.to_write == plan.bytes - plan.decoded * 227 * 404 * 3
    )
    assert plan.free > 0
    # The workers may have journaled every chunk before the interruption reached them.
    left = decode_seconds(ds)  # seconds a frame, not milliseconds
    assert 0 < left < 60 if plan.to_decode else left == 0.0

    partial = _partial(cache)
    lo, hi = kept[1]
    with open(partial / "base.npy", "r+b") as f:  # one bit flipped in a journaled chunk
        f.seek(128 + lo * 227 * 404 * 3 + 1000)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 1]))
    with open(partial / "journal.txt", "a") as f:  # a torn line, as a crash leaves
        f.write("22 24 0123")
    plans = []
    store, _ = build_store(ds, workers=2, notice=plans.append)
    assert plans[0].decoded == 2 * len(kept) - 2  # all but the damaged chunk
    np.testing.assert_array_equal(store.base, _decoded(ds))
    assert plan_store(ds) is None and decode_seconds(ds) == 0.0


def _workers() -> list[int]:
    """The worker processes of this process's forkserver."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" ", 1)
            parents[int(pid)] = int(rest.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue

    def forkserver(pid: int) -> bool:
        try:
            return b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False

    servers = {pid for pid, parent in parents.items() if parent == os.getpid() and forkserver(pid)}
    return [pid for pid, parent in parents.items() if parent in servers]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_killed_worker_is_an_error_and_the_chunks_done_are_kept(ds, cache, monkeypatch):
    monkeypatch.setattr(store_mod, "_DECODE_CHUNK", 2)

    def progress(done, total):  # as the OOM killer would
        if done == 2:
            os.kill(_workers()[0], signal.SIGKILL)

    with pytest.raises(HandCamError, match="decode worker process died .* the chunks decoded so "
                       "far are kept: run it again to resume"):  # fmt: skip
        build_store(ds, workers=2, progress=progress)
    kept = _journaled(cache)
    plans = []
    store, _ = build_store(ds, workers=2, notice=plans.append)
    assert plans[0].decoded == 2 * len(kept) >= 2
    np.testing.assert_array_equal(store.base, _decoded(ds))


def test_a_partial_of_another_plan_is_started_afresh(ds, cache, monkeypatch):
    monkeypatch.setattr(store_mod, "_DECODE_CHUNK", 2)
    with pytest.raises(KeyboardInterrupt):
        build_store(ds, workers=1, progress=lambda d, n: (_ for _ in ()).throw(KeyboardInterrupt))
    assert _journaled(cache)
    monkeypatch.setattr(store_mod, "_DECODE_CHUNK", 4)  # another plan: its rows are not these
    plans = []
    store, _ = build_store(ds, workers=2, notice=plans.append)
    assert plans[0].decoded == 0
    np.testing.assert_array_equal(store.base, _decoded(ds))


def test_stale_temporary_folders_are_removed(ds, cache):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = cache / "stores" / f".tmp-{store_path(ds).name}-{int(dead.stdout)}-0a1b"
    live = cache / "stores" / f".tmp-{store_path(ds).name}-{os.getpid()}-0a1c"
    for folder in (stale, live):
        folder.mkdir(parents=True)
    store, _ = build_store(ds, workers=1)
    assert _leftovers(cache) == sorted([live.name, store.path.name])


def _encode(im: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def test_decode_image_modes():
    rgba = Image.new("RGBA", (4, 2), (10, 20, 30, 255))
    rgba.putpixel((0, 0), (0, 0, 0, 0))  # transparent: shows the white background
    out = decode_image(_encode(rgba), "a.png")
    assert out.mode == "RGB" and out.getpixel((0, 0)) == (255, 255, 255)
    assert out.getpixel((1, 0)) == (10, 20, 30)

    assert decode_image(_encode(Image.new("L", (3, 3), 77)), "l.png").getpixel((1, 1)) == (77,) * 3
    pal = Image.new("P", (3, 3), 1)
    pal.putpalette([0, 0, 0, 200, 100, 50] + [0] * 762)
    assert decode_image(_encode(pal), "p.png").getpixel((2, 2)) == (200, 100, 50)

    deep = np.array([[0, 257, 32896, 65535]], dtype=np.uint16)  # 16-bit grey
    out = decode_image(_encode(Image.fromarray(deep)), "deep.png")
    assert [out.getpixel((x, 0))[0] for x in range(4)] == [0, 1, 128, 255]  # scaled, not clipped

    jpeg = decode_image(_encode(Image.new("RGB", (16, 8), (200, 30, 30)), "JPEG"), "j.jpg")
    assert jpeg.size == (16, 8) and abs(jpeg.getpixel((8, 4))[0] - 200) < 8

    for data, found in ((b"hello, not a picture", "something else"), (b"", "empty")):
        with pytest.raises(
            HandCamError, match=rf"^x\.png: expected a PNG or JPEG image, .*{found}"
        ):
            decode_image(data, "x.png")


@pytest.mark.parametrize("side", [9000, 100_000])
def test_decode_image_refuses_oversized_pictures(side):
    # A tiny PNG whose header claims side x side pixels: refused before decoding anything.
    png = bytearray(_encode(Image.new("L", (8, 8))))
    ihdr = b"IHDR" + struct.pack(">II", side, side) + bytes(png[24:29])
    png[12:33] = ihdr + struct.pack(">I", zlib.crc32(ihdr))
    with pytest.raises(HandCamError, match=r"big\.png: expected a PNG or JPEG image, found .*"):
        decode_image(bytes(png), "big.png")


def test_preprocessing_options():
    assert Preprocessing().key == "s32-rgb-noflip-squash"
    assert Preprocessing(227, gray=True, flip_right=True, crop=True).key == "s227-gray-flip-crop"
    for bad in (4, 405, 32.5, True):
        with pytest.raises(HandCamError, match="input size"):
            Preprocessing(size=bad)
    # A whole picture goes through to_base first: inference equals training.
    im = Image.fromarray(np.random.default_rng(1).integers(0, 255, (108, 192, 3), np.uint8))
    prep = Preprocessing(28, gray=True, flip_right=True)
    np.testing.assert_array_equal(
        preprocess(im, prep, hand=Hand.RIGHT), preprocess(to_base(im), prep, hand=Hand.RIGHT)
    )
    assert preprocess(im, prep, hand=Hand.LEFT).shape == (28, 28, 1)
    # Full-size frames are reduced, other shapes squashed: always (227, 404, 3).
    for size in ((1920, 1080), (640, 480), (50, 50)):
        assert to_base(Image.new("RGB", size, (9, 99, 199))).shape == (227, 404, 3)
    assert (to_base(Image.new("RGB", (1920, 1080), (9, 99, 199))) == (9, 99, 199)).all()


def test_real_frames_decode_to_full_size():
    files = sorted(REAL_FRAMES.glob("*.png")) if REAL_FRAMES.is_dir() else []
    if not files:
        pytest.skip(f"the real HandCam frames are not at {REAL_FRAMES}")
    for file in files:
        im = decode_image(file.read_bytes(), file.name)
        assert im.size == (1920, 1080) and im.mode == "RGB"
        base = to_base(im)
        assert base.shape == (227, 404, 3) == (BASE_SIZE[1], BASE_SIZE[0], 3)
        assert 20 < base.mean() < 235  # a picture, not a blank
