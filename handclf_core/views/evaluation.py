"""Charts of stored runs on the test split, for the Compare page (pure Altair).

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


def _spread(values: list[float]) -> str:
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
                    "seeds": _spread(seeds),
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
                        "seeds": _spread(recalls),
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
