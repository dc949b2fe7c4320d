"""The training process: one child process that trains every job of the app's queue
(`jobs`), and the messages between it and the queue's worker thread.

Why a child process: Streamlit calls `keras.backend.clear_session()` after every script run
(every second while a page polls), which resets Keras's global state in every thread: layer
names, the mixed-precision policy. A model built in an app thread at that moment fails ("the
name conv2d is used 2 times"). The child also keeps TensorFlow's Python-heavy training loop
off the web server's GIL. It starts with the first job (or when the app asks what trains)
and then serves every job, so TensorFlow is imported once; after TRAINING_IDLE seconds
without a job it leaves (its memory back to a machine that a class is browsing), and the
next job starts it again. It runs at a lower priority than the web process (TRAINING_NICE,
and Linux's idle scheduling class: `priority.yield_to_pages`).

Requests to the child, each (kind, dataset, payload, cache folder): (JobKind.TRAINING, ds,
TrainConfig, cache) trains or loads a run; (JobKind.STORE, ds, Preprocessing, cache) builds
the frame store and derives those inputs. Messages from the child, each a (kind, payload)
pair: ("device", Device) once the backend is loaded; ("progress", Step | Batch | Epoch)
while a job runs; then one of ("done", (run or None, cached)), ("cancelled", None),
("failed", message) or ("crashed", (message, traceback)).
"""

from __future__ import annotations

import os
import queue
import re
import threading
import time
import traceback

from handclf_core import paths, workers
from handclf_core.atomic import pid_alive
from handclf_core.errors import HandCamError
from handclf_core.runs.device import Device, adopt
from handclf_core.training.priority import yield_to_pages
from handclf_core.training.progress import Batch, Event, Step, describe
from handclf_core.vocab import JobKind, Split, Stage

# The training process's niceness (os.nice): below the web process's, so that the pages a
# class opens while a model trains keep up, and the training takes what they leave (a page is
# a few CPU seconds; a training is minutes). $HANDCLF_TRAINING_NICE sets another; 0: none.
# On Linux it also runs in the idle scheduling class (`priority.yield_to_pages`).
TRAINING_NICE = int(os.environ.get("HANDCLF_TRAINING_NICE", "10"))
# Seconds the training process stays without a job before it leaves, freeing the memory
# TensorFlow holds (about 550 MB, bench/bench_classroom.py) while a class only browses; the
# next job starts it again (a few seconds, shown as such). $HANDCLF_TRAINING_IDLE sets
# another; 0: it never leaves.
TRAINING_IDLE = float(os.environ.get("HANDCLF_TRAINING_IDLE", "60"))
# Names of environment variables the web process set for itself alone (app/cache.py):
# the training process, started from it, takes them back to TensorFlow's defaults.
WEB_ONLY_ENV = "HANDCLF_WEB_ONLY_ENV"
EVENTS_PER_SECOND = 10  # the child sends at most this many batch or step events of one stage
# (small GPU models run hundreds of batches a second, a store's chunks tens; a page redraws
# once a second)


