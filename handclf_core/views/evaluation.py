"""Charts of stored runs' accuracy on the test split, for the Compare page (pure Altair);
each class's recall and precision-recall curves are in `views.per_class`.

Each takes `runs.Run` records and `lang` ("en" or "zh_TW"): titles come from the catalogue,
and the labels a chart shows (runs, classes, sources) are translated in the data it holds;
the raw ids stay beside them in columns ending in "_id" or "_name".
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import altair as alt
import pandas as pd

from handclf_core import i18n
from handclf_core.i18n import N_
from handclf_core.runs.record import Run
from handclf_core.runs.report import REPORT_ROWS
from handclf_core.views import labels
from handclf_core.views.confidence import Setting, accuracy_frame, as_settings, setting_labels
from handclf_core.views.runs import validation_accuracy
from handclf_core.vocab import Split, Task

# The accuracy chart's bars by source id: colour, and the catalogue key of the legend.
SOURCES = {
    "run": ("#4c78a8", N_("compare.source.run")),
    "report_test": ("#9ecae9", N_("compare.source.report_test")),
    "report_train": ("#e45756", N_("compare.source.report_train")),
}


# Room beyond 100% for a bar's figure ("100.0%" at the room's text size), whatever the
# chart's width: "92.0%" ran past a narrow chart's edge.
BEYOND_100 = {"expr": f"1 + ({labels.TEXT_SIZE.name} * 3.6 + 10) / width"}


def _accuracy_x(t, field: str = "accuracy:Q") -> alt.X:
    """The shared accuracy axis: 0 to 100%, and room for a figure beyond (the chart must
    add the `labels.TEXT_SIZE` parameter)."""
    return alt.X(field, title=t("compare.chart.accuracy"),
                 axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1]),
                 scale=alt.Scale(domain=[0, BEYOND_100]))  # fmt: skip


def accuracy_chart(runs, *, report: bool = False, lang: str = "en") -> alt.LayerChart:
    """Horizontal bars of test accuracy per setting (`views.confidence.Setting`; plain runs
    are one setting each): the mean over its seeds, a black bar across it for its 95%
    interval over test recordings, a dot per seed when it has several; a dashed rule across
    each bar marks the majority baseline of that bar's own frames (runs with --limit see
    fewer test frames). With report=True, the report's figures are added as reference bars,
    the 92% one flagged. Names, sources and classes are shown in `lang`; "source_id" keeps
    the source's id.
    """
    t = i18n.translator(lang)
    df = accuracy_frame(as_settings(runs), lang)
    if report:
        df = pd.concat([df, pd.DataFrame([
            {
                "name": t("compare.report_bar", model=t(row.title)),
                "accuracy": row.accuracy,
                "source_id": "report_train" if row.split == Split.TRAIN else "report_test",
                "interval": f"{row.accuracy:.1%}",
                "baseline": row.baseline,
                "baseline class": i18n.class_name(lang, Task.OBJ, "free"),
                "seeds": [],
            }
            for row in REPORT_ROWS
        ])], ignore_index=True)  # fmt: skip
    df["source"] = [t(SOURCES[s][1]) for s in df["source_id"]]
    # The figure is written clear of the dashed rule and of the interval's bar.
    df["label at"] = df[["accuracy", "baseline", "high"]].max(axis=1)
    several = df[df["seeds"].map(len) > 1]
    seeds = several[["name", "seeds"]].explode("seeds").rename(columns={"seeds": "seed"})
    seeds["seed"] = seeds["seed"].astype(float)
    run_title = t("compare.chart.run")
    y = alt.Y("name:N", title=run_title, sort=list(df["name"]), axis=labels.axis(df["name"]))
    base = alt.Chart(df).encode(
        y=y,
        tooltip=[
            alt.Tooltip("name:N", title=run_title),
            alt.Tooltip("interval:N", title=t("compare.chart.accuracy_interval")),
            alt.Tooltip("baseline:Q", format=".1%", title=t("compare.chart.always_majority")),
            alt.Tooltip("baseline class:N", title=t("compare.chart.majority_class")),
            alt.Tooltip("source:N", title=t("compare.chart.source")),
        ],
    )
    bars = base.mark_bar().encode(
        x=_accuracy_x(t),
        color=alt.Color(
            "source:N",
            title=None,
            legend=labels.legend([t(key) for _, key in SOURCES.values()], orient="bottom"),
            scale=alt.Scale(
                domain=[t(key) for _, key in SOURCES.values()],
                range=[colour for colour, _ in SOURCES.values()],
            ),
        ),
    )
    # One title on the shared axis: layers with other titles would join theirs to it.
    shared = t("compare.chart.accuracy")
    text = base.mark_text(align="left", dx=6).encode(
        x=alt.X("label at:Q", title=shared), text=alt.Text("accuracy:Q", format=".1%")
    )
    rule = base.mark_rule(color="black", strokeDash=[5, 3], strokeWidth=2).encode(
        x=alt.X("baseline:Q", title=shared)
    )
    error = base.mark_rule(color="black", strokeWidth=2).encode(
        x=alt.X("low:Q", title=shared), x2="high:Q"
    )
    dots = (
        alt.Chart(seeds)
        .mark_point(shape="circle", filled=True, color="#f58518", size=60, opacity=0.9)
        .encode(
            y=y,
            x=alt.X("seed:Q", title=shared),
            tooltip=[alt.Tooltip("name:N", title=run_title),
                     alt.Tooltip("seed:Q", format=".1%", title=t("compare.chart.one_seed"))],
        )
    )  # fmt: skip
    return (
        alt.layer(bars, rule, error, dots, text)
        .add_params(labels.TEXT_SIZE)
        .properties(height=labels.step(df["name"], 28), title=t("compare.chart.accuracy_title"))
    )


# The splits chart's bars, in order: colour and the catalogue key of the legend.
SPLITS = {
    "train": ("#e45756", N_("compare.split.train")),
    "validation": ("#f2a541", N_("compare.split.validation")),
    "test": ("#4c78a8", N_("compare.split.test")),
}


def seed_range(values: list[float]) -> str:
    """ "52.1–58.4%" over a setting's seeds; "" for one seed."""
    return f"{min(values) * 100:.1f}–{max(values):.1%}" if len(values) > 1 else ""


