"""The job board: every long job of every app server on one cache, as records on disk.

Long work (a training, the experiments, the frame store's build) belongs to the server, not
to the browser tab that asked for it. Each server's queue (`jobs.TrainingJobs`) writes its
jobs here as they go, and every page of every tab reads them here: a reload, a second tab,
a second browser or a second server on the same cache sees the same jobs, their progress,
estimate and elapsed time, and can cancel them.

    <cache>/jobs/<id>.json          a job's record (`JobRecord`), rewritten whole as it goes
    <cache>/jobs/<id>.cancel        a request to cancel it, from any process
    <cache>/jobs/groups/<gid>.json  the experiments pressed together (`Group`)

    <cache>/jobs/servers/<host>-<pid>  touched every HEARTBEAT seconds by a server with work

Only the server that runs a job writes its record, under its host and pid. A record that
says queued or running whose server is gone (its process dead, or on another host silent
for STALE_SECONDS) is read as failed, `lost`, in every tab: never running forever. Records
are read like any stored file: one that fails its checks is left out.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from handclf_core import records
from handclf_core.atomic import pid_alive, write_file
from handclf_core.data.trees import read_file
from handclf_core.errors import HandCamError
from handclf_core.paths import cache_dir, cache_folder, lock_file
from handclf_core.runs.config import TrainConfig
from handclf_core.training.progress import Batch, Epoch, Step
from handclf_core.vocab import JobKind, Stage

STALE_SECONDS = 30.0  # a server on another host silent this long: its jobs are lost
HEARTBEAT = 1.0  # seconds between two signs of life (and looks for cancels) of a busy server
KEEP_FINISHED = 100  # finished records kept on the board; older ones are removed
MAX_RECORD_BYTES = 4 * 2**20  # a record larger than this is not read
GROUPS_KEPT = 20  # experiments' groups kept on the board


class Status(StrEnum):
    """Where a job is in its life (a page shows each in its own box, not as text)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = (Status.QUEUED, Status.RUNNING)


@dataclass(frozen=True)
class JobRecord:
    """A job as the board keeps it."""

    id: str  # a training: its run folder's name; a store build: "store-<identity>-<variant>"
    kind: JobKind
    dataset: str  # the dataset's identity
    config: TrainConfig | None = None  # a training's configuration (resolved)
    variant: str = ""  # a store build: the inputs derived (`Preprocessing.key`)
    status: Status = Status.QUEUED
    step: Step = Step(Stage.WAITING)
    batch: Batch | None = None  # the last training batch's figures
    epochs: tuple[Epoch, ...] = ()  # every epoch's figures: live curves
    estimate: float | None = None  # seconds expected, said when it was submitted
    stage_left: float | None = None  # seconds left of the stage it is in, at its own pace
    submitted: float = 0.0  # time.time()
    started: float | None = None
    finished: float | None = None
    result: str | None = None  # a training's run name, once stored
    cached: bool = False  # loaded or opened, nothing computed
    error: str | None = None  # what went wrong (the core's own words)
    host: str = ""  # the server that runs it
    pid: int = 0
    queue: str = ""  # ... and its queue (a process may hold two: tests)
    lost: bool = field(default=False, metadata={"stored": False})  # its server is gone

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def elapsed(self, now: float | None = None) -> float:
        """Seconds since it started (to its end, once ended); 0 while queued."""
        if self.started is None:
            return 0.0
        return (self.finished or now or time.time()) - self.started


@dataclass(frozen=True)
class Group:
    """Jobs pressed together: the assignment's experiments."""

    id: str
    jobs: tuple[str, ...]  # job ids, in the order they were queued
    submitted: float
    host: str = ""
    pid: int = 0


def store_job_id(identity: str, prep) -> str:
    """The id of the job building the store of a dataset and deriving `prep`'s inputs."""
    return f"store-{identity}-{prep.key}"


def folder() -> Path:
    return cache_dir() / "jobs"


def board_folder(name: str = "") -> Path:
    """The board's folder (or its folder `name`), made and checked before it is written:
    HandCamError in one line when a file, a link or a read-only folder is there."""
    what = {
        "": "the job board's folder",
        "groups": "the job board's folder of experiments",
        "servers": "the job board's folder of servers",
    }
    return cache_folder(folder() / name if name else folder(), what[name])


def machine_lock() -> Path:
    """The lock one job at a time on this machine holds (across servers), checked."""
    return lock_file(folder() / ".machine.lock", "the job board's folder")


def server() -> tuple[str, int]:
    """Who writes: this host and process."""
    return socket.gethostname(), os.getpid()


def _path(job_id: str, suffix: str) -> Path:
    if not job_id or "/" in job_id or job_id.startswith("."):
        raise HandCamError(f"job id: expected a plain name, found {job_id!r}")
    return folder() / f"{job_id}{suffix}"


def write(record: JobRecord) -> None:
    """Publish `record` whole (its server's own, with a fresh heartbeat)."""
    host, pid = server()
    data = records.to_json(dataclasses.replace(record, host=host, pid=pid))
    board_folder()
    write_file(_path(record.id, ".json"), json.dumps(data))


_read_before: dict[Path, tuple[tuple, JobRecord]] = {}  # a record parsed once per version


