"""The Train page's chart: loss and accuracy per epoch, train beside validation (Altair).

From a stored run's history or from a running job's epochs, so the live curves and the
stored ones are the same chart.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from handclf_core import i18n
from handclf_core.i18n import N_, name
from handclf_core.training.progress import Epoch
from handclf_core.vocab import Split

METRICS = {"loss": N_("train.loss"), "accuracy": N_("train.accuracy")}
SPLIT_ORDER = (Split.TRAIN, Split.VALIDATION)
SPLIT_COLOURS = ["#0072B2", "#E69F00"]


def curves_frame(history: dict[str, tuple[float, ...]] | list[Epoch], lang: str = "en"):
    """Loss and accuracy per epoch in long form: epoch, metric, split (its id), label (the
    split as shown in `lang`), value. `history` is a run's (`Run.history`: "loss",
    "val_loss", ... per epoch) or a job's list of `Epoch` events."""
    if isinstance(history, list):
        history = {k: [e.logs[k] for e in history] for k in (history[0].logs if history else {})}
    rows = [
        {"epoch": i + 1, "metric": key.removeprefix("val_"), "value": value,
         "split": Split.VALIDATION if key.startswith("val_") else Split.TRAIN}
        for key in ("loss", "accuracy", "val_loss", "val_accuracy")
        for i, value in enumerate(history.get(key, ()))
    ]  # fmt: skip
    for row in rows:
        row["label"] = name(row["split"], lang)
    return pd.DataFrame(rows, columns=["epoch", "metric", "split", "label", "value"])


def curves_chart(data: pd.DataFrame, metric: str, lang: str = "en") -> alt.Chart:
    """One metric ("loss" or "accuracy") of `curves_frame`, a line per split."""
    t = i18n.translator(lang)
    title = t(METRICS[metric])
    order = [name(s, lang) for s in SPLIT_ORDER]
    chart = alt.Chart(data[data.metric == metric], title=title, height=220)
    # Whole epochs; accuracy in percent, loss without trailing zeros: after one epoch the
    # axes have one value, which Vega would otherwise print as "1.000000".
    shown = ".1%" if metric == "accuracy" else ".3f"
    # One epoch axis for both charts, from every metric's epochs: side by side, the loss
    # chart is never an epoch ahead of the accuracy chart while a job logs its epochs.
    last = int(data.epoch.max()) if len(data) else 1
    epochs = alt.Scale(domain=[1, max(last, 2)], nice=False)
    return chart.mark_line(point=True).encode(
        x=alt.X(
            "epoch:Q",
            title=t("train.axis_epoch"),
            scale=epochs,
            axis=alt.Axis(tickMinStep=1, format="d"),
        ),  # fmt: skip
        y=alt.Y(
            "value:Q", title=title, axis=alt.Axis(format=".0%" if metric == "accuracy" else "~g")
        ),  # fmt: skip
        tooltip=[
            alt.Tooltip("label:N", title=t("compare.col.split")),
            alt.Tooltip("epoch:Q", format="d", title=t("train.axis_epoch")),
            alt.Tooltip("value:Q", format=shown, title=title),
        ],
        # Blue and orange of the Okabe-Ito palette: apart for every kind of colour vision.
        color=alt.Color(
            "label:N", title=None, sort=order, scale=alt.Scale(domain=order, range=SPLIT_COLOURS)
        ),
    )
