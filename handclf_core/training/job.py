"""One job of a server's queue (`jobs.TrainingJobs`): a training or a store build, as the
queue's worker updates it and publishes it on the job board (`board`)."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from handclf_core.data.images import Preprocessing
from handclf_core.errors import HandCamError
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.record import Run
from handclf_core.training import board
from handclf_core.training.board import ACTIVE, JobRecord, Status
from handclf_core.training.progress import Batch, Epoch, Event, Step
from handclf_core.vocab import JobKind, Stage

log = logging.getLogger(__name__)

PUBLISH_EVERY = 0.5  # seconds between two records of a job's progress on the board


@dataclass
class Job:
    """One job of this server's queue. The worker updates it under its lock and publishes
    it on the board; readers here take `snapshot()` for a consistent copy."""

    key: str  # the job's id on the board
    kind: JobKind
    dataset: str = ""  # the dataset's identity
    config: TrainConfig | None = None  # a training
    prep: Preprocessing | None = None  # a store build: the inputs to derive
    status: Status = Status.QUEUED
    step: Step = Step(Stage.WAITING)  # what it is doing now
    batch: Batch | None = None  # the last training batch's figures
    epochs: list[Epoch] = field(default_factory=list)  # every epoch's figures: live curves
    result: Run | None = None  # the stored run once done
    cached: bool = False  # True: loaded from the cache, nothing computed
    error: str | None = None  # what went wrong, when failed
    estimate: float | None = None  # seconds expected when submitted
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    stage_left: float | None = None  # seconds left of the current stage, at its own pace
    queue: str = ""  # the queue that runs it (`TrainingJobs.id`)
    remote: bool = False  # another queue's job, followed on the board only
    # Shared by snapshots (dataclasses.replace passes them on): a snapshot can cancel too.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)
    _published: list = field(default_factory=lambda: [0.0], repr=False, compare=False)
    _stage_start: tuple = field(default=(None, 0.0, 0), repr=False, compare=False)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def snapshot(self) -> Job:
        """A copy that later progress does not change."""
        with self._lock:
            return dataclasses.replace(self, epochs=list(self.epochs))

    def cancel(self) -> None:
        """Stop the job: a queued one at once, a running one within a batch or so."""
        self._cancel.set()
        with self._lock:
            if self.status != Status.QUEUED:
                return
            self._finish(status=Status.CANCELLED, step=Step(Stage.CANCELLED))
        self._ended()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job finishes; False if `timeout` seconds passed first."""
        return self._done.wait(timeout)

    def record(self) -> JobRecord:
        """The job as the board keeps it."""
        with self._lock:
            return JobRecord(
                id=self.key,
                kind=self.kind,
                dataset=self.dataset,
                config=self.config,
                variant=self.prep.key if self.prep else "",
                status=self.status,
                step=self.step,
                batch=self.batch,
                epochs=tuple(self.epochs),
                estimate=self.estimate,
                submitted=self.submitted,
                started=self.started,
                finished=self.finished,
                result=self.result.name if self.result else None,
                cached=self.cached,
                error=self.error,
                stage_left=self.stage_left,
                queue=self.queue,
            )

    def publish(self, force: bool = True) -> None:
        """Write the job on the board (at most every PUBLISH_EVERY s unless `force`)."""
        now = time.monotonic()
        if self.remote or (not force and now - self._published[0] < PUBLISH_EVERY):
            return
        self._published[0] = now
        try:
            board.write(self.record())
        except (OSError, HandCamError) as e:  # a full, read-only or damaged board: the
            # job goes on, unseen elsewhere (a damaged one fails it at the machine's lock)
            log.warning("job %s not written on the board: %s", self.key, e)

    def _finish(self, **changes) -> None:  # caller holds the lock, then calls _ended
        for name, value in changes.items():
            setattr(self, name, value)
        self.finished = time.time()

    def _ended(self, publish: bool = True) -> None:
        """Its end on the board first, then to those waiting for it."""
        if publish:
            self.publish()
        self._done.set()

    def _record(self, event: Event) -> None:
        """A progress event of the child, as the board shows it."""
        with self._lock:
            if isinstance(event, Step):
                changed = event.stage != self.step.stage
                self.step, self.stage_left = event, self._left(event)
            elif isinstance(event, Batch):
                changed = self.step.stage != Stage.TRAINING
                self.step, self.batch = Step(Stage.TRAINING), event
                self.stage_left = (
                    event.eta_seconds if event.eta_seconds == event.eta_seconds else None
                )
            else:
                changed = True
                self.epochs.append(event)
        self.publish(force=changed)

    def _left(self, step: Step) -> float | None:  # caller holds the lock
        """Seconds left of a counted stage (frames decoded, resized) at its pace so far."""
        stage, since, first = self._stage_start
        now = time.monotonic()
        if stage != step.stage:
            self._stage_start = (step.stage, now, step.done)
            return None
        if not step.total or step.done <= first or now <= since:
            return None
        return (step.total - step.done) * (now - since) / (step.done - first)


def remote(record: JobRecord) -> Job:
    """Another server's active job of the same key: followed, not run here."""
    return Job(
        key=record.id,
        kind=record.kind,
        dataset=record.dataset,
        config=record.config,
        status=record.status,
        submitted=record.submitted,
        remote=True,
    )


def outcome(kind: str, payload) -> dict:
    """The fields a job ends with, from the training process's last word about it
    (`trainer`: done, cancelled, failed or crashed) and its payload."""
    if kind == "done":
        return {
            "status": Status.DONE,
            "step": Step(Stage.DONE),
            "result": payload[0],
            "cached": payload[1],
        }
    if kind == "cancelled":
        return {"status": Status.CANCELLED, "step": Step(Stage.CANCELLED)}
    error = payload if kind == "failed" else payload[0]  # crashed: (message, traceback)
    return {"status": Status.FAILED, "step": Step(Stage.FAILED), "error": error}


def machine_lock(job: Job, tick: Callable[[], None]):
    """The board's lock, one job at a time on this machine (across servers), `tick()`
    called while it waits; None when the job was cancelled while it waited, or failed: a
    damaged board, said in one line."""
    from filelock import FileLock, Timeout

    try:
        lock = FileLock(board.machine_lock())
    except HandCamError as e:
        with job._lock:
            job._finish(status=Status.FAILED, step=Step(Stage.FAILED), error=str(e))
        job._ended()
        return None
    while True:
        try:
            lock.acquire(timeout=0.5)
            return lock
        except Timeout:
            tick()
            if job._cancel.is_set():
                return None
