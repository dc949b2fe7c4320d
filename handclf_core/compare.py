"""Stored runs side by side: one table row per run, and the Compare page's Altair charts.

Pure pandas and Altair over the run.json dicts of `runs.list_runs` (no TensorFlow, no
Streamlit), so the page lists runs in milliseconds and the CLI or a notebook can reuse it.
Every accuracy is shown beside the **majority baseline** of the same frames: on HandCam's
`obj` task, always answering `free` scores 50.09% on the test split.

Every function that shows text takes `lang` ("en" or "zh_TW", see `i18n`): chart titles and
table headers come from the catalogue, and the labels a chart or table shows (run labels,
model titles, classes, sources, splits) are translated in the data it holds; in English they
are the ids the tests and the CLI know ("test accuracy", "stored run: this dataset, ...").
"""

from __future__ import annotations

import re

import altair as alt
import pandas as pd

from . import i18n
from .charts import split_name
from .i18n import N_
from .models import list_models

# Readable names of the registry's models, as the assignment's report calls them
# ("CNN_basic", "Mnist-style CNN", "AlexNet" in English).
MODEL_TITLES = {
    "cnn_basic": N_("compare.model.cnn_basic"),
    "mnist": N_("compare.model.mnist"),
    "alexnet": N_("compare.model.alexnet"),
}

# Colours of the accuracy chart's bars: runs here, and the report's figures for reference.
# The English names are the ids the chart data holds in English; SOURCE_NAMES translates them.
SOURCES = {
    "stored run: this dataset, test split": "#4c78a8",
    "report: real HandCam test split": "#9ecae9",
    "report: TRAINING split (not a test result)": "#e45756",
}
RUN_SOURCE, REPORT_TEST, REPORT_TRAIN = SOURCES
SOURCE_NAMES = {
    RUN_SOURCE: N_("compare.source.run"),
    REPORT_TEST: N_("compare.source.report_test"),
    REPORT_TRAIN: N_("compare.source.report_train"),
}

# The assignment report's own figures (task `obj`, both hands' frames): measured by the
# student on the REAL HandCam frames, so not comparable to runs on the built-in sample.
# "baseline" is always answering `free` on the same frames: 50.09% of the test split,
# 48.2% of the training split.
REPORT_ROWS: tuple[dict, ...] = (
    {"model": "CNN_basic", "input": "32x32 RGB", "accuracy": 0.529, "split": "test",
     "baseline": 0.5009, "note": "2.8 points above always answering 'free'"},
    {"model": "Mnist-style CNN", "input": "28x28 grayscale", "accuracy": 0.501, "split": "test",
     "baseline": 0.5009, "note": "the baseline itself: it learnt to answer 'free'"},
    {"model": "AlexNet", "input": "227x227 RGB, right hands mirrored", "accuracy": 0.542,
     "split": "test", "baseline": 0.5009, "note": "the best of the three, 4.1 points above"},
    {"model": "AlexNet (the report's '92%')", "input": "227x227 RGB, right hands mirrored",
     "accuracy": 0.92, "split": "train", "baseline": 0.482,
     "note": "measured on the frames it was trained on: memory, not generalisation; "
     "the same model scored 54.2% on the test split (a 38-point gap)"},
)  # fmt: skip
# The same rows' texts as catalogue keys, for the table and chart in the reader's language
# (the English catalogue holds REPORT_ROWS' texts).
REPORT_TEXTS: tuple[dict, ...] = (
    {"model": N_("compare.model.cnn_basic"), "input": N_("compare.report.input_cnn_basic"),
     "note": N_("compare.report.note_cnn_basic")},
    {"model": N_("compare.model.mnist"), "input": N_("compare.report.input_mnist"),
     "note": N_("compare.report.note_mnist")},
    {"model": N_("compare.model.alexnet"), "input": N_("compare.report.input_alexnet"),
     "note": N_("compare.report.note_alexnet")},
    {"model": N_("compare.report.model_alexnet_92"), "input": N_("compare.report.input_alexnet"),
     "note": N_("compare.report.note_alexnet_92")},
)  # fmt: skip
BALANCE_NAMES = {
    "none": N_("compare.balance.none"),
    "class_weight": N_("compare.balance.class_weight"),
    "oversample": N_("compare.balance.oversample"),
}


