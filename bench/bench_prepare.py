"""Benchmark: turning full-size HandCam frames into model inputs, side by side.

    python bench/bench_prepare.py [--frames N] [--out report.json]

On N full-size (1920x1080) PNG frames in the real layout, made once in the cache folder:

    (a) decode-only limit: the same files decoded by one process per core, nothing else
    (b) `prepare`: a fresh frame store plus a 32x32 variant, and its ratio to (a)
    (c) the assignment's way: read, resize to 227x227, np.concatenate onto a growing array,
        one core (on fewer frames: its cost grows with the square of the count)
    (d) variants re-derived from the store (32 RGB, 28 grey, 227 RGB mirrored): seconds per
        frame, extrapolated to the real dataset's 27,768 hand frames

The frames are drawn by handclf_core.data.sample over the real label sequences, plus sparse
sensor-like noise, so that they decode about as slowly as the real frames (~1.3 MB, ~40 ms
each; the report compares both on one core). This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from handclf_core import paths, vocab  # noqa: E402
from handclf_core.data import layout  # noqa: E402
from handclf_core.data.dataset import open_dataset  # noqa: E402
from handclf_core.data.images import Preprocessing  # noqa: E402
from handclf_core.data.store import build_store, prepare, store_path  # noqa: E402

REAL_FRAMES = Path(__file__).resolve().parents[2] / "shared" / "handcam" / "frames"
FULL_HAND_FRAMES = 27_768  # the real dataset's hand frames, both splits
SIZE = (1920, 1080)
RECORDINGS = [
    (split, scene, r)
    for split, counts in (("train", layout.TRAIN_RECORDINGS), ("test", layout.TEST_RECORDINGS))
    for scene, count in counts.items()
    for r in range(1, count + 1)
]  # 20 recordings, each with two hands
VARIANTS = [Preprocessing(32), Preprocessing(28, gray=True), Preprocessing(227, flip_right=True)]


def _picture(labels: dict, scene: str, key: tuple, mirror: bool) -> np.ndarray:
    """(1080, 1920, 3) uint8: the sample's drawing, or a noisy gradient without it."""
    try:
        from handclf_core.data.drawing import draw_hand_frame
    except ImportError:
        rng = np.random.default_rng(zlib.crc32(repr(key).encode()))
        x = np.linspace(0, 1, SIZE[0])[None, :, None] * rng.uniform(60, 200, 3)
        y = np.linspace(0, 1, SIZE[1])[:, None, None] * rng.uniform(0, 55, 3)
        return (x + y).astype(np.uint8)
    return np.asarray(draw_hand_frame(labels, scene, SIZE, key, mirror=mirror).convert("RGB"))


def _draw_png(job: tuple) -> int:
    path, labels, scene, key, mirror = job
    a = _picture(labels, scene, key, mirror).astype(np.int16)
    # Sparse +-2 noise on 7% of the values, like a camera sensor's: makes the PNG ~1.2 MB
    # and its decoding as slow as a real frame's; clean drawings decode ~25% faster.
    rng = np.random.default_rng(zlib.crc32(repr(key).encode()))
    mask = rng.random(a.shape, dtype=np.float32) < 0.07
    a[mask] += rng.integers(-2, 3, int(mask.sum()), dtype=np.int16)
    buf = io.BytesIO()
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(buf, "PNG", compress_level=1)
    Path(path).write_bytes(buf.getvalue())
    return 1


