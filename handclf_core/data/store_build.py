"""The frame store's build: chunks of frames decoded into a partial folder, each one kept only
once it is durable and journaled with its digest, so that an interrupted build resumes.

Decoding the 27,768 real frames takes ten minutes on a quiet machine and an hour on a busy
one: an interruption (Ctrl-C, a cancel, a kill, a full disk, a bad frame) must not start it
again from frame 1. The build fills a partial folder beside the stores:

    <cache>/stores/.partial-<where>-<cameras>-404x227-v1/
        plan.json     frame count, chunk size, format version, digest of the file list
        base.npy      the store's array: its header, then rows as chunks are decoded
        journal.txt   one line per chunk done: "<lo> <hi> <sources sha256> <rows sha256>"

`<where>` is a digest of the dataset's location, not its identity (which names the final
store and changes when a user fixes one frame): the chunks of frames left as they were
are kept. A chunk is done when its worker has written rows lo..hi-1 and made them durable
(fdatasync), then this process has appended its line and fsynced the journal. The line
holds the digest of the chunk's source files' fingerprints (name, size, modification time
or CRC) and the SHA-256 of its rows' bytes. A later build trusts a chunk only when its
line is whole, its sources are unchanged and its rows hash as recorded; every other chunk
is decoded again. A partial folder of another plan is discarded.

When every chunk is done, frames.csv and meta.json are written, plan and journal removed,
and the folder renamed to the store's final name: a final name still always means
complete contents.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.lib.format import write_array_header_1_0

from handclf_core.atomic import check_free_space, disk_errors, temp_path, write_file
from handclf_core.data import store_workers
from handclf_core.data.images import BASE_SIZE, decode_image, to_base
from handclf_core.data.trees import read_file
from handclf_core.errors import HandCamError
from handclf_core.workers import cpu_count, run_tasks

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from handclf_core.data.dataset import HandCamDataset

ROW_SHAPE = (BASE_SIZE[1], BASE_SIZE[0], 3)  # (227, 404, 3) uint8: one stored frame
ROW_BYTES = ROW_SHAPE[0] * ROW_SHAPE[1] * ROW_SHAPE[2]
PLAN, JOURNAL = "plan.json", "journal.txt"
MAX_JOURNAL_BYTES = 64 * 2**20  # each under 1 MB for the real data; larger: not trusted
_LINE = re.compile(r"(\d+) (\d+) ([0-9a-f]{64}) ([0-9a-f]{64})")


@dataclass(frozen=True)
class BuildPlan:
    """What building a frame store takes from here, for a page or the command line to say."""

    frames: int  # frames the store holds
    decoded: int  # of them, decoded already by an interrupted build (its journal)
    bytes: int  # what the store's base.npy takes on disk, whole
    to_write: int  # bytes still to write
    free: int  # free bytes on the cache's disk

    @property
    def to_decode(self) -> int:
        return self.frames - self.decoded


def _size_text(n: int) -> str:
    """Bytes as people read them: "7.64 GB", "2.2 MB"."""
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


class PartialStore:
    """The partial folder of one store's build: its plan, base.npy and journal.

    Args:
        path: the folder.
        files: the frame files, in store order.
        fingerprints: one line per file that changes when the file does (the tree's).
        chunk: frames per chunk.
        version: the store's format version.
    """

    def __init__(self, path: Path, files: list[str], fingerprints: list[str], chunk: int,
                 version: int):  # fmt: skip
        self.path, self.files, self.n = Path(path), list(files), len(files)
        self.base = self.path / "base.npy"
        self.ranges = [(lo, min(lo + chunk, self.n)) for lo in range(0, self.n, chunk)]
        self.sources = {lo: _sha256("\n".join(fingerprints[lo:hi])) for lo, hi in self.ranges}
        self.plan = {"format_version": version, "frames": self.n, "chunk": chunk,
                     "row_shape": list(ROW_SHAPE),
                     "files_sha256": _sha256("\n".join(files))}  # fmt: skip
        buf = io.BytesIO()  # the .npy header numpy's open_memmap would write
        write_array_header_1_0(buf, {"descr": "|u1", "fortran_order": False,
                                     "shape": (self.n, *ROW_SHAPE)})  # fmt: skip
        self.header = buf.getvalue()
        self.kept = 0  # frames whose chunks are done: verified, or decoded by this build

    def recorded(self) -> dict[int, str]:
        """The chunks the journal says are done and whose sources are unchanged, as {lo: the
        SHA-256 of its rows}. Nothing is hashed but the fingerprints: cheap."""
        if self._plan_found() != self.plan:
            return {}
        try:
            text = read_file(self.path / JOURNAL, MAX_JOURNAL_BYTES).decode("ascii", "replace")
        except (OSError, HandCamError):  # a pipe or a device there: no chunk trusted
            return {}
        ends, done = dict(self.ranges), {}
        for line in text.split("\n")[:-1]:  # after the last newline: a torn line, or none
            m = _LINE.fullmatch(line)
            if m and ends.get(int(m[1])) == int(m[2]) and self.sources[int(m[1])] == m[3]:
                done[int(m[1])] = m[4]  # a later line of the same rows wins
        return done

    def decode_seconds(self, tree, count: int) -> float:
        """The median seconds to decode one of the first `count` frames still to decode."""
        done, seconds = self.recorded(), []
        files = [f for lo, hi in self.ranges if lo not in done for f in self.files[lo:hi]]
        for file in files[:count]:
            started = time.perf_counter()
            to_base(decode_image(tree.read(file), f"{tree.description}:{file}"))
            seconds.append(time.perf_counter() - started)
        return float(np.median(seconds)) if seconds else 0.0

    def build_plan(self, decoded: int) -> BuildPlan:
        whole = len(self.header) + self.n * ROW_BYTES
        folder = next(p for p in (self.path, *self.path.parents) if p.is_dir())
        return BuildPlan(self.n, decoded, whole, whole - decoded * ROW_BYTES,
                         shutil.disk_usage(folder).free)  # fmt: skip

    def plan_from_journal(self) -> BuildPlan:
        """The plan from the journal as it is (no chunk verified): cheap."""
        ends = dict(self.ranges)
        return self.build_plan(sum(ends[lo] - lo for lo in self.recorded()))

    def start(self) -> dict[int, str]:
        """Make the folder ready to fill (the caller holds the build's lock): resumed when its
        plan is this one, else made afresh. The chunks done, verified: {lo: rows' SHA-256}."""
        if self._plan_found() == self.plan and _head(self.base, len(self.header)) == self.header:
            done = self._verified(self.recorded())
            self._end_torn_line()
        else:
            self._create()
            done = {}
        self.kept = sum(hi - lo for lo, hi in self.ranges if lo in done)
        return done

    def record(self, result: tuple[int, int, str]) -> int:
        """Journal a chunk a worker made durable, (lo, hi, rows' SHA-256); its frames."""
        lo, hi, digest = result
        self._append(f"{lo} {hi} {self.sources[lo]} {digest}\n".encode())  # torn: ignored
        self.kept += hi - lo
        return hi - lo

    def kept_text(self) -> str:
        """What a failed build keeps, and what finishing it needs."""
        left = (self.n - self.kept) * ROW_BYTES
        return (f"{self.kept:,} of {self.n:,} frames are decoded and kept, and finishing needs "
                f"about {_size_text(left)} more: free some space and run it again to resume "
                "(or set HANDCLF_CACHE to another disk, to start afresh there)")  # fmt: skip

    def publish(self, final: Path, frames: pd.DataFrame, meta: dict) -> None:
        """Every chunk done: frames.csv and meta.json written, the folder renamed `final`."""
        _fsync(self.base)  # each chunk was; the file's size and header once more
        frames.to_csv(self.path / "frames.csv", index=False)
        (self.path / "meta.json").write_text(json.dumps(meta, indent=2))
        for name in ("frames.csv", "meta.json"):
            _fsync(self.path / name)
        for name in (JOURNAL, PLAN):
            (self.path / name).unlink(missing_ok=True)
        _fsync(self.path)
        old = None
        if os.path.lexists(final):  # a damaged store (open_store refused it) is replaced
            old = temp_path(final)  # killed before it is removed: a stale temporary
            final.rename(old)
        os.replace(self.path, final)
        _fsync(final.parent)
        if old is not None:
            shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()

    def _plan_found(self) -> dict | None:
        try:
            return json.loads(read_file(self.path / PLAN, MAX_JOURNAL_BYTES))
        except (OSError, ValueError, HandCamError):
            return None

    def _create(self) -> None:
        if self.path.is_dir() and not self.path.is_symlink():
            shutil.rmtree(self.path)  # another plan's, or one with no plan: not trusted
        elif os.path.lexists(self.path):
            self.path.unlink()
        self.path.mkdir(parents=True)
        with open(self.base, "wb") as f:  # rows follow as chunks are done: not preallocated
            f.write(self.header)
        (self.path / JOURNAL).touch()
        write_file(self.path / PLAN, json.dumps(self.plan))  # last: no plan, no trust
        _fsync(self.path)

    def _verified(self, recorded: dict[int, str]) -> dict[int, str]:
        """The recorded chunks whose rows hash as the journal says (in threads: hashlib and
        pread release the GIL)."""
        ends = dict(self.ranges)
        fd = os.open(self.base, os.O_RDONLY)
        try:

            def intact(lo: int) -> bool:
                return _rows_sha256(fd, len(self.header), lo, ends[lo]) == recorded[lo]

            with ThreadPoolExecutor(max(1, min(cpu_count(), 8))) as threads:
                good = list(threads.map(intact, recorded))
        finally:
            os.close(fd)
        return {lo: d for (lo, d), ok in zip(recorded.items(), good, strict=True) if ok}

    def _end_torn_line(self) -> None:
        """A torn last line gets its newline, so the next line is read whole."""
        journal = self.path / JOURNAL
        if journal.is_file() and journal.stat().st_size and _tail(journal) != b"\n":
            self._append(b"\n")

    def _append(self, data: bytes) -> None:
        with open(self.path / JOURNAL, "ab") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def build(partial: PartialStore, final: Path, ds: HandCamDataset, frames: pd.DataFrame,
          cameras: tuple[str, ...], *, workers: int | None,
          progress: Callable[[int, int], None] | None,
          notice: Callable[[BuildPlan], None] | None) -> None:  # fmt: skip
    """Decode what `partial` lacks of the store of `frames` (of `cameras` of `ds`) and publish
    it as `final` (the caller holds the build's lock). `notice(plan)` is told what the build
    takes before anything is decoded; `progress(done, total)` counts the frames done,
    those of earlier builds included."""
    started, n = time.perf_counter(), partial.n
    if n == 0:
        raise HandCamError(f"{ds.description}: expected frames of {', '.join(cameras)}, found none")
    with disk_errors("the frame store", final.parent, kept=partial.kept_text):
        done = partial.start()
        plan = partial.build_plan(partial.kept)
        what = "the rest of the frame store" if plan.decoded else "the frame store"
        check_free_space(final.parent, plan.to_write, what)
        if notice:
            notice(plan)
        if progress and plan.decoded:
            progress(plan.decoded, n)  # a bar starts where the last build stopped
        todo = [(lo, partial.files[lo:hi]) for lo, hi in partial.ranges if lo not in done]
        if todo:
            pool = store_workers.pool(workers, len(todo), out=partial.base, tree=ds.frames_tree,
                                      offset=len(partial.header), row_bytes=ROW_BYTES)  # fmt: skip
            kept = "the chunks decoded so far are kept: run it again to resume"
            run_tasks(pool, store_workers.decode_chunk, todo, n, progress, done=plan.decoded,
                      finished=partial.record, kept=kept)  # fmt: skip
        meta = {"identity": ds.identity, "dataset": ds.description, "cameras": list(cameras),
                "base_size": list(BASE_SIZE), "frames": n,
                "format_version": partial.plan["format_version"],
                "seconds": round(time.perf_counter() - started, 3),
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}  # fmt: skip
        partial.publish(final, frames, meta)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _rows_sha256(fd: int, offset: int, lo: int, hi: int) -> str | None:
    """The SHA-256 of rows lo..hi-1 of base.npy; None when the file ends before them."""
    digest, pos, left = hashlib.sha256(), offset + lo * ROW_BYTES, (hi - lo) * ROW_BYTES
    while left:
        block = os.pread(fd, min(left, 2**22), pos)
        if not block:
            return None
        digest.update(block)
        pos, left = pos + len(block), left - len(block)
    return digest.hexdigest()


def _head(path: Path, size: int) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(size)
    except OSError:
        return b""


def _tail(path: Path) -> bytes:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1)


def _fsync(path: Path) -> None:
    """Make a file's data, or a folder's entries, durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
