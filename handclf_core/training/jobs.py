"""Background training owned by the app: a queue of jobs and one worker thread.

Why a worker and not training inside the page: a Streamlit script run ends when the user
switches page or a second tab opens, and a model takes minutes. The app keeps one
`TrainingJobs` (a cached resource) and pages only submit and read. Jobs are keyed by their
run folder name (`run_path(ds.identity, config).name`), so asking twice for the same
configuration (another tab, a page switch, a double click) returns the same job and trains
once. Jobs run one at a time: the classroom machine has two CPU cores, and two trainings at
once would each run at half speed. The training itself runs in a child process
(`trainer`). No Streamlit here: the tests drive it directly.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from enum import StrEnum

from handclf_core.errors import HandCamError
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.device import Device
from handclf_core.runs.folders import run_path, saved_run
from handclf_core.runs.record import Run
from handclf_core.training.progress import Batch, Epoch, Event, Step
from handclf_core.training.splits import effective
from handclf_core.training.trainer import Trainer
from handclf_core.vocab import Stage

log = logging.getLogger(__name__)


class Status(StrEnum):
    """Where a job is in its life (the page shows each in its own box, not as text)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = (Status.QUEUED, Status.RUNNING)
KEEP_FINISHED = 100  # finished jobs remembered for the page; older ones are forgotten