def make_dataset(per_hand: int) -> Path:
    """The benchmark data set: `per_hand` frames for each hand of each of the 20 recordings,
    labelled with evenly spaced positions of the real label sequences. Reused when present."""
    out = paths.cache_dir() / "bench" / f"handcam-bench-{per_hand}x40-{SIZE[0]}x{SIZE[1]}-v2"
    if out.is_dir():
        return out
    try:
        from handclf_core.data.sample import builtin_labels

        real = builtin_labels()
    except ImportError:
        real = {}
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    jobs = []
    for split, scene, rec in RECORDINGS:
        n = layout.label_number(split, scene, rec)
        for camera, side in (("Lhand", "left"), ("Rhand", "right")):
            labels = {}
            for task in vocab.TASKS:
                seq = real.get(f"{scene}/{task}_{side}{n}", np.zeros(per_hand))
                labels[task] = np.asarray(seq)[np.linspace(0, len(seq) - 1, per_hand).astype(int)]
                (tmp / "labels" / scene).mkdir(parents=True, exist_ok=True)
                np.save(tmp / "labels" / scene / f"{task}_{side}{n}.npy", labels[task] + 0.0)
            folder = tmp / "frames" / split / scene / str(rec) / camera
            folder.mkdir(parents=True)
            for k in range(per_hand):
                frame_labels = {t: int(labels[t][k]) for t in vocab.TASKS}
                key = (split, scene, rec, camera, k)
                jobs.append(
                    (folder / f"Image{k + 1}.png", frame_labels, scene, key, side == "right")
                )
    print(f"drawing {len(jobs)} PNGs of {SIZE[0]}x{SIZE[1]} into {out} (once) ...", flush=True)
    started = time.perf_counter()
    with ProcessPoolExecutor() as pool:
        for done, _ in enumerate(pool.map(_draw_png, jobs, chunksize=8), 1):
            if done % max(1, len(jobs) // 10) == 0:
                print(f"  {done}/{len(jobs)}  {time.perf_counter() - started:.0f} s", flush=True)
    tmp.rename(out)
    return out


def _decode_files(paths: list[str]) -> int:
    for p in paths:
        Image.open(p).load()
    return len(paths)


def decode_ms(paths: list[str]) -> float:
    """Mean milliseconds to decode one of `paths` on one core."""
    started = time.perf_counter()
    _decode_files(paths)
    return (time.perf_counter() - started) / len(paths) * 1e3


def decode_only(paths: list[str], workers: int) -> float:
    """(a) frames/s decoding `paths` with one process per core, nothing else."""
    chunks = [paths[i : i + 16] for i in range(0, len(paths), 16)]  # as prepare's tasks
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_decode_files, [paths[:1]] * workers))  # start the workers: not timed
        started = time.perf_counter()
        done = sum(pool.map(_decode_files, chunks))
        return done / (time.perf_counter() - started)


def assignment_way(paths: list[str]) -> dict:
    """(c) read, resize to 227x227, concatenate onto a growing array: one core."""
    x = np.zeros((0, 227, 227, 3), np.uint8)
    read, grow = [], []
    for p in paths:
        started = time.perf_counter()
        img = np.asarray(Image.open(p).convert("RGB").resize((227, 227)))
        middle = time.perf_counter()
        x = np.concatenate([x, img[None]])  # copies every earlier frame again
        read.append(middle - started)
        grow.append(time.perf_counter() - middle)
    # Frame k's concatenation copies k frames: fit seconds per frame copied, then N frames
    # cost N reads plus N^2/2 frame copies (and 2 x 4.3 GB of memory at the end).
    k = np.arange(1, len(paths) + 1)
    per_copy = float(np.dot(k, grow) / np.dot(k, k))
    n = FULL_HAND_FRAMES
    return {
        "frames": len(paths),
        "frames_per_second": len(paths) / (sum(read) + sum(grow)),
        "read_resize_ms": float(np.mean(read)) * 1e3,
        "concatenate_us_per_frame_copied": per_copy * 1e6,
        "extrapolated_seconds_27768": float(np.mean(read)) * n + per_copy * n * n / 2,
        "array_gb_27768": n * 227 * 227 * 3 / 1e9,
    }


def derive_variants(ds, workers: int) -> list[dict]:
    """(d) each variant derived afresh from the store, by 1 process and by `workers`."""
    store, _ = build_store(ds)
    rows = []
    for prep in VARIANTS:
        for procs in sorted({1, workers}):
            (store.path / "variants" / f"{prep.key}.npy").unlink(missing_ok=True)
            started = time.perf_counter()
            store.variant(prep, workers=procs)
            seconds = time.perf_counter() - started
            per_frame = seconds / len(store)
            rows.append(
                {
                    "variant": prep.key,
                    "workers": procs,
                    "seconds": seconds,
                    "ms_per_frame": per_frame * 1e3,
                    "extrapolated_seconds_27768": per_frame * FULL_HAND_FRAMES,
                }
            )
    return rows


