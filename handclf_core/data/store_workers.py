"""The frame store's worker processes: each decodes frames, or derives a variant's inputs,
and writes its rows straight into the new array at their offsets, so no pixels are pickled.

Processes, not threads: threads derived variants 1.1-1.4x slower here (Pillow releases the
GIL while resizing, but not in the Python around it). Each worker opens its input and its
output once, in `_init`.
"""

from __future__ import annotations

import os
import signal

import numpy as np
from numpy.lib.format import open_memmap

from handclf_core.data.images import decode_image, preprocess, to_base
from handclf_core.vocab import Hand
from handclf_core.workers import process_pool

_worker: dict = {}
_PRELOAD = (__name__, "handclf_core.data.dataset")


def pool(workers: int | None, tasks: int, **state):
    """A pool of worker processes, each holding `state`: `out` (the .npy to fill) and
    `tree` (decoding) or `base_npy`, `prep` and `right` (deriving)."""
    return process_pool(workers, tasks, _PRELOAD, initializer=_init, initargs=(state,))


def _init(state: dict) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    out = open_memmap(state["out"], mode="r")  # for its layout: row 0's offset, row size
    _worker.update(state, offset=out.offset, row_bytes=out[0].nbytes)
    _worker["fd"] = os.open(state["out"], os.O_WRONLY)
    if "base_npy" in state:
        _worker["base"] = np.load(state["base_npy"], mmap_mode="r")  # (N, 227, 404, 3)


def _write_rows(start: int, rows: np.ndarray) -> None:
    # os.pwrite, not a memmap: writing a fresh memmap page-faults on every 4 KB page,
    # measured here at ~4 ms per MB against ~0.3 ms for a write.
    data = memoryview(np.ascontiguousarray(rows)).cast("B")
    pos = _worker["offset"] + start * _worker["row_bytes"]
    while data:  # pwrite may write less than asked
        k = os.pwrite(_worker["fd"], data, pos)
        data, pos = data[k:], pos + k


def decode_chunk(start: int, files: list[str]) -> int:
    """Decode `files` into the rows from `start`: each reduced to the store's (227, 404, 3)."""
    tree = _worker["tree"]
    for i, file in enumerate(files):
        name = f"{tree.description}:{file}"
        data = tree.read(file)  # HandCamError naming the file when it cannot be read
        _write_rows(start + i, to_base(decode_image(data, name)))  # (227, 404, 3)
    return len(files)


def derive_chunk(lo: int, hi: int) -> int:
    """The model inputs of base rows lo..hi-1, right hands mirrored when the variant says."""
    prep, base, right = _worker["prep"], _worker["base"], _worker["right"]
    rows = np.empty((hi - lo, prep.size, prep.size, prep.channels), np.uint8)  # (chunk, s, s, C)
    for i in range(lo, hi):
        hand = Hand.RIGHT if right[i] else Hand.LEFT
        rows[i - lo] = preprocess(base[i], prep, hand=hand)
    _write_rows(lo, rows)
    return hi - lo
