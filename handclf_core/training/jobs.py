"""The server's long work: a queue of jobs (trainings, frame-store builds) and one worker.

Why a worker and not the page: a Streamlit script run ends when the user switches page,
reloads or closes the tab, and a model or a store takes minutes to an hour. The app keeps
one `TrainingJobs` per server (a cached resource); pages only submit, read and cancel, and
they read the job board (`board`), where this queue publishes every job as it goes, so any
tab of any server on the same cache follows the same jobs. Jobs are keyed by what they make
(a training by its run folder's name, `run_path(ds.identity, config).name`; a store build by
its dataset and variant), so asking twice (another tab, a page switch, a double click, a
second server) returns the job already queued or running: nothing is done twice. One job
at a time on the machine (a lock on the board, across servers): the classroom machine has
two cores, and two trainings at once would each run at half speed. The work itself runs in
a child process (`trainer`). No Streamlit here: the tests drive it directly.
"""

from __future__ import annotations

import atexit
import logging
import queue
import secrets
import threading
import time
import traceback

from handclf_core.data.images import Preprocessing
from handclf_core.errors import HandCamError
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.device import Device
from handclf_core.runs.folders import run_path, saved_run
from handclf_core.runs.record import Run
from handclf_core.training import board
from handclf_core.training.board import Group, Status, store_job_id
from handclf_core.training.job import Job, machine_lock, outcome, remote
from handclf_core.training.progress import Step
from handclf_core.training.splits import effective
from handclf_core.training.trainer import Trainer
from handclf_core.vocab import JobKind, Stage

log = logging.getLogger(__name__)

__all__ = ["Job", "Status", "TrainingJobs", "store_job_id"]

# Seconds before device() starts the training process again when it stopped before saying
# its device (killed while it started); one that cannot start is not restarted every poll.
PROBE_AGAIN = 5.0


