"""The Compare page's table and charts, on synthetic run dicts shaped like run.json."""

import hashlib
import subprocess
import sys
from pathlib import Path

import altair as alt
import numpy as np
import pytest

from handclf_core import compare
from handclf_core.evaluate import evaluate_predictions

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ["free", "cup", "pen", "book"]  # "book" never in the test frames


def _run(model, *, created, seed, train_accuracy=0.9, prep=None, limit=None, name=None):
    """A run dict as `train` stores it, with real metrics of random predictions."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=60, p=[0.6, 0.3, 0.1])  # (60,) ids 0..2
    probs = rng.dirichlet(np.ones(len(CLASSES)), size=60)  # (60, 4)
    probs[np.arange(60)[:40], y[:40]] += 1  # right on two thirds of the frames
    probs /= probs.sum(1, keepdims=True)
    prep = prep or {"size": 32, "gray": False, "flip_right": False, "crop": False}
    return {
        "name": name or f"{model}-obj-{hashlib.sha256(bytes([seed])).hexdigest()[:12]}",
        "path": f"/runs/{model}-{seed}",
        "created": created,
        "config": {"model": model, "task": "obj", "epochs": 3, "limit": limit, "balance": "none"},
        "classes": CLASSES,
        "preprocessing": prep,
        "params": 1234567,
        "metrics": {
            "test": evaluate_predictions(y, probs, CLASSES, majority_class=0),
            "train_accuracy": train_accuracy,
        },
        "timings": {"seconds": 12.5, "images_per_second": 800.0},
        "environment": {"device": "CPU (2 cores)"},
    }


@pytest.fixture(scope="module")
def runs():
    gray = {"size": 28, "gray": True, "flip_right": False, "crop": False}
    alex = {"size": 227, "gray": False, "flip_right": True, "crop": True}
    return [  # newest first, as list_runs gives them
        _run("mnist", created="2026-01-03", seed=1, prep=gray),
        _run("alexnet", created="2026-01-02", seed=2, prep=alex, train_accuracy=0.99),
        _run("cnn_basic", created="2026-01-01", seed=3, limit=200),
        _run("cnn_basic", created="2026-01-00", seed=4, limit=200),
    ]


def test_runs_table_columns_and_values(runs):
    table = compare.runs_table(runs)
    assert list(table.columns) == compare.TABLE_COLUMNS and len(table) == len(runs)
    alex = table.iloc[1]
    test = runs[1]["metrics"]["test"]
    assert alex["model"] == "AlexNet" and alex["test accuracy"] == test["accuracy"]
    assert alex["majority baseline"] == test["majority_baseline"]["accuracy"]
    assert alex["balanced accuracy"] == test["balanced_accuracy"]
    assert alex["macro-F1"] == test["macro_f1"]
    assert alex["gap"] == pytest.approx(0.99 - test["accuracy"])
    assert alex["preprocessing"] == "227x227 RGB, right mirrored, cropped"
    assert table.iloc[0]["preprocessing"] == "28x28 gray, squashed"
    assert table.iloc[0]["model"] == "Mnist-style CNN"
    assert (alex["params"], alex["device"], alex["epochs"]) == (1234567, "CPU (2 cores)", 3)
    assert alex["training time (s)"] == 12.5 and alex["images/s"] == 800.0
    assert list(table["run name"]) == [r["name"] for r in runs]


def test_run_labels_are_readable_and_unique(runs):
    labels = compare.run_labels(runs)
    assert labels[0] == "Mnist-style CNN (3 ep)"
    # Two cnn_basic runs of the same settings: told apart by their keys.
    assert labels[2].startswith("CNN_basic (3 ep, ≤200 frames) #") and labels[2] != labels[3]
    assert len(set(labels)) == len(labels)


def test_latest_per_model_in_registry_order(runs):
    latest = compare.latest_per_model(runs)
    assert [r["config"]["model"] for r in latest] == ["cnn_basic", "mnist", "alexnet"]
    assert latest[0] is runs[2]  # the newer of the two cnn_basic runs


def test_report_rows_are_the_reports_figures():
    rows = {(r["model"], r["split"]): r for r in compare.REPORT_ROWS}
    assert rows["CNN_basic", "test"]["accuracy"] == 0.529
    assert rows["Mnist-style CNN", "test"]["accuracy"] == 0.501
    assert rows["AlexNet", "test"]["accuracy"] == 0.542
    train = [r for r in compare.REPORT_ROWS if r["split"] == "train"]
    assert len(train) == 1 and train[0]["accuracy"] == 0.92
    assert "trained on" in train[0]["note"] and "54.2%" in train[0]["note"]
    assert len(compare.report_table()) == len(compare.REPORT_ROWS)


@pytest.mark.parametrize("report", [False, True])
def test_accuracy_chart_has_bars_and_baseline(runs, report):
    chart = compare.accuracy_chart(runs, report=report)
    assert isinstance(chart, alt.LayerChart)
    marks = [
        layer.mark if isinstance(layer.mark, str) else layer.mark.type for layer in chart.layer
    ]
    assert marks == ["bar", "rule", "text"]
    data = chart.data
    ours = data[data.source == compare.RUN_SOURCE]
    assert list(ours.accuracy) == [r["metrics"]["test"]["accuracy"] for r in runs]
    assert list(ours.baseline) == [
        r["metrics"]["test"]["majority_baseline"]["accuracy"] for r in runs
    ]
    flagged = data[data.source == compare.REPORT_TRAIN]
    assert len(data) == len(runs) + (len(compare.REPORT_ROWS) if report else 0)
    assert list(flagged.accuracy) == ([0.92] if report else [])
    chart.to_dict()  # a valid Vega-Lite spec


def test_recall_heatmap_covers_every_run_and_present_class(runs):
    chart = compare.recall_heatmap(runs)
    data = chart.data
    assert set(data["run"]) == set(compare.run_labels(runs))
    assert set(data["class"]) == {"free", "cup", "pen"}  # "book" has no test frames
    assert len(data) == 3 * len(runs)
    chart.to_dict()


def test_confusion_chart_counts_every_test_frame(runs):
    run = runs[0]
    chart = compare.confusion_chart(run)
    data = chart.data
    assert data["frames"].sum() == run["metrics"]["test"]["frames"]
    rows = data.groupby("true")["share of row"].sum()
    assert rows[rows > 0].to_numpy() == pytest.approx(1.0)
    chart.to_dict()


def test_pr_chart_one_line_per_class_with_ap(runs):
    run = runs[1]
    chart = compare.pr_chart(run)
    curves = run["metrics"]["test"]["pr_curves"]
    names = set(chart.data["class"])
    assert len(names) == len(curves)
    for cls, c in curves.items():
        assert f"{cls} (AP {c['average_precision']:.2f})" in names
    chart.to_dict()


def test_the_compare_page_imports_no_tensorflow():
    # The page lists runs from JSON: it must open instantly, without Keras or TensorFlow.
    code = (
        "import sys, app_state, handclf_core.compare, handclf_core.runs;"
        "heavy = {'tensorflow', 'keras'} & set(sys.modules); assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