def model_title(model: str, lang: str = "en") -> str:
    """A model as the report names it: "Mnist-style CNN" for `mnist`; ids it does not know
    stay as they are."""
    return i18n.translate(lang, MODEL_TITLES[model]) if model in MODEL_TITLES else model


def balance_name(balance: str, lang: str = "en") -> str:
    """A class balancing option as shown (the ids in English): the Train and Compare pages'."""
    return i18n.translate(lang, BALANCE_NAMES[balance]) if balance in BALANCE_NAMES else balance


def _label(run: dict, lang: str) -> str:
    t = i18n.translator(lang)
    c = run["config"]
    extra = [t("compare.label.epochs", epochs=c["epochs"])]
    if c.get("limit"):
        extra.append(t("compare.label.limit", limit=c["limit"]))
    balance = c.get("balance", "none")
    if balance != "none":
        extra.append(balance_name(balance, lang).replace("_", " "))
    return t(
        "compare.label.run",
        model=model_title(c["model"], lang),
        details=t("compare.list_separator").join(extra),
    )


def run_labels(runs: list[dict], lang: str = "en") -> list[str]:
    """A short readable name per run, made unique with the run's key where two collide."""
    labels = [_label(r, lang) for r in runs]
    return [
        f"{lab} #{r['name'].rsplit('-', 1)[-1][:6]}" if labels.count(lab) > 1 else lab
        for lab, r in zip(labels, runs, strict=True)
    ]


def preprocessing_summary(prep: dict, lang: str = "en") -> str:
    """'32x32 RGB, squashed' / '227x227 RGB, right mirrored, cropped'."""
    t = i18n.translator(lang)
    size = prep["size"]
    parts = [
        t("compare.prep.gray", size=size) if prep["gray"] else t("compare.prep.rgb", size=size)
    ]
    if prep.get("flip_right"):
        parts.append(t("compare.prep.mirrored"))
    parts.append(t("compare.prep.cropped") if prep.get("crop") else t("compare.prep.squashed"))
    return t("compare.list_separator").join(parts)


def device_name(device: str, lang: str = "en") -> str:
    """The training device a run recorded ("CPU (2 cores)", "GPU x1: NVIDIA H100") in `lang`;
    a text of another form stays as it is."""
    t = i18n.translator(lang)
    if m := re.fullmatch(r"CPU \((\d+) cores\)", device):
        return t("compare.device.cpu", cores=int(m[1]))
    if m := re.fullmatch(r"GPU x(\d+): (.+)", device):
        return t("compare.device.gpu", count=int(m[1]), name=m[2])
    return device


def latest_per_model(runs: list[dict]) -> list[dict]:
    """The newest run of each model (runs come newest first), in the registry's order."""
    newest: dict[str, dict] = {}
    for run in runs:
        newest.setdefault(run["config"]["model"], run)
    order = {m: i for i, m in enumerate(list_models())}
    return sorted(newest.values(), key=lambda r: order.get(r["config"]["model"], len(order)))


