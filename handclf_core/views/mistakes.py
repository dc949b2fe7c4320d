"""Looking inside one run (pure Altair): its confusion matrix, where a click on a cell
chooses the frames shown behind it, and the map of its test frames' features. Names in
`lang` ("en" or "zh_TW")."""

from __future__ import annotations

import altair as alt
import pandas as pd

from handclf_core import i18n
from handclf_core.runs.record import Run
from handclf_core.views import labels

CELL = "cell"  # the confusion chart's click selection: Streamlit reports it under this name


def confusion_chart(
    run: Run, lang: str = "en", chosen: tuple[str, str] | None = None, *, narrow: bool = False
):
    """The confusion matrix of one run: rows true class, columns predicted; the colour is
    the share of the row (so rare classes are visible beside `free`), the text the count.
    Classes neither in the test frames nor ever predicted are left out. Classes are named
    in `lang`. `chosen`, a (true, predicted) pair of class ids, is outlined; a click on a
    cell selects it (the selection `CELL`, its fields `true_id` and `predicted_id`).
    `narrow` (a narrow room, where 24 names side by side were drawn over each other): the
    rows numbered ("3 · ruler"), the columns by those numbers."""
    t = i18n.translator(lang)
    classes, matrix = run.classes, run.test.confusion_matrix
    names = [i18n.class_name(lang, run.task, c) for c in classes]
    used = [i for i in range(len(classes)) if sum(matrix[i]) or sum(row[i] for row in matrix)]
    rows = []
    for i in used:
        total = sum(matrix[i])
        for j in used:
            n = matrix[i][j]
            rows.append(
                {
                    "true": names[i],
                    "predicted": names[j],
                    "true_id": classes[i],
                    "predicted_id": classes[j],
                    "frames": n,
                    "share of row": n / total if total else 0.0,
                    "chosen": (classes[i], classes[j]) == chosen,
                }
            )
    df = pd.DataFrame(rows)
    order = [names[i] for i in used]
    true_title, predicted_title = t("compare.chart.true_class"), t("compare.chart.predicted")
    if narrow:
        number = {name: k for k, name in enumerate(order, 1)}
        df["true_numbered"] = [f"{number[n]} · {n}" for n in df["true"]]
        df["predicted_number"] = df["predicted"].map(number)
        numbered = [f"{k} · {n}" for k, n in enumerate(order, 1)]
        x = alt.X("predicted_number:O", sort=list(number.values()),
                  title=t("compare.chart.predicted_numbered"),
                  axis=alt.Axis(labelAngle=0, orient="top"))  # fmt: skip
        y = alt.Y("true_numbered:N", sort=numbered, title=true_title,
                  axis=labels.axis(numbered))  # fmt: skip
    else:
        axis = labels.axis(order, title_above=False, width=1000, labelAngle=-45)
        x = alt.X("predicted:N", sort=order, title=predicted_title, axis=axis)
        y = alt.Y("true:N", sort=order, title=true_title, axis=labels.axis(order))
    base = alt.Chart(df).encode(x=x, y=y)
    # A pair that never happened stays white: only the cells with frames are coloured.
    cells = base.mark_rect(stroke="#eeeeee", strokeWidth=0.5).encode(
        color=alt.condition(
            "datum.frames > 0",
            alt.Color(
                "share of row:Q",
                scale=alt.Scale(domain=[0, 1], scheme="oranges"),
                title=t("compare.chart.share_of_row"),
            ),
            alt.value("white"),
        )
    )
    text = (
        base.transform_filter("datum.frames > 0")
        .mark_text(opacity=labels.fits(len(order), len(str(df["frames"].max()))))
        .encode(
            text="frames:Q",
            tooltip=alt.value(None),  # under the cell's own (the layer on top)
            color=alt.condition(
                "datum['share of row'] > 0.5", alt.value("white"), alt.value("black")
            ),
        )
    )
    outline = (
        base.transform_filter("datum.chosen")
        .mark_rect(fill=None, stroke="#1f77b4", strokeWidth=3)
        .encode()
    )
    # On top of the count, so that a click anywhere in a cell (its number too) selects it:
    # an all but transparent rectangle holding the selection and the tooltip.
    pick = alt.selection_point(name=CELL, fields=["true_id", "predicted_id"], toggle=False)
    hits = (
        base.mark_rect(fill="white", fillOpacity=0.001, cursor="pointer")
        .encode(
            tooltip=[
                alt.Tooltip("true:N", title=true_title),
                alt.Tooltip("predicted:N", title=predicted_title),
                alt.Tooltip("frames:Q", title=t("compare.chart.frames")),
                alt.Tooltip("share of row:Q", format=".1%", title=t("compare.chart.share_of_row")),
            ],
        )
        .add_params(pick)
    )
    # As wide as the page: 24 columns at a fixed width ran past a projector's page.
    return (
        alt.layer(cells, text, outline, hits)
        .add_params(labels.TEXT_SIZE)
        .properties(width="container", height=labels.step(order, 28))
    )


