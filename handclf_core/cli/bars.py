"""The command line's progress bars (tqdm, on stderr): one fed by progress(done, total),
and one per stage of a training, fed by `train`'s events (in English)."""

from __future__ import annotations

import sys
from contextlib import contextmanager


@contextmanager
def progress_bar(desc: str, enabled: bool = True):
    """A tqdm bar on stderr, fed through a progress(done, total) callback."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:  # a resumed build starts where it stopped: its rate from there
            bar = tqdm(
                total=total,
                initial=done,
                desc=desc,
                unit="frame",
                file=sys.stderr,
                disable=not enabled,
            )
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


@contextmanager
def training_progress():
    """One progress bar per stage of training, fed by train()'s events (in English)."""
    from tqdm import tqdm

    from handclf_core.training.progress import Batch, Step, describe
    from handclf_core.vocab import Stage

    current: dict = {"stage": None, "bar": None}

    def bar_for(stage, desc: str, total: int | None, unit: str):
        if current["stage"] != stage:
            if current["bar"] is not None:
                current["bar"].close()
            current.update(
                stage=stage, bar=tqdm(desc=desc, total=total, unit=unit, file=sys.stderr)
            )
        return current["bar"]

    def update(event) -> None:
        if isinstance(event, Step) and event.total:  # decoding, resizing
            bar = bar_for(event.stage, describe(event), event.total, "frame")
            bar.update(event.done - bar.n)
        elif isinstance(event, Step):  # scoring: no count to show, one line says it
            if current["bar"] is not None:
                current["bar"].close()
                current.update(stage=None, bar=None)
            print(f"{describe(event)}…", file=sys.stderr, flush=True)
        elif isinstance(event, Batch):
            bar = bar_for(Stage.TRAINING, describe(Step(Stage.TRAINING)),
                          event.batches * event.epochs, "batch")  # fmt: skip
            bar.update((event.epoch - 1) * event.batches + event.batch - bar.n)
            bar.set_postfix(
                epoch=event.epoch,
                loss=f"{event.loss:.3f}",
                acc=f"{event.accuracy:.3f}",
                img_s=f"{event.images_per_second:.0f}",
            )

    try:
        yield update
    finally:
        if current["bar"] is not None:
            current["bar"].close()