# The runs table's columns: the English headers are the ids tests and notebooks use;
# TABLE_HEADERS names each in the reader's language.
TABLE_HEADERS = {
    "run": N_("compare.col.run"),
    "model": N_("compare.col.model"),
    "test accuracy": N_("compare.col.test_accuracy"),
    "majority baseline": N_("compare.col.majority_baseline"),
    "balanced accuracy": N_("compare.col.balanced_accuracy"),
    "macro-F1": N_("compare.col.macro_f1"),
    "train accuracy": N_("compare.col.train_accuracy"),
    "gap": N_("compare.col.gap"),
    "params": N_("compare.col.params"),
    "training time (s)": N_("compare.col.training_time"),
    "images/s": N_("compare.col.images_per_second"),
    "device": N_("compare.col.device"),
    "preprocessing": N_("compare.col.preprocessing"),
    "epochs": N_("compare.col.epochs"),
    "balance": N_("compare.col.balance"),
    "test frames": N_("compare.col.test_frames"),
    "created": N_("compare.col.created"),
    "run name": N_("compare.col.run_name"),
}
TABLE_COLUMNS = list(TABLE_HEADERS)
REPORT_HEADERS = {
    "model": N_("compare.col.model"),
    "input": N_("compare.col.input"),
    "accuracy": N_("compare.col.accuracy"),
    "split": N_("compare.col.split"),
    "baseline": N_("compare.col.baseline"),
    "note": N_("compare.col.note"),
}


def table_header(column: str, lang: str = "en") -> str:
    """How a column of `runs_table` or `report_table` is headed in `lang`."""
    key = TABLE_HEADERS.get(column) or REPORT_HEADERS.get(column)
    return i18n.translate(lang, key) if key else column


def runs_table(runs: list[dict], lang: str = "en") -> pd.DataFrame:
    """One row per run: test metrics beside the baseline, over-fitting gap, cost, settings.
    Headers and texts in `lang` (in English, the headers are TABLE_COLUMNS).

    Fractions stay fractions (0.529, not 52.9): the page formats them as percentages.
    """
    rows = []
    for label, run in zip(run_labels(runs, lang), runs, strict=True):
        test, c = run["metrics"]["test"], run["config"]
        train_acc = run["metrics"].get("train_accuracy")
        balance = c.get("balance", "none")
        rows.append(
            {
                "run": label,
                "model": model_title(c["model"], lang),
                "test accuracy": test["accuracy"],
                "majority baseline": test["majority_baseline"]["accuracy"],
                "balanced accuracy": test["balanced_accuracy"],
                "macro-F1": test["macro_f1"],
                "train accuracy": train_acc,
                "gap": None if train_acc is None else train_acc - test["accuracy"],
                "params": run.get("params"),
                "training time (s)": run["timings"]["seconds"],
                "images/s": run["timings"]["images_per_second"],
                "device": device_name(run["environment"]["device"], lang),
                "preprocessing": preprocessing_summary(run["preprocessing"], lang),
                "epochs": c["epochs"],
                "balance": balance_name(balance, lang),
                "test frames": test["frames"],
                "created": run["created"],
                "run name": run["name"],
            }
        )
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return table.rename(columns={c: table_header(c, lang) for c in TABLE_COLUMNS})


def _report_rows(lang: str) -> list[dict]:
    """REPORT_ROWS with their texts in `lang`."""
    t = i18n.translator(lang)
    return [
        {
            **row,
            **{field: t(key) for field, key in texts.items()},
            "split": split_name(row["split"], lang),
        }
        for row, texts in zip(REPORT_ROWS, REPORT_TEXTS, strict=True)
    ]


def report_table(lang: str = "en") -> pd.DataFrame:
    """The report's figures as a table (the page shows them apart from the stored runs),
    headers and texts in `lang`."""
    table = pd.DataFrame(_report_rows(lang), columns=list(REPORT_HEADERS))
    return table.rename(columns={c: table_header(c, lang) for c in REPORT_HEADERS})


