"""A quick demo trained through the app's own training queue (`training.jobs`), for the
classroom benchmarks' "training beside": the training process is the one the app starts,
with its priority, environment and threads.

    HANDCLF_CACHE=... python bench/train_beside.py alexnet 1234

Prints each stage the job reaches, one a line ("training" once its loop runs), and the
job's end.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from handclf_core.data.dataset import load_dataset  # noqa: E402
from handclf_core.runs.config import TrainConfig  # noqa: E402
from handclf_core.runs.experiments import quick  # noqa: E402
from handclf_core.training.jobs import TrainingJobs  # noqa: E402


def main() -> None:
    model, seed = sys.argv[1], int(sys.argv[2])
    ds = load_dataset(None)
    job = TrainingJobs().submit(ds, quick(TrainConfig(model=model, seed=seed)))
    said = None
    while not job.wait(0.2):
        stage = job.snapshot().step.stage
        if stage != said:
            print(stage.value, flush=True)
            said = stage
    end = job.snapshot()
    print(f"{end.status.value} {end.error or ''}", flush=True)
    time.sleep(1)


if __name__ == "__main__":
    main()
