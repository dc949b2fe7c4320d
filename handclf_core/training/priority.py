"""The training process's place beside the pages: its priority, scheduling class and
threads, set in the process before TensorFlow is imported (the threads it starts inherit
them). Measured with bench/bench_classroom.py --train and bench/bench_training_beside.py
(README, "A class on one server")."""

from __future__ import annotations

import os


def yield_to_pages(nice: int) -> str:
    """Set this process's priority and threads (before TensorFlow is imported: the threads
    it starts inherit them) so that the pages a class opens while a model trains keep
    their pace: os.nice(`nice`). $HANDCLF_TRAINING_SCHED "idle": Linux's idle scheduling
    class too, the CPU only when nothing else wants it (pages faster beside a training,
    but a training on a machine kept busy by other work stalls: the suite's experiments,
    beside its browsers, did not finish in 5 minutes); "nice" (the default): niceness alone.
    $HANDCLF_TRAINING_THREADS: TensorFlow's threads per pool (default: one per core).
    Returns what was set."""
    threads = os.environ.get("HANDCLF_TRAINING_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        os.environ["TF_NUM_INTRAOP_THREADS"] = os.environ["TF_NUM_INTEROP_THREADS"] = threads
    if nice > 0:
        os.nice(nice)  # and every process it starts (the store's decoders)
    if os.environ.get("HANDCLF_TRAINING_SCHED", "nice") == "idle":
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return "idle"
        except (AttributeError, OSError):  # not Linux: the niceness alone
            pass
    return f"nice {nice}"
