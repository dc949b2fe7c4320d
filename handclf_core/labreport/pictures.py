"""The frames behind a report's most frequent mistake: a few test frames of the most-confused
pair of classes, as small PNGs from the frame store, each with where it comes from and what
the model answered."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from handclf_core import i18n
from handclf_core.errors import HandCamError
from handclf_core.inside.mistakes import cells, check_store, frames_at
from handclf_core.labreport.document import Paragraph, Picture, Pictures
from handclf_core.runs.predictions import read_predictions
from handclf_core.runs.record import Run
from handclf_core.vocab import Hand

SHOWN = 4  # frames of the pair
SIZE = (240, 135)  # px: a 16:9 frame, small enough for four across an A4 page


def png(rgb: np.ndarray, size: tuple[int, int] = SIZE) -> bytes:
    """An (H, W, 3) uint8 frame as a PNG of `size`."""
    out = io.BytesIO()
    Image.fromarray(np.asarray(rgb)).resize(size, Image.Resampling.BILINEAR).save(
        out, format="PNG", optimize=True
    )
    return out.getvalue()


def most_confused(run: Run, store, lang: str = "en") -> list:
    """The blocks of the run's most frequent mistake: a sentence, and up to SHOWN of its
    test frames from `store` (None, or not the store the run was scored on: a sentence
    saying they are not shown)."""
    t = i18n.translator(lang)
    mistakes = [c for c in cells(run.test.confusion_matrix, run.classes) if c.mistake]
    if not mistakes:
        return [Paragraph(t("lab.no_mistakes"))]
    cell = mistakes[0]
    name = lambda c: i18n.class_name(lang, run.task, c)  # noqa: E731
    said = Paragraph(
        t(
            "lab.confused_text",
            true=name(cell.true),
            predicted=name(cell.predicted),
            frames=cell.frames,
        )
    )
    found = read_predictions(run)
    try:
        if store is None:
            raise HandCamError("no frame store")
        check_store(found, store.frames, run.task)
    except HandCamError:
        return [said, Paragraph(t("lab.no_frames"))]
    positions = found.cell(run.classes.index(cell.true), run.classes.index(cell.predicted))
    picked = positions[np.linspace(0, len(positions) - 1, min(SHOWN, len(positions))).astype(int)]
    shown = frames_at(found, picked, store.frames, run.classes)
    items = tuple(
        Picture(
            png(store.base[f.row]),
            t(
                "lab.frame_caption",
                recording=f.recording,
                hand=i18n.name(Hand(f.hand), lang),
                frame=f.frame,
                answer=name(f.top[0].name),
                share=f.top[0].probability,
            ),
        )
        for f in shown
    )
    return [said, Pictures("confused", items)]