def machine() -> dict:
    model = "unknown"
    if Path("/proc/cpuinfo").is_file():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "pillow": PIL.__version__,
        "numpy": np.__version__,
        "load_average_at_start": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=2000, help="hand frames (default 2000)")
    parser.add_argument(
        "--assignment-frames", type=int, default=300, help="frames for (c) (default 300)"
    )
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    workers = os.cpu_count() or 1
    report = {"machine": machine()}

    ds = open_dataset(make_dataset(max(1, round(args.frames / 40))))
    paths = [str(ds.frames_tree.root / f) for f in ds.hand_frames().file]
    n = len(paths)
    for p in paths:  # into the page cache, so that no measurement reads the disk
        Path(p).read_bytes()
    report["frames"] = n
    report["png_mb_mean"] = sum(os.path.getsize(p) for p in paths) / n / 1e6
    report["decode_ms_one_core"] = {"bench_frames": decode_ms(paths[:20])}
    real = sorted(str(p) for p in REAL_FRAMES.glob("*.png")) if REAL_FRAMES.is_dir() else []
    if real:
        report["decode_ms_one_core"]["real_frames"] = decode_ms(real * 5)

    # Other processes on the machine shift both figures: (a) is measured before and after
    # (b), and (b) is compared with their mean.
    before = decode_only(paths, workers)
    shutil.rmtree(store_path(ds), ignore_errors=True)  # a fresh store
    marks = []  # (seconds, frames decoded): the decoding rate once started, as a full run sees
    started = time.perf_counter()
    result = prepare(
        ds,
        Preprocessing(32),
        progress=lambda d, t: marks.append((time.perf_counter() - started, d)),
    )
    after = decode_only(paths, workers)
    end = next(i for i, m in enumerate(marks) if m[1] == n)  # then the variant's progress
    decoding = [m for m in marks[: end + 1] if 0.1 * n <= m[1] <= 0.9 * n]
    steady = (decoding[-1][1] - decoding[0][1]) / (decoding[-1][0] - decoding[0][0])
    limit = (before + after) / 2
    report["a_decode_only"] = {
        "workers": workers,
        "frames_per_second": limit,
        "before_and_after_b": [before, after],
    }
    result["ratio_to_decode_only"] = result["frames_per_second"] / limit
    result["steady_frames_per_second"] = steady  # without start-up, tail and the variant
    result["steady_ratio_to_decode_only"] = steady / limit
    report["b_prepare"] = result

    old = assignment_way(paths[: args.assignment_frames])
    old["ratio_to_decode_only"] = old["frames_per_second"] / limit
    old["prepare_speedup"] = result["frames_per_second"] / old["frames_per_second"]
    report["c_assignment"] = old

    report["d_variants"] = derive_variants(ds, workers)
    report["machine"]["load_average_at_end"] = os.getloadavg()

    m = report["machine"]
    print(f"\n{m['cpu_model']}, {m['cpus']} CPUs, Python {m['python']}, Pillow {m['pillow']}")
    dec = report["decode_ms_one_core"]
    print(f"{n} frames of {SIZE[0]}x{SIZE[1]} PNG, {report['png_mb_mean']:.2f} MB each, "
          f"decoding in {dec['bench_frames']:.1f} ms on one core "
          f"(the real frames: {dec.get('real_frames', float('nan')):.1f} ms)\n")  # fmt: skip
    print(f"{'measurement':52s} {'frames/s':>9s}  ratio")
    print(f"{'(a) decode only, ' + str(workers) + ' processes':52s} {limit:9.1f}  1.00"
          f"   (before (b): {before:.1f}, after: {after:.1f})")  # fmt: skip
    print(f"{'(b) prepare: fresh store + 32x32 variant':52s} "
          f"{result['frames_per_second']:9.1f}  {result['ratio_to_decode_only']:.2f}")  # fmt: skip
    print(f"{'    its decoding phase from 10% to 90% of the frames':52s} "
          f"{steady:9.1f}  {steady / limit:.2f}")  # fmt: skip
    print(f"{'(c) assignment: resize + concatenate, 1 core, ' + str(old['frames']):52s} "
          f"{old['frames_per_second']:9.1f}  {old['frames_per_second'] / limit:.2f}"
          f"   (27,768 frames: ~{old['extrapolated_seconds_27768'] / 3600:.1f} h)")  # fmt: skip
    print(f"\n{'(d) variant from the store':28s} {'workers':>7s} {'ms/frame':>9s}  27,768 frames")
    for row in report["d_variants"]:
        print(f"    {row['variant']:24s} {row['workers']:7d} {row['ms_per_frame']:9.3f} "
              f"{row['extrapolated_seconds_27768']:12.1f} s")  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