def accuracy_chart(runs: list[dict], *, report: bool = False, lang: str = "en") -> alt.LayerChart:
    """Horizontal bars of test accuracy per run; a dashed rule across each bar marks the
    majority baseline of that bar's own frames (runs with --limit see fewer test frames).
    With report=True, the report's figures are added as reference bars, the 92% one flagged.
    Names, sources and classes are shown in `lang`; "source_id" keeps the English source.
    """
    t = i18n.translator(lang)
    data = [
        {
            "name": lab,
            "accuracy": r["metrics"]["test"]["accuracy"],
            "source_id": RUN_SOURCE,
            "baseline": r["metrics"]["test"]["majority_baseline"]["accuracy"],
            "baseline class": i18n.class_name(
                lang, r["config"]["task"], r["metrics"]["test"]["majority_baseline"]["class"]
            ),
        }
        for lab, r in zip(run_labels(runs, lang), runs, strict=True)
    ]
    if report:
        data += [
            {
                "name": t("compare.report_bar", model=row["model"]),
                "accuracy": row["accuracy"],
                "source_id": REPORT_TRAIN if row["split"] == "train" else REPORT_TEST,
                "baseline": row["baseline"],
                "baseline class": i18n.class_name(lang, "obj", "free"),
            }
            for row in _report_rows(lang)
        ]
    df = pd.DataFrame(data)
    df["source"] = [t(SOURCE_NAMES[s]) for s in df["source_id"]]
    df["label at"] = df[["accuracy", "baseline"]].max(axis=1)  # clear of the dashed rule
    base = alt.Chart(df).encode(
        y=alt.Y("name:N", title=None, sort=None, axis=alt.Axis(labelLimit=320)),
        tooltip=[
            alt.Tooltip("name:N", title=t("compare.chart.run")),
            alt.Tooltip("accuracy:Q", format=".1%", title=t("compare.chart.accuracy")),
            alt.Tooltip("baseline:Q", format=".1%", title=t("compare.chart.always_majority")),
            alt.Tooltip("baseline class:N", title=t("compare.chart.majority_class")),
            alt.Tooltip("source:N", title=t("compare.chart.source")),
        ],
    )
    bars = base.mark_bar().encode(
        x=alt.X(
            "accuracy:Q",
            title=t("compare.chart.accuracy"),
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        color=alt.Color(
            "source:N",
            title=None,
            legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400),
            scale=alt.Scale(
                domain=[t(SOURCE_NAMES[s]) for s in SOURCES], range=list(SOURCES.values())
            ),
        ),
    )
    text = base.mark_text(align="left", dx=4).encode(
        x="label at:Q", text=alt.Text("accuracy:Q", format=".1%")
    )
    rule = base.mark_rule(color="black", strokeDash=[5, 3], strokeWidth=2).encode(x="baseline:Q")
    return alt.layer(bars, rule, text).properties(
        height=alt.Step(28), title=t("compare.chart.accuracy_title")
    )


def recall_heatmap(runs: list[dict], lang: str = "en") -> alt.LayerChart:
    """Per-class recall (rows: classes in id order, columns: runs): which classes each model
    finds at all. Classes with no test frames are left out (they have no recall). Runs and
    classes are named in `lang`; "class_name" keeps the id name."""
    t = i18n.translator(lang)
    rows = []
    for label, run in zip(run_labels(runs, lang), runs, strict=True):
        task = run["config"]["task"]
        for c in run["metrics"]["test"]["per_class"]:
            if c["support"]:
                shown = i18n.class_name(lang, task, c["class"])
                rows.append({"run": label, **c, "class_name": c["class"], "class": shown})
    df = pd.DataFrame(rows)
    order = list(dict.fromkeys(df.sort_values("class_id")["class"]))
    base = alt.Chart(df).encode(
        x=alt.X("run:N", title=None, sort=None, axis=alt.Axis(labelAngle=-20, labelLimit=240)),
        y=alt.Y(
            "class:N",
            sort=order,
            title=t("compare.chart.true_class"),
            axis=alt.Axis(labelOverlap=False),
        ),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "recall:Q",
            scale=alt.Scale(domain=[0, 1], scheme="blues"),
            title=t("compare.chart.recall"),
        ),
        tooltip=[
            alt.Tooltip("run:N", title=t("compare.chart.run")),
            alt.Tooltip("class:N", title=t("compare.chart.class")),
            alt.Tooltip("recall:Q", format=".1%", title=t("compare.chart.recall")),
            alt.Tooltip("precision:Q", format=".1%", title=t("compare.chart.precision")),
            alt.Tooltip("support:Q", title=t("compare.chart.test_frames")),
        ],
    )
    # Figures only where something was found: the zeros read as blank cells.
    text = (
        base.transform_filter("datum.recall > 0")
        .mark_text(fontSize=10)
        .encode(
            text=alt.Text("recall:Q", format=".0%"),
            color=alt.condition("datum.recall > 0.5", alt.value("white"), alt.value("black")),
        )
    )
    return alt.layer(cells, text).properties(
        height=alt.Step(18), width=alt.Step(160), title=t("compare.chart.recall_title")
    )