def _serve(requests, events, cancel, idle: float = TRAINING_IDLE, app: int | None = None) -> None:
    """The training process: train each (dataset, config) received, reporting to `events`;
    it ends after `idle` seconds without a job (0: never), and as soon as the app (process
    `app`) is gone."""
    yield_to_pages(TRAINING_NICE)
    for name in os.environ.pop(WEB_ONLY_ENV, "").split():
        os.environ.pop(name, None)  # the web process's settings: TensorFlow's defaults here
    from handclf_core.training.backend import load_backend_quietly
    from handclf_core.training.devices import configure_device

    load_backend_quietly()  # the server's log keeps our lines, not TensorFlow's start-up ones
    from handclf_core.training.loop import TrainingCancelled

    parent = os.getppid()  # the app, or the forkserver started by the app

    def orphaned() -> bool:
        # A killed app leaves its forkserver alive: this process holds the forkserver's
        # "alive" pipe (multiprocessing passes it on), so the forkserver never sees it close
        # and this process's parent never changes. The app's own pid tells.
        if os.getppid() == parent and (app is None or pid_alive(app)):
            return False
        events.cancel_join_thread()  # nobody reads: leave without flushing to the pipe
        return True

    last = (0.0, None)  # when the last event of which stage was sent
    events.put(("device", configure_device()))  # TensorFlow is loaded: say what trains

    def progress(event: Event) -> None:
        nonlocal last
        if orphaned():  # the app, or its forkserver, is gone: nobody follows
            raise TrainingCancelled("orphaned")  # (the app reads the job as stopped)
        if cancel.is_set():
            raise TrainingCancelled("cancelled")
        stage = event.stage if isinstance(event, Step) else type(event)
        going = (isinstance(event, Batch) and event.batch < event.batches) or (
            isinstance(event, Step) and 0 < event.done < event.total
        )
        if going and stage == last[1] and time.monotonic() - last[0] < 1 / EVENTS_PER_SECOND:
            return
        last = (time.monotonic(), stage)
        events.put(("progress", event))

    waiting_since = time.monotonic()
    while True:
        try:
            request = requests.get(timeout=min(5.0, idle) if idle > 0 else 5.0)
        except queue.Empty:
            if orphaned():
                return
            if idle > 0 and time.monotonic() - waiting_since >= idle:
                return  # nothing to train: TensorFlow's memory back to the machine
            continue
        if request is None:
            return
        try:
            run, cached = _do(*request, progress=progress)
        except TrainingCancelled:
            if orphaned():
                return  # not a cancel: the app, if alive, says the process stopped
            events.put(("cancelled", None))
        except HandCamError as e:
            events.put(("failed", str(e)))
        except Exception as e:  # a bug, not the user's input: report it, serve the next job
            events.put(("crashed", (f"{type(e).__name__}: {e}", traceback.format_exc())))
        else:
            events.put(("done", (run, cached)))
        waiting_since = time.monotonic()


def _do(kind: JobKind, ds, payload, cache: str, progress) -> tuple:
    """One request of the queue: a run trained (or loaded), or a store built, in the cache
    folder the app uses now (this process may come from a forkserver started with another
    environment)."""
    os.environ["HANDCLF_CACHE"] = cache
    if kind == JobKind.STORE:
        from handclf_core.data.store import build_store

        def stage(stage: Stage):
            return lambda done, total: progress(Step(stage, done=done, total=total))

        store, cached = build_store(ds, progress=stage(Stage.DECODING))
        derived = store.variant_path(payload).is_file()
        store.variant(payload, progress=stage(Stage.RESIZING))
        return None, cached and derived
    from handclf_core.training.train import train

    return train(ds, payload, progress=progress)


