"""Stored runs side by side: one table row per run, and the Compare page's Altair charts.

Pure pandas and Altair over the run.json dicts of `runs.list_runs` (no TensorFlow, no
Streamlit), so the page lists runs in milliseconds and the CLI or a notebook can reuse it.
Every accuracy is shown beside the **majority baseline** of the same frames: on HandCam's
`obj` task, always answering `free` scores 50.09% on the test split.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from .models import list_models

# Readable names of the registry's models, as the assignment's report calls them.
MODEL_TITLES = {"cnn_basic": "CNN_basic", "mnist": "Mnist-style CNN", "alexnet": "AlexNet"}

# Colours of the accuracy chart's bars: runs here, and the report's figures for reference.
SOURCES = {
    "stored run: this dataset, test split": "#4c78a8",
    "report: real HandCam test split": "#9ecae9",
    "report: TRAINING split (not a test result)": "#e45756",
}
RUN_SOURCE, REPORT_TEST, REPORT_TRAIN = SOURCES

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


def model_title(model: str) -> str:
    return MODEL_TITLES.get(model, model)


def _label(run: dict) -> str:
    c = run["config"]
    extra = [f"{c['epochs']} ep"]
    if c.get("limit"):
        extra.append(f"≤{c['limit']} frames")
    if c.get("balance", "none") != "none":
        extra.append(c["balance"].replace("_", " "))
    return f"{model_title(c['model'])} ({', '.join(extra)})"


def run_labels(runs: list[dict]) -> list[str]:
    """A short readable name per run, made unique with the run's key where two collide."""
    labels = [_label(r) for r in runs]
    return [
        f"{lab} #{r['name'].rsplit('-', 1)[-1][:6]}" if labels.count(lab) > 1 else lab
        for lab, r in zip(labels, runs, strict=True)
    ]


def preprocessing_summary(prep: dict) -> str:
    """'32x32 RGB, squashed' / '227x227 RGB, right mirrored, cropped'."""
    parts = [f"{prep['size']}x{prep['size']} {'gray' if prep['gray'] else 'RGB'}"]
    if prep.get("flip_right"):
        parts.append("right mirrored")
    parts.append("cropped" if prep.get("crop") else "squashed")
    return ", ".join(parts)


def latest_per_model(runs: list[dict]) -> list[dict]:
    """The newest run of each model (runs come newest first), in the registry's order."""
    newest: dict[str, dict] = {}
    for run in runs:
        newest.setdefault(run["config"]["model"], run)
    order = {m: i for i, m in enumerate(list_models())}
    return sorted(newest.values(), key=lambda r: order.get(r["config"]["model"], len(order)))


TABLE_COLUMNS = [
    "run",
    "model",
    "test accuracy",
    "majority baseline",
    "balanced accuracy",
    "macro-F1",
    "train accuracy",
    "gap",
    "params",
    "training time (s)",
    "images/s",
    "device",
    "preprocessing",
    "epochs",
    "balance",
    "test frames",
    "created",
    "run name",
]


def runs_table(runs: list[dict]) -> pd.DataFrame:
    """One row per run: test metrics beside the baseline, over-fitting gap, cost, settings.

    Fractions stay fractions (0.529, not 52.9): the page formats them as percentages.
    """
    rows = []
    for label, run in zip(run_labels(runs), runs, strict=True):
        test, c = run["metrics"]["test"], run["config"]
        train_acc = run["metrics"].get("train_accuracy")
        rows.append(
            {
                "run": label,
                "model": model_title(c["model"]),
                "test accuracy": test["accuracy"],
                "majority baseline": test["majority_baseline"]["accuracy"],
                "balanced accuracy": test["balanced_accuracy"],
                "macro-F1": test["macro_f1"],
                "train accuracy": train_acc,
                "gap": None if train_acc is None else train_acc - test["accuracy"],
                "params": run.get("params"),
                "training time (s)": run["timings"]["seconds"],
                "images/s": run["timings"]["images_per_second"],
                "device": run["environment"]["device"],
                "preprocessing": preprocessing_summary(run["preprocessing"]),
                "epochs": c["epochs"],
                "balance": c.get("balance", "none"),
                "test frames": test["frames"],
                "created": run["created"],
                "run name": run["name"],
            }
        )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def report_table() -> pd.DataFrame:
    """The report's figures as a table (the page shows them apart from the stored runs)."""
    return pd.DataFrame(list(REPORT_ROWS))


