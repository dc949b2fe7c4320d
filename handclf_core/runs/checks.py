"""What a run record must hold beyond what its types say: figures in their range, and names
that stay inside the run folder and the cache. A record is input like any file a user
gives: `runs.record.read_run` checks it with `check_record` after its schema and digest (a
digest proves nothing against a forged record: anyone can compute it)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING

from handclf_core.errors import HandCamError

if TYPE_CHECKING:
    from handclf_core.runs.record import Run

PREDICTIONS_FILE = "predictions.npz"  # the run's test predictions (`runs.predictions`)

_HEX = re.compile(r"^[0-9a-f]{8,64}$")


def check_record(run: Run, meta: Path) -> None:
    """HandCamError naming `meta` unless every figure of `run` is in its range (shares in
    0..1, counts not negative) and every name it holds is a plain file name of the run
    folder: what the schema's types cannot say."""

    def fail(key: str, expected: str, found) -> HandCamError:
        return HandCamError(f"{meta}: {key}: expected {expected}, found {found!r}"[:300])

    if not _HEX.match(run.dataset.identity):  # it names the frame store's folder
        raise fail("dataset.identity", "a hexadecimal digest", run.dataset.identity)
    sums = {"model_sha256": run.model_sha256}
    if run.predictions is not None:
        sums["predictions.sha256"] = run.predictions.sha256
    for key, sha in sums.items():
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise fail(key, "a SHA-256 in hexadecimal", sha)
    if run.predictions is not None and run.predictions.name != PREDICTIONS_FILE:
        expected = f"{PREDICTIONS_FILE} (a file of the run folder)"
        raise fail("predictions.name", expected, run.predictions.name)
    test = run.test
    shares = {
        "test.accuracy": test.accuracy,
        "test.balanced_accuracy": test.balanced_accuracy,
        "test.macro_f1": test.macro_f1,
        "test.chance": test.chance,
        "test.mean_average_precision": test.mean_average_precision,
        "test.majority_baseline.accuracy": test.majority_baseline.accuracy,
        "train_accuracy": run.train_accuracy,
    }
    for c in test.per_class:
        for k in ("precision", "recall", "f1"):
            shares[f"test.per_class.{c.name}.{k}"] = getattr(c, k)
    for name, curve in test.pr_curves.items():
        shares[f"test.pr_curves.{name}.average_precision"] = curve.average_precision
        shares.update({f"test.pr_curves.{name}.precision": v for v in curve.precision})
        shares.update({f"test.pr_curves.{name}.recall": v for v in curve.recall})
    for key, value in shares.items():
        if not 0 <= value <= 1 + 1e-6:
            raise fail(key, "a share from 0 to 1", value)
    counts = {
        "test.frames": test.frames,
        "frames.train": run.frames.train,
        "frames.validation": run.frames.validation,
        "frames.test": run.frames.test,
        "train_frames_scored": run.train_frames_scored,
        "model_bytes": run.model_bytes,
        "params": run.params,
        "predictions.bytes": run.predictions.bytes if run.predictions else 0,
        "test.per_class.support": min((c.support for c in test.per_class), default=0),
        "test.confusion_matrix": min(
            (min(row, default=0) for row in test.confusion_matrix), default=0
        ),
    }
    for key, value in counts.items():
        if value < 0:
            raise fail(key, "a count (0 or more)", value)
    classes = len(run.classes)
    if (
        len(test.per_class) != classes
        or len(test.confusion_matrix) != classes
        or any(len(row) != classes for row in test.confusion_matrix)
    ):
        raise fail("test.per_class", f"the figures of {classes} classes", len(test.per_class))
    seconds = [v for v in dataclasses.astuple(run.timings) if v is not None]
    if any(v < 0 for v in seconds):
        raise fail("timings", "times and rates of 0 or more", run.timings)