def splits_chart(runs: Sequence[Setting | Run], lang: str = "en") -> alt.LayerChart:
    """Train, validation and test accuracy side by side per setting (`views.confidence.
    Setting`, its seeds pooled; a plain run is a setting of its own): with a random 20% of
    the frames held out, validation sits near train and far above test (neighbouring frames
    are near-identical), while a held-out recording validates as the test split will score.
    Each bar is the mean over the setting's seeds, with a dot per seed when it has several;
    a setting without validation shows two bars. "split_id" keeps each bar's split id."""
    t = i18n.translator(lang)
    found = as_settings(runs)
    rows, dots = [], []
    for label, s in zip(setting_labels(found, lang), found, strict=True):
        values = {
            "train": [r.train_accuracy for r in s.runs],
            "validation": [v for r in s.runs if (v := validation_accuracy(r)) is not None],
            "test": [r.test.accuracy for r in s.runs],
        }
        held = i18n.name(s.run.config.validation, lang)
        for split, seeds in values.items():
            if not seeds:
                continue
            shown = t(SPLITS[split][1])
            rows.append(
                {
                    "name": label,
                    "split_id": split,
                    "split": shown,
                    "accuracy": statistics.fmean(seeds),
                    "validation": held,
                    "seeds": seed_range(seeds),
                }
            )
            if len(seeds) > 1:
                dots += [{"name": label, "split": shown, "seed": v} for v in seeds]
    df = pd.DataFrame(rows)
    order = [t(key) for _, key in SPLITS.values()]
    run_title = t("compare.chart.run")
    y = alt.Y(
        "name:N",
        title=run_title,
        sort=list(dict.fromkeys(df["name"])),
        axis=labels.axis(df["name"]),
    )
    offset = alt.YOffset("split:N", sort=order, scale=alt.Scale(domain=order))
    mean = t("compare.chart.mean_accuracy") if dots else t("compare.chart.accuracy")
    tooltip = [
        alt.Tooltip("name:N", title=run_title),
        alt.Tooltip("split:N", title=t("compare.chart.split")),
        alt.Tooltip("accuracy:Q", format=".1%", title=mean),
        alt.Tooltip("validation:N", title=t("compare.chart.validation")),
    ]
    if dots:
        tooltip.append(alt.Tooltip("seeds:N", title=t("compare.chart.seeds_range")))
    bars = (
        alt.Chart()  # the layer's data: `chart.data` holds the bars' rows
        .mark_bar()
        .encode(
            y=y,
            yOffset=offset,
            x=_accuracy_x(t),
            color=alt.Color(
                "split:N",
                title=None,
                sort=order,
                scale=alt.Scale(domain=order, range=[c for c, _ in SPLITS.values()]),
                legend=labels.legend(order, orient="bottom"),
            ),
            tooltip=tooltip,
        )
    )
    layers = [bars]
    if dots:  # a setting of several seeds: where each seed's figure fell
        seeds = pd.DataFrame(dots)
        layers.append(
            alt.Chart(seeds)
            .mark_point(shape="circle", filled=True, color="black", size=40, opacity=0.8)
            .encode(
                y=y,
                yOffset=offset,
                x=alt.X("seed:Q", title=t("compare.chart.accuracy")),
                tooltip=[
                    alt.Tooltip("name:N", title=run_title),
                    alt.Tooltip("split:N", title=t("compare.chart.split")),
                    alt.Tooltip("seed:Q", format=".1%", title=t("compare.chart.seed_accuracy")),
                ],
            )
        )
    # A setting's bars (two or three: the splits there are) as tall as its name's lines.
    return (
        alt.layer(*layers, data=df)
        .add_params(labels.TEXT_SIZE)
        .properties(
            height=labels.step(df["name"], 12, bars=df["split"].nunique()),
            title=t("compare.chart.splits_title"),
        )
    )