@dataclass
class Job:
    """One training (or loading) of one configuration. The worker updates it under its lock;
    readers take `snapshot()` for a consistent copy (epoch list included)."""

    key: str  # the run folder's name: model-task-hash
    config: TrainConfig
    dataset: str = ""  # the dataset's identity
    status: Status = Status.QUEUED
    step: Step = Step(Stage.WAITING)  # what it is doing now
    batch: Batch | None = None  # the last training batch's figures
    epochs: list[Epoch] = field(default_factory=list)  # every epoch's figures: live curves
    result: Run | None = None  # the stored run once done
    cached: bool = False  # True: loaded from the cache, not trained
    error: str | None = None  # what went wrong, when failed
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    # Shared by snapshots (dataclasses.replace passes them on): a snapshot can cancel too.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

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
            if self.status == Status.QUEUED:
                self._finish(status=Status.CANCELLED, step=Step(Stage.CANCELLED))

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job finishes; False if `timeout` seconds passed first."""
        return self._done.wait(timeout)

    def _finish(self, **changes) -> None:  # caller holds the lock
        for name, value in changes.items():
            setattr(self, name, value)
        self.finished = time.time()
        self._done.set()

    def _record(self, event: Event) -> None:
        """A progress event of `train`, as the page shows it."""
        with self._lock:
            if isinstance(event, Step):
                self.step = event
            elif isinstance(event, Batch):
                self.step, self.batch = Step(Stage.TRAINING), event
            elif isinstance(event, Epoch):
                self.epochs.append(event)


class TrainingJobs:
    """The app's training queue. One per process; jobs run one at a time, in a child process
    driven by a daemon worker thread."""

    def __init__(self, trainer_idle: float | None = None) -> None:
        """`trainer_idle`: seconds the training process waits for a job before it leaves
        (`trainer.TRAINING_IDLE` by default; 0: never)."""
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}  # key -> latest job of that key, oldest first
        self._queue: queue.Queue[tuple[Job, object]] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._trainer = Trainer() if trainer_idle is None else Trainer(trainer_idle)
        self._probed = False  # device() asked the worker to start the training process
        atexit.register(self.close)  # stop the child, or the interpreter waits for it at exit

    def submit(self, ds, config: TrainConfig) -> Job:
        """The job of this configuration on dataset `ds`.

        A stored run gives a finished job at once (cached=True); a job of the same key that
        is queued or running is returned as is (never trained twice); otherwise a new job
        is queued. A configuration that fails its checks gives a failed job with the reason.
        """
        try:
            # the child trains what the key names; a limit that limits nothing is no limit
            config = effective(config.resolved(), ds.hand_frames())
            path = run_path(ds.identity, config)
        except HandCamError as e:
            job = Job(key=f"{config.model}-invalid", config=config, dataset=ds.identity)
            with job._lock:
                job._finish(status=Status.FAILED, step=Step(Stage.FAILED), error=str(e))
            return job
        with self._lock:
            job = self._jobs.get(path.name)
            if job is not None and job.active and not job._cancel.is_set():
                return job
            job = Job(key=path.name, config=config, dataset=ds.identity)
            result = saved_run(ds.identity, config)  # a damaged one is trained again
            if result is not None:
                with job._lock:
                    job._finish(status=Status.DONE, step=Step(Stage.LOADED), result=result,
                                cached=True)  # fmt: skip
            self._jobs.pop(path.name, None)  # re-insert: newest last
            self._jobs[path.name] = job
            self._forget_old()
            if job.active:
                self._queue.put((job, ds))
                self._ensure_worker()
        return job

    def _ensure_worker(self) -> None:  # caller holds self._lock
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="handclf-jobs", daemon=True)
            self._worker.start()

    def device(self, timeout: float | None = None) -> Device | None:
        """What training runs on, as the training process found it; None if it has not said
        within `timeout` seconds. The first call starts that process (it loads TensorFlow,
        so the web process never has to) through the worker, which owns its events."""
        with self._lock:
            if not self._probed:
                self._probed = True
                self._queue.put((None, None))  # the worker starts the child before any job
                self._ensure_worker()
        self._trainer.known.wait(timeout)
        return self._trainer.device

    def shown(self, dataset: str, config: TrainConfig) -> Job | None:
        """The job a page shows for `config`'s model on the dataset of identity `dataset`: a
        queued or running job of that model and task, whatever its settings (the user may
        have changed them meanwhile); else the latest job of exactly this configuration."""
        mine = (dataset, config.model, config.task)
        for job in reversed(self.jobs()):
            if job.active and (job.dataset, job.config.model, job.config.task) == mine:
                return job
        try:
            return self.get(run_path(dataset, config).name)
        except HandCamError:
            return None

    def get(self, key: str) -> Job | None:
        """The latest job of a run key, or None."""
        with self._lock:
            return self._jobs.get(key)

    def jobs(self) -> list[Job]:
        """Every remembered job, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def close(self) -> None:
        """Cancel every job and stop the training process (at exit; tests)."""
        for job in self.jobs():
            job.cancel()
        self._trainer.close()

    def _forget_old(self) -> None:  # caller holds self._lock
        finished = [k for k, j in self._jobs.items() if not j.active]
        for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[key]

    def _work(self) -> None:
        while True:
            job, ds = self._queue.get()
            if job is None:  # device(): start the training process, learn its device
                try:
                    self._trainer.wait_device()
                except Exception:  # the child could not start: device() answers None
                    log.exception("the training process did not start")
                    self._trainer.known.set()
                continue
            with job._lock:
                if job.status != Status.QUEUED:  # cancelled while it waited
                    continue
                job.status, job.started = Status.RUNNING, time.time()
                job.step = Step(Stage.STARTING)
            try:
                kind, payload = self._trainer.run(job, ds)
            except Exception as e:  # the queues themselves failed: keep the worker alive
                kind, payload = "crashed", (f"{type(e).__name__}: {e}", traceback.format_exc())
            if kind == "done":
                outcome = {"status": Status.DONE, "step": Step(Stage.DONE), "result": payload[0],
                           "cached": payload[1]}  # fmt: skip
            elif kind == "cancelled":
                outcome = {"status": Status.CANCELLED, "step": Step(Stage.CANCELLED)}
            elif kind == "failed":
                outcome = {"status": Status.FAILED, "step": Step(Stage.FAILED), "error": payload}
            else:  # crashed
                log.error("training %s failed:\n%s", job.key, payload[1])
                outcome = {"status": Status.FAILED, "step": Step(Stage.FAILED),
                           "error": payload[0]}  # fmt: skip
            with job._lock:
                job._finish(**outcome)