class Trainer:
    """The child process and its queues; started on first use, restarted if it died."""

    def __init__(self, idle: float = TRAINING_IDLE) -> None:
        self.idle = idle  # seconds the child waits for a job before it leaves (0: never)
        self.process = None
        self.device: Device | None = None  # what the child trains on, once it said so
        self.known = threading.Event()  # set once `device` is known (or the child died)

    def start(self) -> None:
        """Start the child process if it is not running (it imports TensorFlow)."""
        if self.process is None or not self.process.is_alive():
            # A forkserver child (see `workers`): a fork of this process could deadlock.
            ctx = workers.context([__name__])
            self._let_go()
            # Fresh queues: a killed child may have left a lock of the old ones taken.
            self.requests, self.events, self.cancel = ctx.Queue(), ctx.Queue(), ctx.Event()
            self.requests._ignore_epipe = True  # see _let_go
            args = (self.requests, self.events, self.cancel, self.idle, os.getpid())
            # Not a daemon: training decodes frames in a process pool of its own.
            self.process = ctx.Process(target=_serve, args=args, name="handclf-training")
            with workers.main_script_hidden():
                self.process.start()

    def _let_go(self) -> None:
        """Leave the requests queue of a child that is gone. A request (it holds the
        dataset: more than a pipe holds) may be half-written by its feeder thread, blocked
        in a write nobody reads, which the interpreter would wait for at exit: the reading
        end closed, the write fails and the thread ends (quietly: `_ignore_epipe`)."""
        old = getattr(self, "requests", None)
        if old is not None:
            old.cancel_join_thread()
            old._reader.close()
            old.close()

    def wait_device(self) -> None:
        """Start the child if need be and read its events until it says what it trains on."""
        self.start()
        while self.device is None and self.process.is_alive():
            try:
                kind, payload = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if kind == "device":
                self.device = payload
                adopt(payload)
        self.known.set()

    def run(self, job, ds, tick=lambda: None) -> tuple[str, object]:
        """Do `job` in the child; its progress goes into `job`, and `tick()` is called a few
        times a second meanwhile. Returns (outcome, payload)."""
        fresh = self.process is None or not self.process.is_alive()  # started for this job
        if fresh:
            job._record(Step(Stage.STARTING_PROCESS))
            self.start()
        self.cancel.clear()
        payload = job.prep if job.kind == JobKind.STORE else job.config
        request = (job.kind, ds, payload, str(paths.cache_dir()))
        self.requests.put(request)
        heard = False  # from the child, since this job was sent
        while True:
            tick()
            if job._cancel.is_set():
                self.cancel.set()
            try:
                kind, payload = self.events.get(timeout=0.2)
            except queue.Empty:
                if not self.process.is_alive():
                    code = self.process.exitcode
                    # It left idle as the job came, or it had died (killed) before: not a
                    # word of this job yet, so nothing of it was done. Once more, anew.
                    if not heard and (code == 0 or not fresh):
                        fresh = True
                        job._record(Step(Stage.STARTING_PROCESS))
                        self.start()
                        self.requests.put(request)
                        continue
                    message = stopped(code, job.step)
                    return "crashed", (message, f"{message} (job {job.key})")
                continue
            heard = True
            if kind == "device":
                self.device = payload
                adopt(payload)
                self.known.set()
            elif kind != "progress":
                return kind, payload
            else:
                job._record(payload)

    def close(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.cancel.set()
            self.requests.put(None)
            self.process.join(10)
            if self.process.is_alive():
                self.process.terminate()


# A job's error when the training process ended in the middle of it (killed, out of memory):
# the core's words, which `stop_reason` reads back for a page to say them in its language.
_STOPPED = re.compile(
    r"the training process stopped \((?:killed, signal (?P<signal>\d+)|exit code "
    r"(?P<code>-?\d+)|(?P<starter>its starter process was killed))\) while (?P<doing>.+); "
    r"start the job again"
)
STARTER_GONE = 255  # a forkserver child's exit code when the forkserver itself is gone


def stopped(code: int | None, step: Step) -> str:
    """The error of a job whose training process ended (`code`: its exit code, negative for
    a signal) while the job was at `step`: nothing of it is trusted, it can be started again
    (a run is published whole or not at all; a store build goes on from its kept chunks)."""
    if code is not None and code < 0:
        how = f"killed, signal {-code}"
    elif code == STARTER_GONE:  # multiprocessing's code when it could not read the real one
        how = "its starter process was killed"
    else:
        how = f"exit code {code}"
    doing = describe(Step(step.stage, split=step.split))
    return f"the training process stopped ({how}) while {doing}; start the job again"


def stop_reason(error: str | None) -> tuple[int | None, int | None, Step] | None:
    """(signal, exit code, step) of an error written by `stopped` (signal and code None:
    its starter process was killed); None for any other error."""
    m = _STOPPED.fullmatch(error or "")
    if m is None:
        return None
    steps = {}
    for stage in Stage:
        for split in (None, *Split):
            steps.setdefault(describe(Step(stage, split=split)), Step(stage, split=split))
    step = steps.get(m["doing"])
    if step is None:
        return None
    signal, code = m["signal"], m["code"]
    return (int(signal) if signal else None, int(code) if code else None, step)
