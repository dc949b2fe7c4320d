"""The Compare page's table and charts, on synthetic `Run` records with real metrics."""

import dataclasses
import hashlib
import subprocess
import sys
from pathlib import Path

import altair as alt
import numpy as np
import pytest

from handclf_core.runs.config import TrainConfig
from handclf_core.runs.device import Device, Environment
from handclf_core.runs.folders import default_per_model
from handclf_core.runs.metrics import evaluate_predictions
from handclf_core.runs.record import DatasetRef, FrameCounts, Run, Timings
from handclf_core.runs.report import REPORT_ROWS
from handclf_core.views import evaluation, mistakes, per_class
from handclf_core.views.runs import (
    RUN_COLUMNS,
    header,
    headline,
    report_table,
    run_labels,
    runs_table,
)
from handclf_core.vocab import DeviceKind, Split

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ("free", "cup", "pen", "book")  # "book" never in the test frames
CPU = Device(DeviceKind.CPU, 2, "", "tensorflow", False)


def make_run(model, *, created, seed, train_accuracy=0.9, limit=None, **config) -> Run:
    """A run as `train` stores it, with real metrics of random predictions."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=60, p=[0.6, 0.3, 0.1])  # (60,) ids 0..2
    probs = rng.dirichlet(np.ones(len(CLASSES)), size=60)  # (60, 4)
    probs[np.arange(60)[:40], y[:40]] += 1  # right on two thirds of the frames
    probs /= probs.sum(1, keepdims=True)
    c = TrainConfig(model=model, epochs=3, limit=limit, **config).resolved()
    return Run(
        name=f"{model}-obj-{hashlib.sha256(bytes([seed])).hexdigest()[:12]}",
        created=created,
        config=c,
        dataset=DatasetRef("abc", "/data", False),
        classes=CLASSES,
        input_shape=(c.size, c.size, 1 if c.gray else 3),
        params=1234567,
        frames=FrameCounts(100, 20, 60),
        history={"loss": (1.0, 0.5, 0.25)},
        test=evaluate_predictions(y, probs, CLASSES, majority_class=0),
        train_accuracy=train_accuracy,
        train_frames_scored=100,
        timings=Timings(12.5, 10.0, 2.0, 800.0),
        environment=Environment(CPU, "3", "3.11", "linux"),
        model_bytes=1,
        model_sha256="0" * 64,
        path=Path(f"/runs/{model}-{seed}"),
    )


@pytest.fixture(scope="module")
def runs():
    return [  # newest first, as list_runs gives them
        make_run("mnist", created="2026-01-03", seed=1),
        make_run("alexnet", created="2026-01-02", seed=2, crop=True, train_accuracy=0.99),
        make_run("cnn_basic", created="2026-01-01", seed=3, limit=200),
        make_run("cnn_basic", created="2026-01-00", seed=4, limit=200),
    ]


def test_runs_table_columns_and_values(runs):
    table = runs_table(runs)
    assert list(table.columns) == [header(c) for c in RUN_COLUMNS] and len(table) == len(runs)
    table.columns = list(RUN_COLUMNS)  # by id from here
    alex, test = table.iloc[1], runs[1].test
    assert alex["model"] == "AlexNet" and alex["test_accuracy"] == test.accuracy
    assert alex["majority_baseline"] == test.majority_baseline.accuracy
    assert alex["balanced_accuracy"] == test.balanced_accuracy
    assert alex["macro_f1"] == test.macro_f1
    # The gap in points, as the page shows it ("+20.7"), not a fraction (0.207).
    assert alex["gap"] == round((0.99 - test.accuracy) * 100, 1)
    assert alex["preprocessing"] == "227x227 RGB, right mirrored, cropped"
    assert table.iloc[0]["preprocessing"] == "28x28 gray, squashed"
    assert table.iloc[0]["model"] == "Mnist-style CNN"
    assert (alex["params"], alex["device"], alex["epochs"]) == (1234567, "CPU (2 cores)", 3)
    assert alex["training_time"] == 12.5 and alex["images_per_second"] == 800.0
    assert list(table["run_name"]) == [r.name for r in runs]
    zh = runs_table(runs, "zh_TW")
    assert "測試準確率" in zh.columns and zh.iloc[0][header("device", "zh_TW")] == "CPU（2 核心）"


def test_run_labels_are_readable_and_unique(runs):
    labels = run_labels(runs)
    assert labels[0] == "Mnist-style CNN · 3 epochs"
    # Two cnn_basic runs of the same settings: told apart by their keys.
    assert labels[2].startswith("CNN_basic · 3 epochs · ≤200 frames #") and labels[2] != labels[3]
    assert len(set(labels)) == len(labels)
    weighted = make_run("mnist", created="x", seed=9, balance="class_weight")
    assert run_labels([weighted]) == ["Mnist-style CNN · class weights · 3 epochs"]


def test_predict_defaults_to_each_models_recipe_run_else_its_best(runs):
    """After the experiments, the newest runs are the deliberately changed ones (gray, a
    random validation split): Predict must not default to those."""
    chosen = default_per_model(runs)
    assert [r.model for r in chosen] == ["cnn_basic", "mnist", "alexnet"]
    assert chosen[0] is max(runs[2:], key=lambda r: r.test.accuracy)  # no recipe: the best
    as_recipe = TrainConfig(model="cnn_basic", seed=7).resolved()
    recipe = dataclasses.replace(runs[3], created="2025-12-31", config=as_recipe)
    as_gray = TrainConfig(model="cnn_basic", gray=True).resolved()
    gray = dataclasses.replace(runs[2], created="2026-02-01", config=as_gray)
    chosen = default_per_model([gray, *runs, recipe])
    assert chosen[0] is recipe  # older and no better, but the recipe's
    # Seeds of the recipe: its own seed (0) before a newer seed 2, which reads "· seed 2".
    own = dataclasses.replace(recipe, created="2025-11-30",
                              config=TrainConfig(model="cnn_basic").resolved())  # fmt: skip
    assert default_per_model([gray, *runs, recipe, own])[0] is own


def test_headline_figures_beside_what_the_baseline_scores(runs):
    """Against a run that always answers the majority class, every figure equals its
    baseline: the baseline arithmetic is the metrics' own."""
    y = np.array([0, 0, 0, 1, 2, 2, 5])
    always_free = np.zeros((len(y), 24))
    always_free[:, 0] = 1.0
    test = evaluate_predictions(y, always_free, [f"c{i}" for i in range(24)], majority_class=0)
    run = dataclasses.replace(runs[0], test=test, train_accuracy=0.9)
    figures = headline(run)
    for f in figures[:3]:  # test accuracy, balanced accuracy, macro-F1
        assert f.baseline == pytest.approx(f.value), f.label
    assert (figures[3].value, figures[3].test, figures[3].baseline) == (0.9, 3 / 7, None)