class TrainingJobs:
    """This server's queue. One per process; jobs run one at a time, in a child process
    driven by a daemon worker thread."""

    def __init__(self, trainer_idle: float | None = None) -> None:
        """`trainer_idle`: seconds the training process waits for a job before it leaves
        (`trainer.TRAINING_IDLE` by default; 0: never)."""
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}  # key -> latest job of that key, oldest first
        self._queue: queue.Queue[tuple[Job | None, object]] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._trainer = Trainer() if trainer_idle is None else Trainer(trainer_idle)
        self._probed: float | None = None  # when device() last asked the worker to start
        # the training process (time.monotonic()); None: never
        self._ticked = 0.0
        self.id = secrets.token_hex(6)  # this queue's records on the board
        atexit.register(self.close)  # stop the child, or the interpreter waits for it at exit

    @property
    def trainer_running(self) -> bool:
        """Whether the training process is up (a job sent now need not wait for it)."""
        p = self._trainer.process
        return p is not None and p.is_alive()

    @property
    def trainer_pid(self) -> int | None:
        p = self._trainer.process
        return p.pid if p is not None and p.is_alive() else None

    def submit(self, ds, config: TrainConfig, estimate: float | None = None) -> Job:
        """The job of this configuration on dataset `ds`.

        A stored run gives a finished job at once (cached=True); a job of the same key that
        is queued or running, here or on another server, is returned as is (never trained
        twice); otherwise a new job is queued. A configuration that fails its checks gives
        a failed job with the reason.
        """
        try:
            # the child trains what the key names; a limit that limits nothing is no limit
            config = effective(config.resolved(), ds.hand_frames())
            key = run_path(ds.identity, config).name
        except HandCamError as e:
            job = Job(
                key=f"{config.model}-invalid",
                kind=JobKind.TRAINING,
                config=config,
                dataset=ds.identity,
            )
            with job._lock:
                job._finish(status=Status.FAILED, step=Step(Stage.FAILED), error=str(e))
            job._ended(publish=False)  # no key: nothing on the board
            return job
        job = Job(
            key=key, kind=JobKind.TRAINING, config=config, dataset=ds.identity, estimate=estimate
        )
        return self._add(job, ds, lambda: saved_run(ds.identity, config))

    def submit_store(self, ds, prep: Preprocessing, estimate: float | None = None) -> Job:
        """The job building the frame store of `ds` and deriving the inputs of `prep`; done
        at once when both are kept."""
        from handclf_core.data.store import open_store

        job = Job(
            key=store_job_id(ds.identity, prep),
            kind=JobKind.STORE,
            prep=prep,
            dataset=ds.identity,
            estimate=estimate,
        )

        def kept():
            store = open_store(ds)
            return store is not None and store.variant_path(prep).is_file()

        return self._add(job, ds, kept)

    def submit_group(self, ds, configs, estimates=None) -> Group:
        """The experiments: every configuration queued (stored ones done at once), and
        the group that names them published, so any tab follows them."""
        estimates = estimates or [None] * len(configs)
        keys = [self.submit(ds, c, e).key for c, e in zip(configs, estimates, strict=True)]
        host, pid = board.server()
        group = Group(
            id=f"experiments-{int(time.time())}-{secrets.token_hex(3)}",
            jobs=tuple(keys),
            submitted=time.time(),
            host=host,
            pid=pid,
        )
        try:
            board.write_group(group)
        except (OSError, HandCamError) as e:  # the jobs run all the same, unseen as a group
            log.warning("the experiments' group not written on the board: %s", e)
        return group

    def _add(self, job: Job, ds, kept) -> Job:
        job.queue = self.id
        with self._lock:
            mine = self._jobs.get(job.key)
            if mine is not None and mine.active and not mine._cancel.is_set():
                return mine
            theirs = board.read(job.key)
            if theirs is not None and theirs.active and theirs.queue != self.id:
                return remote(theirs)
            board.clear_cancel(job.key)
            done = kept()
            if done:
                result = done if isinstance(done, Run) else None
                with job._lock:
                    job._finish(
                        status=Status.DONE, step=Step(Stage.LOADED), result=result, cached=True
                    )
                job._ended(publish=False)  # published below
            self._jobs.pop(job.key, None)  # re-insert: newest last
            self._jobs[job.key] = job
            self._forget_old()
            # On the board before the worker may take it: published after, this queued
            # record could land over the worker's own end of the job (seen: a job failing
            # at once read back as queued, without its error).
            job.publish()
            if job.active:
                self._queue.put((job, ds))
                self._ensure_worker()
        return job

    def cancel(self, key: str) -> None:
        """Cancel the job `key`: this server's at once, another server's through the board."""
        job = self.get(key)
        if job is not None and job.active:
            job.cancel()
        try:
            board.cancel(key)
        except (OSError, HandCamError):  # damaged: only another server's job needs the board
            if job is None:
                raise

    def _ensure_worker(self) -> None:  # caller holds self._lock
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="handclf-jobs", daemon=True)
            self._worker.start()

    def device(self, timeout: float | None = None) -> Device | None:
        """What training runs on, as the training process found it; None if it has not said
        within `timeout` seconds. The first call starts that process (it loads TensorFlow,
        so the web process never has to) through the worker, which owns its events. When
        that process stopped before it said (killed while it started), a call PROBE_AGAIN
        seconds later starts it again."""
        with self._lock:
            t, now = self._trainer, time.monotonic()
            stopped = t.device is None and t.known.is_set() and not self.trainer_running
            if self._probed is None or (stopped and now - self._probed >= PROBE_AGAIN):
                self._probed = now
                if stopped:
                    t.known.clear()  # set again by the worker once the new process says
                self._queue.put((None, None))  # the worker starts the child before any job
                self._ensure_worker()
        self._trainer.known.wait(timeout)
        return self._trainer.device

    def get(self, key: str) -> Job | None:
        """This server's latest job of `key`, or None."""
        with self._lock:
            return self._jobs.get(key)

    def jobs(self) -> list[Job]:
        """Every job this server remembers, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def close(self) -> None:
        """Cancel every job and stop the training process (at exit; tests)."""
        for job in self.jobs():
            job.cancel()
        self._trainer.close()

    def _forget_old(self) -> None:  # caller holds self._lock
        finished = [k for k, j in self._jobs.items() if not j.active]
        for key in finished[: max(0, len(finished) - board.KEEP_FINISHED)]:
            del self._jobs[key]

    def _tick(self) -> None:
        """While the worker waits or runs: a sign of life, and cancels asked for elsewhere."""
        now = time.monotonic()
        if now - self._ticked < board.HEARTBEAT:
            return
        self._ticked = now
        try:
            board.beat()
        except (OSError, HandCamError):  # a damaged board: said by the job's own lock
            pass
        for job in self.jobs():
            if job.active and board.cancel_requested(job.key) and not job._cancel.is_set():
                job.cancel()

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
            self._run(job, ds)
            try:
                board.forget_old()
            except OSError:
                pass

    def _run(self, job: Job, ds) -> None:
        if board.cancel_requested(job.key):  # asked by another tab or server meanwhile
            job.cancel()
        if job.status != Status.QUEUED:  # cancelled while it waited
            return
        lock = machine_lock(job, self._tick)
        if lock is None or board.cancel_requested(job.key):
            job.cancel()
            if lock is not None:
                lock.release()
            return
        try:
            with job._lock:
                if job.status != Status.QUEUED:
                    return
                job.status, job.started = Status.RUNNING, time.time()
                job.step = Step(Stage.STARTING)
            job.publish()
            try:
                kind, payload = self._trainer.run(job, ds, self._tick)
            except Exception as e:  # the queues themselves failed: keep the worker alive
                kind, payload = "crashed", (f"{type(e).__name__}: {e}", traceback.format_exc())
        finally:
            lock.release()
        if kind == "crashed":
            log.error("job %s failed:\n%s", job.key, payload[1])
        with job._lock:
            job._finish(**outcome(kind, payload))
        job._ended()
