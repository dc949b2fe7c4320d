"""Why one picture's answer may mean little: the picture is far from what the model trained
on. Each doubt is a vocabulary term (`vocab.Doubt`), named in the reader's language."""

from __future__ import annotations

from handclf_core.runs.record import Run
from handclf_core.vocab import Doubt, PictureSource

FRAME_ASPECT = 16 / 9  # a HandCam frame's width / height
ASPECT_TOLERANCE = 1.5  # a picture's aspect this many times off a frame's is a doubt


def doubts(picture, run: Run, source: PictureSource) -> list[Doubt]:
    """Why `run`'s answer for a decoded picture may mean little: a picture smaller than the
    model's input, an aspect far from a frame's 16:9, or a photograph (uploaded or from the
    camera) shown to a model that learnt the built-in sample's drawn pictures."""
    width, height = picture.size
    found = []
    if min(width, height) < run.preprocessing.size:
        found.append(Doubt.SMALL)
    aspect = width / height
    if max(aspect / FRAME_ASPECT, FRAME_ASPECT / aspect) > ASPECT_TOLERANCE:
        found.append(Doubt.ASPECT)
    if run.dataset.sample and source != PictureSource.FRAME:
        found.append(Doubt.SYNTHETIC)
    return found