def accuracy_chart(runs: list[dict], *, report: bool = False) -> alt.LayerChart:
    """Horizontal bars of test accuracy per run; a dashed rule across each bar marks the
    majority baseline of that bar's own frames (runs with --limit see fewer test frames).
    With report=True, the report's figures are added as reference bars, the 92% one flagged.
    """
    data = [
        {
            "name": lab,
            "accuracy": r["metrics"]["test"]["accuracy"],
            "source": RUN_SOURCE,
            "baseline": r["metrics"]["test"]["majority_baseline"]["accuracy"],
            "baseline class": r["metrics"]["test"]["majority_baseline"]["class"],
        }
        for lab, r in zip(run_labels(runs), runs, strict=True)
    ]
    if report:
        data += [
            {
                "name": f"report: {row['model']}",
                "accuracy": row["accuracy"],
                "source": REPORT_TRAIN if row["split"] == "train" else REPORT_TEST,
                "baseline": row["baseline"],
                "baseline class": "free",
            }
            for row in REPORT_ROWS
        ]
    df = pd.DataFrame(data)
    df["label at"] = df[["accuracy", "baseline"]].max(axis=1)  # clear of the dashed rule
    base = alt.Chart(df).encode(
        y=alt.Y("name:N", title=None, sort=None, axis=alt.Axis(labelLimit=320)),
        tooltip=[
            alt.Tooltip("name:N", title="run"),
            alt.Tooltip("accuracy:Q", format=".1%"),
            alt.Tooltip("baseline:Q", format=".1%", title="always the majority class"),
            alt.Tooltip("baseline class:N", title="majority class"),
            alt.Tooltip("source:N"),
        ],
    )
    bars = base.mark_bar().encode(
        x=alt.X(
            "accuracy:Q",
            title="accuracy",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        color=alt.Color(
            "source:N",
            title=None,
            legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400),
            scale=alt.Scale(domain=list(SOURCES), range=list(SOURCES.values())),
        ),
    )
    text = base.mark_text(align="left", dx=4).encode(
        x="label at:Q", text=alt.Text("accuracy:Q", format=".1%")
    )
    rule = base.mark_rule(color="black", strokeDash=[5, 3], strokeWidth=2).encode(x="baseline:Q")
    return alt.layer(bars, rule, text).properties(
        height=alt.Step(28), title="Accuracy; dashed: always answering the majority class"
    )


def recall_heatmap(runs: list[dict]) -> alt.LayerChart:
    """Per-class recall (rows: classes in id order, columns: runs): which classes each model
    finds at all. Classes with no test frames are left out (they have no recall)."""
    rows = []
    for label, run in zip(run_labels(runs), runs, strict=True):
        for c in run["metrics"]["test"]["per_class"]:
            if c["support"]:
                rows.append({"run": label, **c})
    df = pd.DataFrame(rows)
    order = list(dict.fromkeys(df.sort_values("class_id")["class"]))
    base = alt.Chart(df).encode(
        x=alt.X("run:N", title=None, sort=None, axis=alt.Axis(labelAngle=-20, labelLimit=240)),
        y=alt.Y("class:N", sort=order, title="true class", axis=alt.Axis(labelOverlap=False)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("recall:Q", scale=alt.Scale(domain=[0, 1], scheme="blues")),
        tooltip=[
            "run:N",
            "class:N",
            alt.Tooltip("recall:Q", format=".1%"),
            alt.Tooltip("precision:Q", format=".1%"),
            alt.Tooltip("support:Q", title="test frames"),
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
        height=alt.Step(18), width=alt.Step(160), title="Recall per class (share found)"
    )


def confusion_chart(run: dict) -> alt.LayerChart:
    """The confusion matrix of one run: rows true class, columns predicted; the colour is
    the share of the row (so rare classes are visible beside `free`), the text the count.
    Classes neither in the test frames nor ever predicted are left out."""
    classes, matrix = run["classes"], run["metrics"]["test"]["confusion_matrix"]
    used = [i for i in range(len(classes)) if sum(matrix[i]) or sum(row[i] for row in matrix)]
    rows = []
    for i in used:
        total = sum(matrix[i])
        for j in used:
            n = matrix[i][j]
            rows.append(
                {
                    "true": classes[i],
                    "predicted": classes[j],
                    "frames": n,
                    "share of row": n / total if total else 0.0,
                }
            )
    df = pd.DataFrame(rows)
    order = [classes[i] for i in used]
    base = alt.Chart(df).encode(
        x=alt.X("predicted:N", sort=order, axis=alt.Axis(labelAngle=-45, labelOverlap=False)),
        y=alt.Y("true:N", sort=order, axis=alt.Axis(labelOverlap=False)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("share of row:Q", scale=alt.Scale(domain=[0, 1], scheme="oranges")),
        tooltip=["true:N", "predicted:N", "frames:Q", alt.Tooltip("share of row:Q", format=".1%")],
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


def pr_chart(run: dict) -> alt.Chart:
    """Precision-recall curves of one run, one line per class with test frames; the legend
    names each class with its average precision (AP), best first. Click a legend entry to
    highlight that class."""
    rows, names = [], {}
    curves = run["metrics"]["test"]["pr_curves"]
    for cls, c in sorted(curves.items(), key=lambda kv: -kv[1]["average_precision"]):
        names[cls] = f"{cls} (AP {c['average_precision']:.2f})"
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
    return (
        alt.Chart(df)
        # Steps, as scikit-learn draws them: a straight line between two points of a PR
        # curve would claim precisions that no threshold reaches.
        .mark_line(interpolate="step-before")
        .encode(
            x=alt.X("recall:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            y=alt.Y("precision:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=alt.Color(
                "class:N",
                sort=list(names.values()),
                scale=alt.Scale(scheme="category20"),
                legend=alt.Legend(
                    title="class (average precision), click to highlight",
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
                "class:N",
                alt.Tooltip("average precision:Q", format=".2f"),
                alt.Tooltip("recall:Q", format=".1%"),
                alt.Tooltip("precision:Q", format=".1%"),
            ],
        )
        .add_params(pick)
        .properties(height=640)  # the legend below takes a third of it
    )