def test_report_rows_are_the_reports_figures():
    rows = {(r.model, r.split): r for r in REPORT_ROWS}
    assert rows["cnn_basic", Split.TEST].accuracy == 0.529
    assert rows["mnist", Split.TEST].accuracy == 0.501
    assert rows["alexnet", Split.TEST].accuracy == 0.542
    assert rows["alexnet", Split.TRAIN].accuracy == 0.92
    table = report_table()
    assert len(table) == len(REPORT_ROWS)
    note = table[header("note")].iloc[-1]
    assert "trained on" in note and "54.2%" in note


@pytest.mark.parametrize("report", [False, True])
def test_accuracy_chart_has_bars_and_baseline(runs, report):
    chart = evaluation.accuracy_chart(runs, report=report)
    assert isinstance(chart, alt.LayerChart)
    marks = [
        layer.mark if isinstance(layer.mark, str) else layer.mark.type for layer in chart.layer
    ]
    assert marks == ["bar", "rule", "rule", "point", "text"]  # bars, baseline, interval, seeds
    data = chart.layer[0].data if chart.data is alt.Undefined else chart.data
    ours = data[data.source_id == "run"]
    assert list(ours.accuracy) == [r.test.accuracy for r in runs]
    assert list(ours.baseline) == [r.test.majority_baseline.accuracy for r in runs]
    flagged = data[data.source_id == "report_train"]
    assert len(data) == len(runs) + (len(REPORT_ROWS) if report else 0)
    assert list(flagged.accuracy) == ([0.92] if report else [])
    chart.to_dict()  # a valid Vega-Lite spec


