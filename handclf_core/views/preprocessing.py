"""What the Preprocessing page shows (pure Altair and pandas): the frames to preview, and
what each model's inputs cost in memory. Names in `lang` ("en" or "zh_TW")."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from handclf_core import i18n
from handclf_core.data.dataset import HandCamDataset
from handclf_core.data.images import BASE_SIZE, Preprocessing
from handclf_core.data.layout import HAND_CAMERAS
from handclf_core.i18n import model_name
from handclf_core.models import get_recipe, list_models
from handclf_core.views import labels
from handclf_core.views.data import human_bytes
from handclf_core.vocab import Split


def preview_frames(ds: HandCamDataset, per_hand: int = 2) -> pd.DataFrame:
    """Training frames of each hand holding an object, evenly spaced through the split: real
    pictures on which to show what preprocessing does (any frames if no hand holds one)."""
    hands = ds.hand_frames()
    held = hands[(hands.split == Split.TRAIN) & (hands.obj != 0)]
    held = held if len(held) else hands
    picks = []
    for camera in HAND_CAMERAS:
        part = held[held.camera == camera]
        if len(part):
            index = {(len(part) * (2 * k + 1)) // (2 * per_hand) for k in range(per_hand)}
            picks.append(part.iloc[sorted(index)])
    return pd.concat(picks).reset_index(drop=True)


def memory_frame(
    frames: int, inputs: dict[str, tuple[int, int, int]], *, lang: str = "en"
) -> pd.DataFrame:
    """Bytes that `frames` inputs of each (height, width, channels) uint8 shape take.

    Args:
        frames: how many frames (e.g. a whole split).
        inputs: a name per shape, e.g. {"alexnet 227x227x3": (227, 227, 3)}; the names are
            shown as they are (the page names them in its language).
        lang: the language of the page (sizes read "2.3 GB" in both).
    """
    rows = [
        (name, "x".join(map(str, shape)), int(frames * np.prod(shape)))
        for name, shape in inputs.items()
    ]
    df = pd.DataFrame(rows, columns=["input", "shape", "bytes"])
    df["size"] = df["bytes"].map(human_bytes)
    return df


def memory_inputs(prep: Preprocessing, *, lang: str = "en") -> dict[str, tuple[int, int, int]]:
    """The inputs the memory chart compares, named in `lang`: the chosen preprocessing's,
    each model's default, and the frame store's own frames."""
    t = i18n.translator(lang)
    inputs = {t("preprocessing.input.yours"): (prep.size, prep.size, prep.channels)}
    for model in list_models():
        r = get_recipe(model)
        shape = (r.input_size, r.input_size, r.channels)
        inputs[t("preprocessing.input.default", model=model_name(model, lang))] = shape
    inputs[t("preprocessing.input.store")] = (*BASE_SIZE[::-1], 3)
    return inputs


def memory_chart(
    df: pd.DataFrame, highlight: str | None = None, *, lang: str = "en"
) -> alt.LayerChart:
    """Bars of `memory_frame`'s bytes, each labelled with its size at its start (inside the
    chart in any room: beside the bar's end, "501.8 MB" ran past a narrow chart's edge);
    `highlight` in colour. As wide as its container."""
    t = i18n.translator(lang)
    base = alt.Chart(df).encode(
        y=alt.Y(
            "input:N",
            sort=list(df["input"]),
            title=t("charts.input"),
            axis=labels.axis(df["input"]),
        ),
        x=alt.X("bytes:Q", title=t("charts.bytes_uint8"), axis=alt.Axis(format="~s")),
        tooltip=[
            alt.Tooltip("input:N", title=t("charts.input")),
            alt.Tooltip("shape:N", title=t("charts.shape")),
            alt.Tooltip("size:N", title=t("charts.size")),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.when(alt.datum.input == (highlight or ""))
        .then(alt.value("#f58518"))
        .otherwise(alt.value("#9db4cf"))
    )
    text = base.mark_text(align="left", dx=4).encode(x=alt.datum(0), text="size:N")
    return (bars + text).properties(width="container", height=labels.step(df["input"], 28))
