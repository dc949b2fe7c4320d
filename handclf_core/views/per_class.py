"""Charts of each class in stored runs on the test split, for the Compare page (pure Altair):
which classes each model finds at all (recall by class and setting) and how precision trades
against recall for one run's classes. As in `views.evaluation`, titles come from the
catalogue in `lang` and the raw ids stay beside the translated labels.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import altair as alt
import pandas as pd

from handclf_core import i18n
from handclf_core.runs.record import Run
from handclf_core.views import labels
from handclf_core.views.confidence import Setting, as_settings, setting_labels
from handclf_core.views.evaluation import seed_range


def recall_heatmap(
    runs: Sequence[Setting | Run], lang: str = "en", *, narrow: bool = False
) -> alt.LayerChart:
    """Per-class recall (rows: settings, as `splits_chart`; columns: classes in id order):
    which classes each model finds at all. A setting of several seeds is one row, each
    cell the mean of its seeds' recalls, their lowest and highest in the tooltip. Classes
    with no test frames are left out (they have no recall). Settings and classes are named
    in `lang`; "class_name" keeps the id name. A row a setting, so that 11 settings (or 29)
    make the chart taller, not its columns too narrow for their names.

    `narrow` (a narrow room: 24 class names side by side were drawn over each other): a row
    a class, a column a setting, numbered as `setting_labels` lists them (the page lists the
    numbers' names; the tooltip names the setting)."""
    t = i18n.translator(lang)
    found = as_settings(runs)
    rows = []
    for label, s in zip(setting_labels(found, lang), found, strict=True):
        per_seed = [{c.name: c for c in r.test.per_class if c.support} for r in s.runs]
        for c in s.run.test.per_class:
            if c.support:
                seeds = [p[c.name] for p in per_seed if c.name in p]
                recalls = [x.recall for x in seeds]
                rows.append(
                    {
                        "run": label,
                        "class_id": c.class_id,
                        "class_name": c.name,
                        "class": i18n.class_name(lang, s.run.task, c.name),
                        "recall": statistics.fmean(recalls),
                        "precision": statistics.fmean(x.precision for x in seeds),
                        "support": c.support,
                        "seeds": seed_range(recalls),
                    }
                )
    df = pd.DataFrame(rows)
    order = list(dict.fromkeys(df.sort_values("class_id")["class"]))
    names = list(dict.fromkeys(df["run"]))
    several = any(len(s.runs) > 1 for s in found)
    if narrow:
        df["number"] = df["run"].map({n: i for i, n in enumerate(names, 1)})
        numbers = list(range(1, len(names) + 1))
        base = alt.Chart(df).encode(
            x=alt.X("number:O", sort=numbers, title=t("compare.chart.setting_number"),
                    axis=alt.Axis(labelAngle=0, orient="top")),
            y=alt.Y("class:N", sort=order, title=t("compare.chart.true_class"),
                    axis=labels.axis(order)),
        )  # fmt: skip
    else:
        base = alt.Chart(df).encode(
            # Every class's and every setting's name, in full: a dropped or shortened name
            # makes two rows or columns read as one.
            x=alt.X("class:N", sort=order, title=t("compare.chart.true_class"),
                    axis=labels.axis(order, title_above=False, width=1000, labelAngle=-45)),
            y=alt.Y("run:N", sort=None, title=t("compare.chart.run"), axis=labels.axis(names)),
        )  # fmt: skip
    recall = t("compare.chart.mean_recall") if several else t("compare.chart.recall")
    tooltip = [
        alt.Tooltip("run:N", title=t("compare.chart.run")),
        alt.Tooltip("class:N", title=t("compare.chart.class")),
        alt.Tooltip("recall:Q", format=".1%", title=recall),
        alt.Tooltip("precision:Q", format=".1%", title=t("compare.chart.precision")),
        alt.Tooltip("support:Q", title=t("compare.chart.test_frames")),
    ]
    if several:
        tooltip.append(alt.Tooltip("seeds:N", title=t("compare.chart.seeds_range")))
    cells = base.mark_rect().encode(
        color=alt.Color(
            "recall:Q",
            scale=alt.Scale(domain=[0, 1], scheme="blues"),
            title=t("compare.chart.recall"),
            legend=alt.Legend(format=".0%", orient="bottom", gradientLength=120)
            if narrow  # under the cells, short enough for a phone's plot
            else alt.Legend(format=".0%"),
        ),
        tooltip=tooltip,
    )
    # A figure in every cell, 0 too, where the cells are wide enough for three digits (the
    # per cent sign in the title: "100%" in every cell left the figures out on a projector);
    # a blank cell among figures would read as "not measured". The same tooltip: pointing
    # at the figure would otherwise show the raw fields ("0.918744228994").
    text = (
        base.transform_calculate(percent="datum.recall * 100")
        .mark_text(opacity=labels.fits(len(names) if narrow else len(order), 3))
        .encode(
            tooltip=tooltip,
            text=alt.Text("percent:Q", format=".0f"),
            color=alt.condition("datum.recall > 0.5", alt.value("white"), alt.value("black")),
        )
    )
    title = t("compare.chart.recall_title_seeds") if several else t("compare.chart.recall_title")
    # As wide as the page, whatever the number of classes and settings.
    return (
        alt.layer(cells, text)
        .add_params(labels.TEXT_SIZE)
        .properties(
            height=labels.step(order if narrow else names, 24), width="container", title=title
        )
    )


PR_COLOURS = 10  # at most this many curves: beyond ten, colours repeat and cannot be told apart
PR_DEFAULT = 6  # curves shown until the reader picks


def pr_classes(run: Run) -> list[str]:
    """The classes with a precision-recall curve, most test frames first: the default pick
    is the first PR_DEFAULT."""
    support = {c.name: c.support for c in run.test.per_class}
    return sorted(run.test.pr_curves, key=lambda c: (-support[c], c))


def pr_chart(run: Run, lang: str = "en", classes: list[str] | None = None) -> alt.Chart:
    """Precision-recall curves of one run: one line for each of `classes` (at most
    PR_COLOURS, so that every colour is distinct; default: the PR_DEFAULT classes with most
    test frames). The legend names each class (in `lang`) with its average precision (AP),
    best first; pointing at a curve or its legend entry highlights it."""
    t = i18n.translator(lang)
    rows, names = [], {}
    chosen = (classes or pr_classes(run)[:PR_DEFAULT])[:PR_COLOURS]
    curves = {c: run.test.pr_curves[c] for c in chosen if c in run.test.pr_curves}
    for cls, c in sorted(curves.items(), key=lambda kv: -kv[1].average_precision):
        names[cls] = t(
            "compare.chart.class_ap",
            name=i18n.class_name(lang, run.task, cls),
            ap=c.average_precision,
        )
        for p, r in zip(c.precision, c.recall, strict=True):
            rows.append(
                {
                    "class": names[cls],
                    "precision": p,
                    "recall": r,
                    "average precision": c.average_precision,
                }
            )
    df = pd.DataFrame(rows)
    # Pointing at a curve or its legend entry brings it forward; a click keeps it so.
    pick = alt.selection_point(
        fields=["class"], bind="legend", on="pointerover", clear="pointerout"
    )
    recall, precision = t("compare.chart.recall"), t("compare.chart.precision")
    return (
        alt.Chart(df)
        # Steps, as scikit-learn draws them: a straight line between two points of a PR
        # curve would claim precisions that no threshold reaches.
        .mark_line(interpolate="step-before")
        .encode(
            x=alt.X(
                "recall:Q",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%"),
                title=recall,
            ),
            y=alt.Y(
                "precision:Q",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%"),
                title=precision,
            ),
            color=alt.Color(
                "class:N",
                sort=list(names.values()),
                scale=alt.Scale(scheme="tableau10"),  # ten colours, all distinct
                legend=labels.legend(
                    names.values(),
                    labels.WRAP,
                    title=t("compare.chart.pr_legend"),
                    orient="bottom",
                    columns=1,
                    symbolLimit=0,
                ),
            ),
            order="recall:Q",
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.2)),
            strokeWidth=alt.condition(pick, alt.value(3), alt.value(2)),
            tooltip=[
                alt.Tooltip("class:N", title=t("compare.chart.class")),
                alt.Tooltip(
                    "average precision:Q", format=".2f", title=t("compare.chart.average_precision")
                ),
                alt.Tooltip("recall:Q", format=".1%", title=recall),
                alt.Tooltip("precision:Q", format=".1%", title=precision),
            ],
        )
        .add_params(pick)
        .properties(height=480)
    )
