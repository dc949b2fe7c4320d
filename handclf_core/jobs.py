"""Background training owned by the app: a queue, one worker thread, one training process.

Why a worker and not training inside the page: a Streamlit script run ends when the user
switches page or a second tab opens, and a model takes minutes. The app keeps one
`TrainingJobs` (a cached resource) and pages only submit and read. Jobs are keyed by their
run folder name (`run_path(ds.identity, config).name`), so asking twice for the same
configuration (another tab, a page switch, a double click) returns the same job and trains
once. Jobs run one at a time: the classroom machine has two CPU cores, and two trainings at
once would each run at half speed.

Why the training itself runs in a child process: Streamlit calls `keras.backend.clear_session()`
after every script run (every second while a page polls), which resets Keras's global state in
every thread: layer names, the mixed-precision policy. A model built in an app thread at that
moment fails ("the name conv2d is used 2 times"). The child also keeps TensorFlow's
Python-heavy training loop off the web server's GIL. It starts with the first job and then
serves every job, so TensorFlow is imported once. No Streamlit here: the tests drive it directly.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import multiprocessing
import os
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field

from .errors import HandCamError
from .runs import TrainConfig, read_run, run_path

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")
KEEP_FINISHED = 100  # finished jobs remembered for the page; older ones are forgotten
BATCH_EVENTS_PER_SECOND = 10  # the child sends at most this many batch events (small GPU models
# run hundreds of batches a second; a page redraws once a second)


@dataclass
class Job:
    """One training (or loading) of one configuration. The worker updates it under its lock;
    readers take `snapshot()` for a consistent copy (epoch list included)."""

    key: str  # the run folder's name: model-task-hash
    config: TrainConfig
    dataset: str = ""  # the dataset's identity
    status: str = "queued"  # queued, running, done, failed, cancelled
    stage: str = "waiting for the worker"  # what it is doing now, for the page
    prepare: dict | None = None  # the last "prepare" progress event (decoding, resizing)
    batch: dict | None = None  # the last "batch" progress event
    epochs: list[dict] = field(default_factory=list)  # every "epoch" event: live curves
    result: dict | None = None  # the stored run.json (with "path") once done
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
            if self.status == "queued":
                self._finish(status="cancelled", stage="cancelled before it started")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job finishes; False if `timeout` seconds passed first."""
        return self._done.wait(timeout)

    def _finish(self, **changes) -> None:  # caller holds the lock
        for name, value in changes.items():
            setattr(self, name, value)
        self.finished = time.time()
        self._done.set()

    def _record(self, event: dict) -> None:
        """A progress event of `train`, as the page shows it."""
        kind = event["event"]
        with self._lock:
            if kind == "prepare":
                self.stage, self.prepare = event["stage"], event
            elif kind == "batch":
                self.stage, self.batch = "training", event
            elif kind == "epoch":
                self.epochs.append(event)
            elif kind == "evaluate":
                self.stage = f"scoring the {event['split']} split"


def _serve(requests, events, cancel) -> None:
    """The training process: train each (dataset, config) received, reporting to `events`."""
    from .train import TrainingCancelled, train

    parent = os.getppid()  # the app, or the forkserver that dies with it
    last_batch = 0.0

    def progress(event: dict) -> None:
        nonlocal last_batch
        if cancel.is_set() or os.getppid() != parent:  # cancelled, or the app is gone
            raise TrainingCancelled("cancelled")
        if event["event"] == "batch" and event["batch"] < event["batches"]:
            if time.monotonic() - last_batch < 1 / BATCH_EVENTS_PER_SECOND:
                return
            last_batch = time.monotonic()
        events.put(("progress", event))

    while True:
        try:
            request = requests.get(timeout=5)
        except queue.Empty:
            if os.getppid() != parent:
                return
            continue
        if request is None:
            return
        try:
            run, cached = train(*request, progress=progress)
        except TrainingCancelled:
            events.put(("cancelled", None))
        except HandCamError as e:
            events.put(("failed", str(e)))
        except Exception as e:  # a bug, not the user's input: report it, serve the next job
            events.put(("crashed", (f"{type(e).__name__}: {e}", traceback.format_exc())))
        else:
            events.put(("done", (run, cached)))


