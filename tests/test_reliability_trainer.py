"""The training process killed (kill -9) at every moment of its life: before it said its
device, idle, starting for a job, training, decoding the frame store; and its forkserver
killed. Each time the job in flight fails saying so in one line, nothing half-written is
kept, the queue's worker goes on and the next job starts a new process and trains.

One queue walks through every moment in turn: each start of the training process imports
TensorFlow (seconds on a busy two-core machine)."""

import dataclasses
import os
import signal
import threading
import time
from multiprocessing import forkserver
from pathlib import Path

from handclf_core.runs.config import TrainConfig
from handclf_core.runs.folders import run_path
from handclf_core.training import board
from handclf_core.training.jobs import TrainingJobs
from handclf_core.training.progress import Step
from handclf_core.training.trainer import stop_reason, stopped
from handclf_core.vocab import Stage

WAIT = 300.0  # seconds: a hang's guard, never a speed limit (the machine may be busy)


def _tiny(seed: int, **changes) -> TrainConfig:
    config = TrainConfig(model="cnn_basic", epochs=1, batch_size=32, limit=32, seed=seed)
    return dataclasses.replace(config, **changes)


def _until(condition, timeout=WAIT, state=lambda: ""):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out {state()}"
        time.sleep(0.02)


def _running(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _descendants(pid: int) -> set[int]:
    """Every process below `pid` (the store's decoders, their forkserver)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        try:
            parents[int(entry.name)] = int(
                (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            )
        except (ValueError, OSError):
            continue
    found, todo = set(), [pid]
    while todo:
        here = todo.pop()
        kids = [p for p, parent in parents.items() if parent == here]
        found.update(kids)
        todo.extend(kids)
    return found


def _feeders() -> set[threading.Thread]:
    """The threads that write what multiprocessing queues are given (the interpreter waits
    for each at exit)."""
    return {t for t in threading.enumerate() if t.name == "QueueFeederThread"}


def _failed(job, signal_no: int | None, stage: Stage) -> str:
    """The job ended failed, saying in one line that the training process stopped, how and
    when; the board says the same to every tab."""
    assert job.wait(WAIT)
    state = job.snapshot()
    assert state.status == "failed", (state.status, state.error)
    assert "\n" not in state.error and "start the job again" in state.error
    assert stop_reason(state.error) == (signal_no, None, Step(stage)), state.error
    record = board.read(job.key)
    assert record.status == "failed" and record.error == state.error and not record.lost
    return state.error


def _trains(jobs, ds, config) -> None:
    job = jobs.submit(ds, config)
    assert job.wait(WAIT) and job.status == "done" and not job.cached, job.error
    assert job.result.path == run_path(ds.identity, config)


def _kill(pid: int | None) -> None:
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    _until(lambda: not _running(pid))


def test_the_training_process_killed_at_any_moment(tmp_path):
    from handclf_core.data.dataset import open_dataset
    from handclf_core.data.images import Preprocessing
    from handclf_core.data.sample import generate_sample
    from handclf_core.data.store import open_store, plan_store

    # its own sample: the session's may have its frame store built by other tests
    ds = open_dataset(generate_sample(tmp_path / "handcam", stride=50, size=(64, 36)))
    feeders = _feeders()
    jobs = TrainingJobs()
    long = _tiny(41, epochs=5, batch_size=8, limit=64)  # 40 batches: time to kill one
    try:
        # Killed as it starts, before it said its device: a later device() starts it again.
        assert jobs.device(timeout=0) is None
        _until(lambda: jobs.trainer_pid is not None)
        assert jobs._trainer.device is None  # still importing TensorFlow
        _kill(jobs.trainer_pid)
        _until(lambda: jobs.device(timeout=1) is not None)

        # Killed while decoding the frame store (first: a training builds it too): its
        # decoders go too (none runs on, none holds a lock); the next build goes on from
        # the kept chunks and completes.
        prep = Preprocessing()
        job = jobs.submit_store(ds, prep)
        _until(
            lambda: (s := job.snapshot().step).stage == Stage.DECODING and s.done > 0,
            state=lambda: job.snapshot(),
        )
        decoders = _descendants(jobs.trainer_pid)
        assert decoders  # the decoding pool (and the forkserver it starts from)
        _failed_after_kill(jobs, job, Stage.DECODING)
        _until(lambda: not any(_running(p) for p in decoders), 60)
        assert open_store(ds) is None  # not published half-built ...
        assert plan_store(ds).decoded > 0  # ... its decoded chunks kept
        job = jobs.submit_store(ds, prep)
        assert job.wait(WAIT) and job.status == "done" and not job.cached, job.error
        assert open_store(ds) is not None

        # Killed while idle: the next job starts a new one and trains.
        _kill(jobs.trainer_pid)
        _trains(jobs, ds, _tiny(42))

        # Killed mid-training: the job fails saying so; no run is kept.
        job = jobs.submit(ds, long)
        _until(lambda: job.snapshot().batch is not None)
        error = _failed_after_kill(jobs, job, Stage.TRAINING)
        assert error == stopped(-signal.SIGKILL, Step(Stage.TRAINING))
        assert "killed, signal 9" in error and "while training" in error
        assert not run_path(ds.identity, long).exists()

        # Killed while it starts for a job (before any word of it): that job fails too.
        job = jobs.submit(ds, long)
        _until(lambda: jobs.trainer_pid is not None)
        _failed_after_kill(jobs, job, Stage.STARTING_PROCESS)

        # Its forkserver killed mid-training: the job fails (not "cancelled"); the old
        # training process leaves; the next job starts both again and trains.
        job = jobs.submit(ds, _tiny(43, epochs=5, batch_size=8, limit=64))
        _until(lambda: job.snapshot().batch is not None)
        old = jobs._trainer.process.pid
        _kill(forkserver._forkserver._forkserver_pid)
        _failed(job, None, Stage.TRAINING)
        _until(lambda: not _running(old), 60)

        # The configuration killed mid-training twice trains whole now (its lock is free,
        # its half-written folder not trusted).
        _trains(jobs, ds, long)
        assert jobs._worker.is_alive()
        # No thread is left writing a request to a process that is gone (the interpreter,
        # the app's server, would wait for it at exit): the live process's queue's only.
        _until(lambda: len(_feeders() - feeders) <= 1, 60)
    finally:
        jobs.close()


def _failed_after_kill(jobs, job, stage: Stage) -> str:
    _kill(jobs.trainer_pid)
    return _failed(job, signal.SIGKILL, stage)