def _read(path: Path) -> JobRecord | None:
    try:
        st = path.stat()
        if st.st_size > MAX_RECORD_BYTES:
            return None
        version = (st.st_mtime_ns, st.st_size, st.st_ino)
        known = _read_before.get(path)
        if known is None or known[0] != version:
            data = json.loads(read_file(path, MAX_RECORD_BYTES))  # no pipe, no device
            known = version, records.from_json(JobRecord, data, str(path))
            _read_before[path] = known
        return _checked(known[1])
    except (OSError, ValueError, HandCamError):
        return None  # removed meanwhile, damaged: not a job anyone can follow


def beat() -> None:
    """This server is alive and has work (its worker calls this every HEARTBEAT seconds)."""
    host, pid = server()
    beat = board_folder("servers") / f"{host}-{pid}"
    if beat.is_file() and not beat.is_symlink():
        os.utime(beat, follow_symlinks=False)
    else:  # made, or what is there (a link, never followed; a folder) replaced
        write_file(beat, "")


def _server_gone(host: str, pid: int) -> bool:
    here, _ = server()
    if host == here:
        return not pid_alive(pid)
    try:
        beat = (folder() / "servers" / f"{host}-{pid}").stat().st_mtime
    except OSError:
        return True
    return time.time() - beat > STALE_SECONDS


def _checked(record: JobRecord) -> JobRecord:
    """`record` as it stands: an active one whose server is gone reads as failed, lost."""
    if not record.active:
        return record
    if _cancel_requested(record.id) and record.status == Status.QUEUED:
        return dataclasses.replace(record, status=Status.CANCELLED, step=Step(Stage.CANCELLED))
    if _server_gone(record.host, record.pid):
        return dataclasses.replace(record, status=Status.FAILED, step=Step(Stage.FAILED), lost=True)
    return record


def read(job_id: str) -> JobRecord | None:
    """The job `job_id` as the board has it, or None."""
    try:
        return _read(_path(job_id, ".json"))
    except HandCamError:
        return None


def jobs() -> list[JobRecord]:
    """Every job on the board, oldest submitted first."""
    found = []
    if folder().is_dir():
        for path in folder().glob("*.json"):
            if (record := _read(path)) is not None:
                found.append(record)
    return sorted(found, key=lambda r: r.submitted)


def active() -> list[JobRecord]:
    return [r for r in jobs() if r.active]


def cancel(job_id: str) -> None:
    """Ask the server that runs `job_id` to cancel it (any process may ask)."""
    board_folder()
    write_file(_path(job_id, ".cancel"), "")  # a link or a folder there: replaced


def _cancel_requested(job_id: str) -> bool:
    try:
        return _path(job_id, ".cancel").is_file()  # a folder there is no request
    except HandCamError:
        return False


def cancel_requested(job_id: str) -> bool:
    """Whether someone asked to cancel `job_id` (its server looks while it runs)."""
    return _cancel_requested(job_id)


def clear_cancel(job_id: str) -> None:
    """Forget a request to cancel `job_id`: a new job of that id starts afresh."""
    path = _path(job_id, ".cancel")
    if path.is_symlink() or path.is_file():  # a folder there is no request: left as it is
        path.unlink(missing_ok=True)


def forget_old() -> None:
    """Remove the oldest finished records beyond KEEP_FINISHED (and their requests)."""
    ended = [r for r in jobs() if not r.active]
    for r in ended[: max(0, len(ended) - KEEP_FINISHED)]:
        for suffix in (".json", ".cancel"):
            _path(r.id, suffix).unlink(missing_ok=True)


def write_group(group: Group) -> None:
    """Publish the experiments pressed together (the last GROUPS_KEPT are kept)."""
    data = records.to_json(group)
    groups = board_folder("groups")
    write_file(groups / f"{_path(group.id, '').name}.json", json.dumps(data))
    older = sorted((folder() / "groups").glob("*.json"), key=lambda p: p.stat().st_mtime)
    for path in older[:-GROUPS_KEPT]:
        path.unlink(missing_ok=True)


def latest_group() -> Group | None:
    """The experiments pressed last, on any server."""
    groups = folder() / "groups"
    found = []
    for path in groups.glob("*.json") if groups.is_dir() else ():
        try:
            if path.stat().st_size <= MAX_RECORD_BYTES:
                data = json.loads(read_file(path, MAX_RECORD_BYTES))
                found.append(records.from_json(Group, data, str(path)))
        except (OSError, ValueError, HandCamError):
            continue
    return max(found, key=lambda g: g.submitted, default=None)


def shown(dataset: str, config: TrainConfig) -> JobRecord | None:
    """The job a page shows for `config`'s model on the dataset of identity `dataset`: an
    active training of that model and task, whatever its settings (the user may have
    changed them meanwhile, or another tab started it); else the latest record of exactly
    this configuration."""
    from handclf_core.runs.folders import run_path

    mine = (config.model, config.task)
    for r in reversed(jobs()):
        if r.active and r.dataset == dataset and r.config is not None:
            if (r.config.model, r.config.task) == mine:
                return r
    try:
        return read(run_path(dataset, config).name)
    except HandCamError:
        return None
