"""The time of what a job does before its model sees a frame, and of whole jobs: the frame
store decoded (what its plan has left, at a decoding timed on this dataset now), a
preprocessing's inputs derived, then `estimate.estimate` for a training, or those alone for
the Preprocessing page's build and `prepare`. Quiet seconds here; the load is counted once,
by `estimate`'s share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handclf_core.data.images import Preprocessing
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.device import Device
from handclf_core.runs.record import Run
from handclf_core.training.estimate import PROCESS_START, Estimate, cpu_share, estimate
from handclf_core.workers import cpu_count

if TYPE_CHECKING:
    from handclf_core.data.store_build import BuildPlan

POOL_START = 0.5  # seconds to start a pool of decoding or deriving workers, quiet
DERIVE_SECONDS = 0.0004  # a store's frame resized into a model input, quiet, on one core
WRITE_BYTES_PER_SECOND = 1e9  # derived inputs written (to the page cache)


def derive_seconds(frames: int, prep: Preprocessing, cores: int | None = None) -> float:
    """Quiet seconds to derive the inputs of `prep` from a store of `frames` frames."""
    written = frames * prep.size**2 * prep.channels / WRITE_BYTES_PER_SECOND
    return POOL_START + frames * DERIVE_SECONDS / (cores or cpu_count()) + written


def quiet_decode(seconds_per_frame: float, other: float, cores: int) -> float:
    """A frame's decoding time timed now by one thread (`store.decode_seconds`) as on a quiet
    machine: that thread had min(1, cores / (1 + other)) of a core."""
    return seconds_per_frame * min(1.0, cores / (1.0 + max(other, 0.0)))


def decode_work(plan: BuildPlan, seconds_per_frame: float, cores: int) -> float:
    """Quiet seconds to decode what `plan` has left, one worker per core."""
    return POOL_START + plan.to_decode * seconds_per_frame / cores if plan.to_decode else 0.0


def data_seconds(ds, prep: Preprocessing, *, other: float = 0.0, cores: int | None = None) -> float:
    """Quiet seconds for what a job on `ds` does before its model sees a frame and is not
    done yet: the store's frames decoded (a few timed now), then the inputs of `prep`
    derived. 0 when both are kept."""
    from handclf_core.data.store import decode_seconds, open_store, plan_store

    cores = cores or cpu_count()
    store = open_store(ds)
    if store is not None:
        kept = store.variant_path(prep).is_file()
        return 0.0 if kept else derive_seconds(len(store), prep, cores)
    plan = plan_store(ds)
    spf = quiet_decode(decode_seconds(ds), other, cores)
    return decode_work(plan, spf, cores) + derive_seconds(plan.frames, prep, cores)


def store_estimate(
    data: float, *, other: float = 0.0, cores: int | None = None, start: bool = False
) -> Estimate:
    """The expected duration of the Preprocessing page's job (or `prepare`): `data` quiet
    seconds of decoding and deriving (`data_seconds`), at the load counted."""
    cores = cores or cpu_count()
    share = cpu_share(other, cores)
    quiet = {"start": PROCESS_START if start else 0.0, "data": data}
    parts = {k: v / share for k, v in quiet.items() if v}
    return Estimate(sum(parts.values()), 0, 0.0, share, other, cores, parts)


def job_estimate(
    ds,
    config: TrainConfig,
    runs: list[Run],
    device: Device | None = None,
    *,
    other: float = 0.0,
    start: bool = False,
) -> Estimate | None:
    """`estimate` for a job of the app or the command line: `config` as `train` will run
    it on `ds` (its idle frame limit dropped), with what is left of the store to build."""
    from handclf_core.training.splits import effective

    frames = ds.hand_frames()
    c = effective(config.resolved(), frames)
    data = data_seconds(ds, c.preprocessing(), other=other)
    return estimate(c, frames, runs, device, other=other, start=start, data=data)
