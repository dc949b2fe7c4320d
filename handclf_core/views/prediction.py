"""One picture's answer as people read it: the top classes as bars, beside what always
answering the majority class would say (pure Altair, like the other views)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from handclf_core import i18n
from handclf_core.inside.predict import Prediction
from handclf_core.runs.record import Run
from handclf_core.views import labels

# Columns of a line (a Chinese character counts two) in a column of three models side by side
# on a projector: a class's name beside its bar, and the chart's title in its larger type.
NAME_WIDTH, TITLE_WIDTH = 18, 26


def top_chart(prediction: Prediction, run: Run, lang: str = "en", truth: str | None = None):
    """Horizontal bars of the top classes' probabilities, most probable first; the true
    class (when known) in its own colour; a dashed rule at the majority class's share of
    the test frames, with its name: a model whose top answer sits near that line, on that
    class, says little more than the class frequencies."""
    t = i18n.translator(lang)
    base = run.test.majority_baseline
    df = pd.DataFrame(
        {
            "class_name": [r.name for r in prediction.top],
            "class": [i18n.class_name(lang, run.task, r.name) for r in prediction.top],
            "probability": [r.probability for r in prediction.top],
            "true": [r.name == truth for r in prediction.top],
        }
    )
    df["kind"] = [t("predict.chart.true") if x else t("predict.chart.other") for x in df["true"]]
    kinds = [t("predict.chart.other"), t("predict.chart.true")]
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y("class:N", sort=None, title=None,
                    axis=labels.axis(df["class"], title_above=False, width=NAME_WIDTH)),
            # The same ticks in every column, 100% included, however narrow the column.
            x=alt.X("probability:Q", title=t("predict.chart.probability"),
                    axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1]),
                    scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("kind:N", title=None,
                            legend=labels.legend(kinds, orient="bottom") if truth else None,
                            scale=alt.Scale(domain=kinds, range=["#4c78a8", "#54a24b"])),
            tooltip=[alt.Tooltip("class:N", title=t("predict.col.class")),
                     alt.Tooltip("probability:Q", format=".1%",
                                 title=t("predict.chart.probability"))],
        )
    )  # fmt: skip
    share = pd.DataFrame(
        {"share": [base.accuracy],
         "label": [t("predict.chart.baseline", name=i18n.class_name(lang, run.task, base.name),
                     share=base.accuracy)]}
    )  # fmt: skip
    rule = (
        alt.Chart(share)
        .mark_rule(color="black", strokeDash=[5, 3], strokeWidth=2)
        .encode(
            x="share:Q", tooltip=alt.Tooltip("label:N", title=t("predict.chart.baseline_title"))
        )
    )
    # The dashed line's meaning as the chart's title, wrapped: a text mark beside the line
    # ran past a narrow column's edge (three models side by side).
    lines = labels.lines(share["label"][0], TITLE_WIDTH)
    title = alt.TitleParams(lines, anchor="start", fontWeight="normal", limit=0)
    height = labels.step(df["class"], 26, width=NAME_WIDTH)
    return alt.layer(bars, rule).properties(height=height, title=title)
