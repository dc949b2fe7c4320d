"""A built-in sample of HandCam: the real label sequences over synthetic pictures.

The real frames (about 28k PNGs of 1920x1080 per camera) cannot be shipped, but their labels
can (`data/handcam_labels.npz`). This module writes a small data set in the exact HandCam
layout whose labels are the real sequences, subsampled, and whose pictures are drawn
(`drawing`): a scene background, a hand entering from the wrist camera's side and, when the
obj label is not `free`, the held object. So every reader, model and page of the project
runs with no download, on the real class imbalance.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from handclf_core import paths, vocab
from handclf_core.atomic import disk_errors, remove_stale, written
from handclf_core.data import layout
from handclf_core.data.drawing import draw_hand_frame, draw_head_frame
from handclf_core.errors import HandCamError
from handclf_core.workers import process_pool, run_tasks

DEFAULT_STRIDE = 10
DEFAULT_SIZE = (320, 180)
MIN_SIZE = (32, 18)
_CHUNK = 40  # frames per worker task: smooth progress, little scheduling overhead


@functools.cache
def builtin_labels() -> dict[str, np.ndarray]:
    """The packaged real HandCam label sequences, keyed "scene/task_sideN" (uint8, read-only)."""
    with np.load(Path(__file__).with_name("handcam_labels.npz")) as data:
        labels = {key: data[key] for key in data.files}
    for array in labels.values():
        array.setflags(write=False)  # shared by every caller through the cache
    return labels


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
    for split in layout.SPLITS:
        counts = layout.TRAIN_RECORDINGS if split == "train" else layout.TEST_RECORDINGS
        for scene, count in counts.items():
            for recording in range(1, count + 1):
                yield split, scene, recording, layout.label_number(split, scene, recording)


def _plan(root: Path, stride: int, size: tuple[int, int], seed: int) -> list[tuple]:
    """Write the label files and frame folders; return the frame-drawing jobs."""
    labels, jobs, sides = builtin_labels(), [], ("left", "right")
    for split, scene, recording, n in _recordings():
        seqs = {(t, s): labels[f"{scene}/{t}_{s}{n}"] for t in vocab.TASKS for s in sides}
        kept = _kept_indices(np.stack(list(seqs.values())), stride)
        (root / "labels" / scene).mkdir(parents=True, exist_ok=True)
        for (task, side), seq in seqs.items():  # float64, as the real dataset stores them
            np.save(root / "labels" / scene / f"{task}_{side}{n}.npy", seq[kept].astype(float))
        folder = root / "frames" / split / scene / str(recording)
        for camera in layout.CAMERAS:
            (folder / camera).mkdir(parents=True)
        hand = [[{t: int(seqs[t, s][i]) for t in vocab.TASKS} for s in sides] for i in kept]
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
    if out.is_relative_to(paths.cache_dir()):  # a link planted there is never written through
        paths.cache_folder(out.parent, "the folder of samples")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a file on the way, a read-only disk
        raise HandCamError(f"{out.parent}: expected a folder to write the sample in, found: "
                           f"{e.strerror}") from None  # fmt: skip
    remove_stale(out.parent)  # left by killed runs
    try:  # on an error or interrupt, run_tasks has waited for the running chunks
        with disk_errors("the built-in sample", out.parent), written(out, replace=False) as tmp:
            _write(tmp, stride, size, seed, workers, progress)
    except FileExistsError as error:  # another process finished the same folder first
        raise HandCamError(f"{out} already exists: remove it or choose another folder") from error
    return out


def _write(tmp: Path, stride: int, size: tuple[int, int], seed: int, workers, progress) -> None:
    """Draw every frame and write every file of the sample into `tmp`."""
    jobs = _plan(tmp, stride, size, seed)
    total = sum(3 * len(job[-1]) for job in jobs)
    if progress:
        progress(0, total)
    if workers == 1:
        done = 0
        for job in jobs:
            done += _render_chunk(job)
            if progress:
                progress(done, total)
    else:  # forkserver workers (see `workers`); each writes its own files into tmp
        pool = process_pool(workers, len(jobs), [__name__])
        run_tasks(pool, _render_chunk, [(job,) for job in jobs], total, progress)
    (tmp / "SAMPLE.txt").write_text(
        "HandCam built-in sample: synthetic pictures over the real HandCam label sequences\n"
        "(Chan et al., 'Recognition from Hand Cameras: A Revisit with Deep Learning',\n"
        "ECCV 2016). The labels are real, subsampled; the pictures are drawn by\n"
        "handclf_core.data.sample and show no real scene.\n"
        f"stride={stride} size={size[0]}x{size[1]} seed={seed} pngs={total}\n"
    )


def default_sample_dir(
    stride: int = DEFAULT_STRIDE, size: tuple[int, int] = DEFAULT_SIZE, seed: int = 0
) -> Path:
    """Where `ensure_sample` keeps the sample with these parameters, in the project cache."""
    name = f"handcam-sample-s{stride}-{size[0]}x{size[1]}-seed{seed}"
    return paths.cache_dir() / "sample" / name


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