def test_recall_heatmap_covers_every_run_and_present_class(runs):
    chart = per_class.recall_heatmap(runs)
    assert chart.to_dict()["width"] == "container"  # 11 runs fit the page, not 11 x 170 px
    data = chart.data
    assert set(data["run"]) == set(run_labels(runs))
    assert set(data["class"]) == {"free", "cup", "pen"}  # "book" has no test frames
    assert len(data) == 3 * len(runs)
    chart.to_dict()


def test_confusion_chart_counts_every_test_frame(runs):
    run = runs[0]
    chart = mistakes.confusion_chart(run)
    data = chart.data
    assert data["frames"].sum() == run.test.frames
    rows = data.groupby("true")["share of row"].sum()
    assert rows[rows > 0].to_numpy() == pytest.approx(1.0)
    chart.to_dict()


def test_pr_chart_one_line_per_class_with_ap(runs):
    run = runs[1]
    chart = per_class.pr_chart(run)
    curves = run.test.pr_curves
    names = set(chart.data["class"])
    assert len(names) == len(curves)
    for cls, c in curves.items():
        assert f"{cls} (AP {c.average_precision:.2f})" in names
    chart.to_dict()


def test_the_compare_page_and_every_package_import_no_tensorflow():
    # The page lists runs from JSON: it must open instantly, without Keras or TensorFlow; and
    # no package of the core loads a backend by being imported.
    code = (
        "import sys, app.cache, app.inference, app.guards, app.widgets;"
        "import handclf_core.views.evaluation;"
        "import handclf_core.views.mistakes, handclf_core.runs.folders;"
        "import handclf_core.data, handclf_core.runs, handclf_core.training;"
        "import handclf_core.inside, handclf_core.views, handclf_core.cli, handclf_core.cli.main;"
        "heavy = {'tensorflow', 'keras'} & set(sys.modules); assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_a_run_at_the_baseline_is_never_shown_as_a_success(runs):
    """Learnt the class frequencies only: level with always answering `free`, or balanced
    accuracy under 1.5x chance. A model right on most frames of every class is not."""
    from handclf_core.views.runs import frequencies_only

    y = np.array([0] * 6 + [1] * 2 + [2] * 2)
    always_free = np.eye(4)[np.zeros(10, int)]  # (10, 4): always class 0
    level = evaluate_predictions(y, always_free, CLASSES, majority_class=0)
    assert frequencies_only(dataclasses.replace(runs[0], test=level))
    good = evaluate_predictions(y, np.eye(4)[y], CLASSES, majority_class=0)  # all right
    assert not frequencies_only(dataclasses.replace(runs[0], test=good))
    # Above the baseline in accuracy, yet balanced accuracy at chance: still frequencies.
    y2 = np.array([0] * 97 + [1, 2, 3])
    guess = np.eye(4)[np.r_[np.zeros(97, int), [0, 0, 0]]]
    lucky = evaluate_predictions(y2, guess, CLASSES, majority_class=1)  # baseline: class 1
    assert lucky.accuracy > lucky.majority_baseline.accuracy + 0.01
    assert frequencies_only(dataclasses.replace(runs[0], test=lucky))


def test_splits_chart_puts_train_validation_and_test_side_by_side():
    held = make_run("cnn_basic", created="2", seed=1, train_accuracy=0.9)
    held = dataclasses.replace(held, history={"val_accuracy": (0.4, 0.55)})
    leaky = make_run("cnn_basic", created="1", seed=2, train_accuracy=0.95, validation="random")
    leaky = dataclasses.replace(leaky, history={"val_accuracy": (0.9, 0.93)})
    none = make_run("mnist", created="0", seed=3, validation="none")
    spec = evaluation.splits_chart([held, leaky, none]).to_dict()
    rows = next(iter(spec["datasets"].values()))
    got = {(r["name"], r["split_id"]): r["accuracy"] for r in rows}
    labels = run_labels([held, leaky, none])
    assert got[(labels[0], "validation")] == 0.55  # the last epoch's
    assert got[(labels[1], "validation")] == 0.93 and got[(labels[1], "train")] == 0.95
    assert got[(labels[1], "test")] == leaky.test.accuracy
    assert (labels[2], "validation") not in got and (labels[2], "test") in got
    assert {r["validation"] for r in rows if r["name"] == labels[1]} == {"a random 20% of frames"}
    table = runs_table([held, leaky, none])
    assert list(table[header("validation_accuracy")].fillna(-1)) == [0.55, 0.93, -1]


def test_seeds_of_a_setting_are_one_row_and_one_bar_with_their_interval_and_dots(runs):
    """Runs equal but for the seed: one table row and one bar (their mean), the pooled
    interval as the bar's error bar and in brackets, a dot per seed, the spread in points."""
    from handclf_core.runs.uncertainty import Scored, compare, intervals
    from handclf_core.views.confidence import (
        difference_chart,
        group,
        settings_table,
        verdict_text,
    )

    one = runs[2]
    two = dataclasses.replace(runs[3], config=dataclasses.replace(runs[3].config, seed=1))
    rng = np.random.default_rng(0)
    true, rec = rng.integers(0, 3, 600), np.repeat(np.arange(10), 60)
    iv = intervals(Scored.of(true, rec, np.where(rng.random(600) < 0.7, true, 0), 4, 0))
    found = group([runs[0], one, two], lambda g: iv if len(g) == 2 else None)
    assert [len(s.runs) for s in found] == [1, 2] and found[1].seeds == (0, 1)
    table = settings_table(found)
    mnist, cnn = table.to_dict("records")
    assert cnn[header("seeds")] == "0, 1" and "seed" not in cnn[header("run")]
    mean = (one.test.accuracy + two.test.accuracy) / 2
    low, high = iv.test_accuracy.low * 100, iv.test_accuracy.high * 100
    assert cnn[header("test_accuracy")] == f"{mean:.1%} ({low:.1f}–{high:.1f})"
    assert cnn[header("seed_spread")].startswith("sd ")
    assert mnist[header("test_accuracy")] == f"{runs[0].test.accuracy:.1%}"  # no interval
    assert mnist[header("seed_spread")] == "—"
    chart = evaluation.accuracy_chart(found)
    bars = chart.layer[0].data if chart.data is alt.Undefined else chart.data
    assert list(bars.accuracy) == pytest.approx([runs[0].test.accuracy, mean])
    assert bars.low.iloc[1] == iv.test_accuracy.low and bars.high.iloc[1] == iv.test_accuracy.high
    dots = chart.layer[3].data
    assert sorted(dots.seed) == sorted([one.test.accuracy, two.test.accuracy])
    chart.to_dict()
    # Two settings in words, and a chart of differences.
    s = Scored.of(true, rec, true, 4, 0)
    worse = Scored.of(true, rec, np.where(rng.random(600) < 0.5, true, (true + 1) % 3), 4, 0)
    ahead, same = compare(s, worse), compare(worse, worse)
    assert "**A** is ahead of **B** by" in verdict_text(ahead, "A", "B")
    assert "**B** is ahead of **A** by" in verdict_text(compare(worse, s), "A", "B")
    assert "within the noise of 10 test recordings" in verdict_text(same, "A", "B")
    chart = difference_chart(["A", "B"], [ahead, same], "ref")
    assert list(chart.layer[0].data["difference"]) == pytest.approx(
        [ahead.difference.value * 100, 0]
    )
    chart.to_dict()


def _seeds_of(run, seeds=(0, 1, 2)):
    """`run` again under other seeds: one setting, other figures (each seed its own draw)."""
    out = []
    for s in seeds:
        other = make_run(run.model, created=f"s{s}", seed=40 + s)
        config = dataclasses.replace(run.config, seed=s)
        history = {"val_accuracy": (0.3 + s / 10,)}
        out.append(
            dataclasses.replace(other, config=config, train_accuracy=0.8 + s / 20, history=history)
        )
    return out


def test_a_setting_of_seeds_is_one_row_of_the_split_chart_and_the_heat_map(runs):
    """The seeds of one setting (equal but for the seed) are one row, as in the table: the
    split chart's bars their mean with a dot per seed, the heat map's cells their mean
    recall with the lowest and highest; a run alone stays one row; plain runs (no
    Settings) stay a row each."""
    from handclf_core.views.confidence import group, setting_labels

    seeds = _seeds_of(runs[0])
    found = group([*seeds, runs[1]], lambda g: None)
    names = setting_labels(found)
    assert names == ["Mnist-style CNN · 3 epochs", "AlexNet · cropped · 3 epochs"]
    chart = evaluation.splits_chart(found)
    bars = chart.data
    assert list(dict.fromkeys(bars["name"])) == names
    mine = bars[bars["name"] == names[0]].set_index("split_id")
    assert mine.loc["train", "accuracy"] == pytest.approx(np.mean([0.8, 0.85, 0.9]))
    assert mine.loc["validation", "accuracy"] == pytest.approx(0.4)
    assert mine.loc["test", "accuracy"] == pytest.approx(np.mean([r.test.accuracy for r in seeds]))
    assert mine.loc["train", "seeds"] == "80.0–90.0%"
    dots = chart.layer[1].data
    assert len(dots) == 9 and set(dots["name"]) == {names[0]}  # 3 seeds x 3 splits
    assert sorted(dots[dots["split"] == "test"]["seed"]) == sorted(r.test.accuracy for r in seeds)
    assert len(bars[bars["name"] == names[1]]) == 2  # alone, no validation: two bars, no dots
    chart.to_dict()
    heat = per_class.recall_heatmap(found).data
    assert list(dict.fromkeys(heat["run"])) == names and len(heat) == 2 * 3
    free = heat[(heat["run"] == names[0]) & (heat["class_name"] == "free")].iloc[0]
    recalls = [next(c.recall for c in r.test.per_class if c.name == "free") for r in seeds]
    assert free["recall"] == pytest.approx(np.mean(recalls))
    assert free["seeds"] == f"{min(recalls) * 100:.1f}–{max(recalls):.1%}"
    # Plain runs, as the lab report passes them: a row each, as before.
    assert per_class.recall_heatmap(seeds).data["run"].nunique() == 3


def test_a_run_s_test_recordings_are_counted_each():
    from handclf_core.views.confidence import by_recording, recordings_chart

    true = np.array([0, 0, 1, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 1, 0])
    per = by_recording(true, predicted, ["lab/1", "lab/1", "house/2", "house/2", "house/2", "x/3"])
    assert per.to_dict("records") == [
        {"recording": "x/3", "frames": 1, "right": 0, "accuracy": 0.0},
        {"recording": "lab/1", "frames": 2, "right": 1, "accuracy": 0.5},
        {"recording": "house/2", "frames": 3, "right": 3, "accuracy": 1.0},
    ]
    from handclf_core.runs.uncertainty import Interval

    spec = recordings_chart(per, Interval(0.67, 0.3, 0.9)).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "rule", "point"]