MAP_COLOURS = 20  # classes coloured in the embedding map (tableau20); the rest share grey


def embedding_chart(embedding, predictions, run: Run, lang: str = "en") -> alt.Chart:
    """A run's test frames as points of its `embedding` (`embedding.embed`), coloured by
    their true class (the MAP_COLOURS most frequent; the others grey), a dot where the model
    was right and a cross where it was wrong. Classes are named in `lang`."""
    t = i18n.translator(lang)
    method = i18n.name(embedding.method, lang)
    pos = embedding.positions
    true = predictions.true[pos]
    predicted = predictions.predicted[pos]
    counts = pd.Series(true).value_counts()
    coloured = set(counts.index[:MAP_COLOURS])
    other = t("compare.chart.other_classes")
    df = pd.DataFrame(
        {
            "x": embedding.points[:, 0],
            "y": embedding.points[:, 1],
            "class": [
                i18n.class_name(lang, run.task, run.classes[c]) if c in coloured else other
                for c in true
            ],
            "true": [i18n.class_name(lang, run.task, run.classes[c]) for c in true],
            "predicted": [i18n.class_name(lang, run.task, run.classes[c]) for c in predicted],
            "answer": [
                t("compare.chart.right") if a == b else t("compare.chart.wrong")
                for a, b in zip(true, predicted, strict=True)
            ],
        }
    )
    order = [i18n.class_name(lang, run.task, run.classes[c]) for c in counts.index[:MAP_COLOURS]]
    rest = [other] if len(counts) > MAP_COLOURS else []  # "other classes" only when there are
    palette = alt.Scale(
        domain=[*order, *rest], range=[*TABLEAU20[: len(order)], *["#bbbbbb"] * len(rest)]
    )
    pick = alt.selection_point(fields=["class"], bind="legend", on="pointerover",
                               clear="pointerout")  # fmt: skip
    return (
        alt.Chart(df)
        .mark_point(filled=True, size=40)
        .encode(
            # Axes without numbers: t-SNE's have no units, PCA's only relative ones.
            x=alt.X(
                "x:Q",
                title=t("compare.chart.map_axis", method=method, axis=1),
                axis=alt.Axis(labels=False, ticks=False, grid=False),
            ),
            y=alt.Y(
                "y:Q",
                title=t("compare.chart.map_axis", method=method, axis=2),
                axis=alt.Axis(labels=False, ticks=False, grid=False),
            ),
            color=alt.Color(
                "class:N",
                scale=palette,
                legend=labels.legend(
                    [*order, *rest],
                    title=t("compare.chart.true_class"),
                    symbolLimit=0,
                    columns=2,
                    orient="right",
                ),  # fmt: skip
            ),
            shape=alt.Shape(
                "answer:N",
                scale=alt.Scale(
                    domain=[t("compare.chart.right"), t("compare.chart.wrong")],
                    range=["circle", "cross"],
                ),
                legend=alt.Legend(title=t("compare.chart.answer")),
            ),
            opacity=alt.condition(pick, alt.value(0.85), alt.value(0.12)),
            tooltip=[
                alt.Tooltip("true:N", title=t("compare.chart.true_class")),
                alt.Tooltip("predicted:N", title=t("compare.chart.predicted")),
            ],
        )
        .add_params(pick)
        .properties(height=520)
    )


# Vega's tableau20, in its order: ten hues, each dark then light.
TABLEAU20 = [
    "#4c78a8", "#9ecae9", "#f58518", "#ffbf79", "#54a24b", "#88d27a", "#b79a20", "#f2cf5b",
    "#439894", "#83bcb6", "#e45756", "#ff9d98", "#79706e", "#bab0ac", "#d67195", "#fcbfd2",
    "#b279a2", "#d6a5c9", "#9e765f", "#d8b5a5",
]  # fmt: skip