def confusion_chart(run: dict, lang: str = "en") -> alt.LayerChart:
    """The confusion matrix of one run: rows true class, columns predicted; the colour is
    the share of the row (so rare classes are visible beside `free`), the text the count.
    Classes neither in the test frames nor ever predicted are left out. Classes are named
    in `lang`."""
    t = i18n.translator(lang)
    classes, matrix = run["classes"], run["metrics"]["test"]["confusion_matrix"]
    names = [i18n.class_name(lang, run["config"]["task"], c) for c in classes]
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
                    "frames": n,
                    "share of row": n / total if total else 0.0,
                }
            )
    df = pd.DataFrame(rows)
    order = [names[i] for i in used]
    true_title, predicted_title = t("compare.chart.true_class"), t("compare.chart.predicted")
    base = alt.Chart(df).encode(
        x=alt.X(
            "predicted:N",
            sort=order,
            title=predicted_title,
            axis=alt.Axis(labelAngle=-45, labelOverlap=False),
        ),
        y=alt.Y("true:N", sort=order, title=true_title, axis=alt.Axis(labelOverlap=False)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "share of row:Q",
            scale=alt.Scale(domain=[0, 1], scheme="oranges"),
            title=t("compare.chart.share_of_row"),
        ),
        tooltip=[
            alt.Tooltip("true:N", title=true_title),
            alt.Tooltip("predicted:N", title=predicted_title),
            alt.Tooltip("frames:Q", title=t("compare.chart.frames")),
            alt.Tooltip("share of row:Q", format=".1%", title=t("compare.chart.share_of_row")),
        ],
    )
    text = (
        base.transform_filter("datum.frames > 0")
        .mark_text(fontSize=9)
        .encode(
            text="frames:Q",
            color=alt.condition(
                "datum['share of row'] > 0.5", alt.value("white"), alt.value("black")
            ),
        )
    )
    return alt.layer(cells, text).properties(width=alt.Step(22), height=alt.Step(22))


def pr_chart(run: dict, lang: str = "en") -> alt.Chart:
    """Precision-recall curves of one run, one line per class with test frames; the legend
    names each class (in `lang`) with its average precision (AP), best first. Click a legend
    entry to highlight that class."""
    t = i18n.translator(lang)
    rows, names = [], {}
    curves = run["metrics"]["test"]["pr_curves"]
    task = run["config"]["task"]
    for cls, c in sorted(curves.items(), key=lambda kv: -kv[1]["average_precision"]):
        names[cls] = t(
            "compare.chart.class_ap",
            name=i18n.class_name(lang, task, cls),
            ap=c["average_precision"],
        )
        for p, r in zip(c["precision"], c["recall"], strict=True):
            rows.append(
                {
                    "class": names[cls],
                    "precision": p,
                    "recall": r,
                    "average precision": c["average_precision"],
                }
            )
    df = pd.DataFrame(rows)
    pick = alt.selection_point(fields=["class"], bind="legend")
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
                axis=alt.Axis(format="%"),
                title=recall,
            ),
            y=alt.Y(
                "precision:Q",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
                title=precision,
            ),
            color=alt.Color(
                "class:N",
                sort=list(names.values()),
                scale=alt.Scale(scheme="category20"),
                legend=alt.Legend(
                    title=t("compare.chart.pr_legend"),
                    orient="bottom",
                    columns=4,
                    symbolLimit=0,
                    labelLimit=200,
                    titleLimit=400,
                ),
            ),
            order="recall:Q",
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.12)),
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
        .properties(height=640)  # the legend below takes a third of it
    )
