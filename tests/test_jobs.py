"""The app's background training queue, without Streamlit: real (tiny) trainings."""

import dataclasses
import time
from pathlib import Path

import pytest

from handclf_core.load import _tree
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.folders import run_path
from handclf_core.training.jobs import TrainingJobs
from handclf_core.vocab import DeviceKind
from tests.conftest import TINY


def _tiny(seed: int, **changes) -> TrainConfig:
    config = TrainConfig(model="cnn_basic", epochs=1, batch_size=32, limit=32, seed=seed)
    return dataclasses.replace(config, **changes)


@pytest.fixture(scope="module")
def jobs():
    """One queue for the module: its training process imports TensorFlow once."""
    manager = TrainingJobs()
    yield manager
    manager.close()


def _until(condition, timeout=300.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_same_config_twice_is_one_job_trained_once(jobs, sample_ds):
    first = jobs.submit(sample_ds, _tiny(11))
    second = jobs.submit(sample_ds, _tiny(11))
    assert second is first and [j for j in jobs.jobs() if j.key == first.key] == [first]
    assert jobs.get(first.key) is first
    import keras

    deadline = time.monotonic() + 120
    while not first.wait(0.05):  # Streamlit does this after every script run: harmless here
        keras.backend.clear_session(free_memory=False)
        assert time.monotonic() < deadline, "timed out"
    state = first.snapshot()
    assert state.status == "done" and not state.cached and state.error is None
    assert state.key == run_path(sample_ds.identity, _tiny(11)).name
    assert state.result.path == run_path(sample_ds.identity, _tiny(11))
    assert [e.epoch for e in state.epochs] == [1] and "val_accuracy" in state.epochs[0].logs
    assert state.batch.batches == 1 and state.started <= state.finished

    again = jobs.submit(sample_ds, _tiny(11))  # now stored: loaded, not trained again
    assert again.status == "done" and again.cached
    assert again.result.test == state.result.test


def test_training_process_yields_the_cpu_to_the_pages(jobs, sample_ds, tiny_run):
    """The training process runs below the web process's priority (os.nice), so a page a
    student opens while a model trains keeps up; in the normal scheduling class (the idle
    class, HANDCLF_TRAINING_SCHED=idle, stalled a training on a busy machine)."""
    import os

    from handclf_core.training.trainer import TRAINING_NICE

    jobs.device(timeout=300)
    child = jobs._trainer.process
    assert child is not None and child.is_alive()
    here = os.getpriority(os.PRIO_PROCESS, 0)
    assert TRAINING_NICE == 10
    assert os.getpriority(os.PRIO_PROCESS, child.pid) == min(19, here + TRAINING_NICE)
    if hasattr(os, "SCHED_OTHER") and "HANDCLF_TRAINING_SCHED" not in os.environ:
        assert os.sched_getscheduler(child.pid) == os.SCHED_OTHER


def test_stored_config_finishes_at_once(jobs, sample_ds, tiny_run):
    job = jobs.submit(sample_ds, TINY)
    assert job.status == "done" and job.cached and job.wait(0)
    assert job.result.path == tiny_run[0].path


def test_cancel_running_and_queued_jobs(jobs, sample_ds):
    long = _tiny(12, epochs=5, batch_size=8, limit=64)  # 40 batches: time to cancel
    running = jobs.submit(sample_ds, long)
    queued = jobs.submit(sample_ds, _tiny(13))
    _until(lambda: running.snapshot().batch is not None)
    assert queued.status == "queued"
    queued.cancel()
    assert queued.status == "cancelled" and queued.wait(0)  # at once, never started
    running.snapshot().cancel()  # a snapshot cancels the job it copies
    assert running.wait(60)
    assert running.status == "cancelled" and running.result is None
    assert len(running.epochs) < 5
    assert not run_path(sample_ds.identity, long).exists()
    assert not run_path(sample_ds.identity, _tiny(13)).exists()

    again = jobs.submit(sample_ds, long)  # a cancelled job can be asked for again
    assert again is not running and again.status in ("queued", "running")
    again.cancel()
    assert again.wait(60) and again.status == "cancelled"


def test_failures_are_reported_and_the_worker_goes_on(jobs, sample_ds):
    invalid = jobs.submit(sample_ds, _tiny(14, epochs=0))  # fails its checks: at once
    assert invalid.status == "failed" and "epochs must be at least 1" in invalid.error
    bad = jobs.submit(sample_ds, _tiny(15, held_out="nowhere/9"))  # fails in training
    good = jobs.submit(sample_ds, _tiny(16))
    assert bad.wait(120) and good.wait(120)
    assert bad.status == "failed" and "not in the training split" in bad.error
    assert good.status == "done"
    assert not run_path(sample_ds.identity, _tiny(15, held_out="nowhere/9")).exists()


def test_the_device_comes_from_the_training_process(jobs):
    """The web process never imports TensorFlow to learn the device: the child says."""
    device = jobs.device(timeout=300)
    assert device.kind == DeviceKind.CPU and device.count >= 1 and device.backend


def test_an_idle_training_process_leaves_and_the_next_job_starts_it_again(sample_ds):
    """Without a job for `trainer_idle` seconds the training process leaves (TensorFlow's
    memory back to the machine while a class only browses); the next job starts it again
    and trains."""
    manager = TrainingJobs(trainer_idle=1.0)
    try:
        assert manager.device(timeout=300) is not None
        child = manager._trainer.process
        _until(lambda: not child.is_alive(), timeout=30)
        assert child.exitcode == 0
        job = manager.submit(sample_ds, _tiny(12))
        assert job.wait(180) and job.status == "done" and not job.cached, job.error
        assert manager._trainer.process is not child
    finally:
        manager.close()


# --- The board: every tab, every server on the cache sees the same jobs ---


def test_a_second_server_sees_the_job_follows_it_and_cancels_it(jobs, sample_ds):
    """A second queue on the same cache (a second server, or the page after a reload: both
    read the board) is given the first one's job instead of training it twice, sees its
    progress, and cancels it through the board."""
    from handclf_core.training import board

    long = _tiny(31, epochs=5, batch_size=8, limit=64)
    job = jobs.submit(sample_ds, long, estimate=12.0)
    second = TrainingJobs()
    try:
        _until(lambda: (r := board.read(job.key)) is not None and r.batch is not None, 300)
        record = board.read(job.key)
        assert record.status == "running" and record.kind == "training"
        assert record.config == job.config and record.estimate == 12.0 and record.elapsed() > 0
        assert board.shown(sample_ds.identity, long).id == job.key
        followed = second.submit(sample_ds, long)
        assert followed.remote and followed.key == job.key  # not queued there
        assert second.jobs() == []
        second.cancel(job.key)  # as another server would: through the board
        assert job.wait(30) and job.status == "cancelled"
        assert board.read(job.key).status == "cancelled"
    finally:
        second.close()
    assert not run_path(sample_ds.identity, long).exists()
    again = jobs.submit(sample_ds, long)  # asked again: a new job, not the old request
    assert again is not job and again.status in ("queued", "running")
    again.cancel()
    assert again.wait(60)


def test_the_experiments_are_a_group_any_tab_finds(jobs, sample_ds, tiny_run):
    from handclf_core.training import board

    configs = [TINY, _tiny(32)]
    group = jobs.submit_group(sample_ds, configs, [None, 5.0])
    assert board.latest_group() == group and len(group.jobs) == 2
    first = board.read(group.jobs[0])
    assert first.status == "done" and first.cached  # stored: loaded at once
    assert jobs.get(group.jobs[1]).wait(120)
    assert board.read(group.jobs[1]).status == "done"


_SERVER = """
import sys, time
from handclf_core.data.dataset import open_dataset
from handclf_core.runs.config import TrainConfig
from handclf_core.training.jobs import TrainingJobs
jobs = TrainingJobs()
config = TrainConfig(model="cnn_basic", epochs=50, batch_size=8, limit=64, seed=33)
print(jobs.submit(open_dataset(sys.argv[1]), config).key, flush=True)
time.sleep(600)
"""


def test_a_job_whose_server_was_killed_shows_as_failed_not_running(sample_root, sample_ds):
    """kill -9 of the server that runs a job: every tab reads it as failed (lost), never as
    running forever; its training process goes too."""
    import os
    import signal
    import subprocess
    import sys

    from handclf_core.training import board

    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(sample_root)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ,
    )
    try:
        key = server.stdout.readline().strip()
        _until(lambda: (r := board.read(key)) is not None and r.batch is not None, 300)
        assert board.read(key).status == "running" and not board.read(key).lost
        below = set(_tree(server.pid)) - {server.pid}  # its forkserver, training process
        assert below
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    record = board.read(key)
    assert record.status == "failed" and record.lost and not record.active
    assert key not in {r.id for r in board.active()}
    # Nothing of the killed server lives on: its training process stops at its next batch
    # (it held the forkserver up, which then goes too), never trains on for nobody.
    _until(lambda: not any(_running(pid) for pid in below), 300)


def _running(pid: int) -> bool:
    """Whether process `pid` exists and is no zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2 : stat.rindex(b")") + 3] != b"Z"
