"""The frame store's worker processes: each decodes frames, or derives a variant's inputs,
and writes its rows straight into the new array at their offsets, so no pixels are pickled.

Processes, not threads: threads derived variants 1.1-1.4x slower here (Pillow releases the
GIL while resizing, but not in the Python around it). Each worker opens its input and its
output once, in `_init`.
"""

from __future__ import annotations

import hashlib
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
    `tree`, `offset` and `row_bytes` (decoding: the file grows as rows are written) or
    `base_npy`, `prep` and `right` (deriving: the file is whole, its header says)."""
    return process_pool(workers, tasks, _PRELOAD, initializer=_init, initargs=(state,))


def _init(state: dict) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _worker.update(state)
    if "offset" not in state:  # a variant: its layout from its header, row 0's offset and size
        out = open_memmap(state["out"], mode="r")
        _worker.update(offset=out.offset, row_bytes=out[0].nbytes)
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


def decode_chunk(start: int, files: list[str]) -> tuple[int, int, str]:
    """Decode `files` into the rows from `start`, each reduced to the store's (227, 404, 3),
    and make them durable. Returns (start, end, the SHA-256 of the rows' bytes), for the
    parent to journal the chunk as done (`store_build`)."""
    tree, digest = _worker["tree"], hashlib.sha256()
    for i, file in enumerate(files):
        name = f"{tree.description}:{file}"
        data = tree.read(file)  # HandCamError naming the file when it cannot be read
        row = np.ascontiguousarray(to_base(decode_image(data, name)))  # (227, 404, 3)
        _write_rows(start + i, row)
        digest.update(row)
    getattr(os, "fdatasync", os.fsync)(_worker["fd"])  # on disk before it is journaled
    return start, start + len(files), digest.hexdigest()


def derive_chunk(lo: int, hi: int) -> int:
    """The model inputs of base rows lo..hi-1, right hands mirrored when the variant says."""
    prep, base, right = _worker["prep"], _worker["base"], _worker["right"]
    rows = np.empty((hi - lo, prep.size, prep.size, prep.channels), np.uint8)  # (chunk, s, s, C)
    for i in range(lo, hi):
        hand = Hand.RIGHT if right[i] else Hand.LEFT
        rows[i - lo] = preprocess(base[i], prep, hand=hand)
    _write_rows(lo, rows)
    return hi - lo