class _Trainer:
    """The child process and its queues; started on first use, restarted if it died."""

    def __init__(self) -> None:
        self.process = None

    def run(self, job: Job, ds) -> tuple[str, object]:
        """Train `job` in the child; its progress goes into `job`. Returns (outcome, payload)."""
        if self.process is None or not self.process.is_alive():
            with job._lock:
                job.stage = "starting the training process (importing TensorFlow)"
            # forkserver, as in store.py: a fork of this process (TensorFlow's threads) can
            # deadlock, and spawn would run __main__ again, which Streamlit sets to the app.
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            if ctx.get_start_method() == "forkserver":
                ctx.set_forkserver_preload([__name__])
            self.requests, self.events, self.cancel = ctx.Queue(), ctx.Queue(), ctx.Event()
            args = (self.requests, self.events, self.cancel)
            # Not a daemon: training decodes frames in a process pool of its own.
            self.process = ctx.Process(target=_serve, args=args, name="handclf-training")
            self.process.start()
        self.cancel.clear()
        self.requests.put((ds, job.config))
        while True:
            if job._cancel.is_set():
                self.cancel.set()
            try:
                kind, payload = self.events.get(timeout=0.2)
            except queue.Empty:
                if not self.process.is_alive():
                    code = self.process.exitcode
                    return "crashed", (f"the training process died (exit code {code})", "")
                continue
            if kind != "progress":
                return kind, payload
            job._record(payload)

    def close(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.cancel.set()
            self.requests.put(None)
            self.process.join(10)
            if self.process.is_alive():
                self.process.terminate()


class TrainingJobs:
    """The app's training queue. One per process; jobs run one at a time, in a child process
    driven by a daemon worker thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}  # key -> latest job of that key, oldest first
        self._queue: queue.Queue[tuple[Job, object]] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._trainer = _Trainer()
        atexit.register(self.close)  # stop the child, or the interpreter waits for it at exit

    def submit(self, ds, config: TrainConfig) -> Job:
        """The job of this configuration on dataset `ds`.

        A stored run gives a finished job at once (cached=True); a job of the same key that
        is queued or running is returned as is (never trained twice); otherwise a new job
        is queued. A configuration that fails its checks gives a failed job with the reason.
        """
        try:
            path = run_path(ds.identity, config)
        except HandCamError as e:
            job = Job(key=f"{config.model}-invalid", config=config, dataset=ds.identity)
            with job._lock:
                job._finish(status="failed", stage="invalid configuration", error=str(e))
            return job
        with self._lock:
            job = self._jobs.get(path.name)
            if job is not None and job.active and not job._cancel.is_set():
                return job
            job = Job(key=path.name, config=config, dataset=ds.identity)
            try:
                result = read_run(path) if path.exists() else None
            except HandCamError:
                result = None  # half-deleted: train it again
            if result is not None:
                with job._lock:
                    job._finish(status="done", stage="loaded", result=result, cached=True)
            self._jobs.pop(path.name, None)  # re-insert: newest last
            self._jobs[path.name] = job
            self._forget_old()
            if job.active:
                self._queue.put((job, ds))
                if self._worker is None or not self._worker.is_alive():
                    self._worker = threading.Thread(
                        target=self._work, name="handclf-jobs", daemon=True
                    )
                    self._worker.start()
        return job

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
            with job._lock:
                if job.status != "queued":  # cancelled while it waited
                    continue
                job.status, job.stage, job.started = "running", "starting", time.time()
            try:
                kind, payload = self._trainer.run(job, ds)
            except Exception as e:  # the queues themselves failed: keep the worker alive
                kind, payload = "crashed", (f"{type(e).__name__}: {e}", traceback.format_exc())
            outcome = {"status": kind, "stage": kind}
            if kind == "done":
                outcome.update(result=payload[0], cached=payload[1])
            elif kind == "cancelled":
                outcome["stage"] = "cancelled; nothing was stored"
            elif kind == "failed":
                outcome["error"] = payload
            else:  # crashed
                log.error("training %s failed:\n%s", job.key, payload[1])
                outcome.update(status="failed", stage="failed", error=payload[0])
            with job._lock:
                job._finish(**outcome)
