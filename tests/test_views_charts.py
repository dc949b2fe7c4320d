"""Every chart the core builds, held to the rules of a chart read from the back of a room:
no colour encoding with more categories than it has distinct colours, no axis without a
title. Built on the real builders with real data (the sample's statistics, runs whose
metrics come from `evaluate_predictions`), in both languages."""

from __future__ import annotations

import dataclasses
import json

import altair as alt
import numpy as np
import pandas as pd
import pytest

from handclf_core.data.stats import dataset_stats
from handclf_core.runs.metrics import evaluate_predictions
from handclf_core.views import (
    data,
    evaluation,
    labels,
    mistakes,
    per_class,
    prediction,
    preprocessing,
    training,
)
from handclf_core.views.data import label_segments
from handclf_core.vocab import CLASSES, Validation
from tests.test_views_runs import make_run

# Distinct colours of each palette: category20 is ten hues in light and dark pairs, and
# Streamlit's default palette (no scheme named) has ten.
SCHEME_COLOURS = {"tableau10": 10, "category10": 10, "category20": 10, "set1": 9, "dark2": 8}
DEFAULT_COLOURS = 10


def _run24(seed: int, model: str = "cnn_basic"):
    """A run over all 24 obj classes (every class in the test frames), real metrics."""
    rng = np.random.default_rng(seed)
    y = np.r_[np.arange(24), rng.integers(0, 24, 200)]  # (224,)
    probs = rng.dirichlet(np.ones(24), size=len(y))
    probs[np.arange(len(y)), y] += 0.5
    run = make_run(model, created=f"2026-01-0{seed}", seed=seed)
    test = evaluate_predictions(y, probs / probs.sum(1, keepdims=True), CLASSES["obj"],
                                majority_class=0)  # fmt: skip
    import dataclasses

    return dataclasses.replace(run, classes=CLASSES["obj"], test=test)


def all_charts(stats, frames, lang: str):
    runs = [_run24(1), _run24(2, "mnist"), _run24(3, "alexnet")]
    segments = label_segments(frames, "obj", list(CLASSES["obj"]), lang=lang)
    memory = preprocessing.memory_frame(1000, {"a": (32, 32, 3), "b": (28, 28, 1)}, lang=lang)
    curves = training.curves_frame({"loss": (1.0, 0.5), "val_loss": (1.1, 0.7),
                                    "accuracy": (0.3, 0.5), "val_accuracy": (0.2, 0.4)},
                                   lang)  # fmt: skip
    return {
        "class_distribution": data.class_distribution(stats, lang=lang),
        "class_distribution_log_by_hand": data.class_distribution(
            stats, log=True, by_hand=True, lang=lang
        ),
        "scene_heatmap": data.scene_heatmap(stats, "test", lang=lang),
        "label_timeline": data.label_timeline(segments, lang=lang),
        "memory_chart": preprocessing.memory_chart(memory, "a", lang=lang),
        "curves_loss": training.curves_chart(curves, "loss", lang),
        "curves_accuracy": training.curves_chart(curves, "accuracy", lang),
        "accuracy_chart": evaluation.accuracy_chart(runs, report=True, lang=lang),
        "recall_heatmap": per_class.recall_heatmap(runs, lang),
        "confusion_chart": mistakes.confusion_chart(runs[0], lang),
        "pr_chart": per_class.pr_chart(runs[0], lang),
        "pr_chart_ten": per_class.pr_chart(runs[0], lang, per_class.pr_classes(runs[0])),
        "embedding_chart": mistakes.embedding_chart(*_map(runs[0]), runs[0], lang),
        **_uncertainty_charts(runs, lang),
    }


def _uncertainty_charts(runs, lang: str) -> dict:
    """The accuracy chart of settings (error bars, a dot per seed) and the differences."""
    import dataclasses

    from handclf_core.runs.uncertainty import Scored, compare, intervals
    from handclf_core.views.confidence import (
        by_recording,
        difference_chart,
        group,
        recordings_chart,
    )

    rng = np.random.default_rng(1)
    true, rec = rng.integers(0, 24, 400), np.repeat(np.arange(10), 40)
    a = Scored.of(true, rec, np.where(rng.random(400) < 0.7, true, 0), 24, 0)
    b = Scored.of(true, rec, np.where(rng.random(400) < 0.5, true, 0), 24, 0)
    seed1 = dataclasses.replace(runs[0], name=runs[0].name + "1",
                                config=dataclasses.replace(runs[0].config, seed=1))  # fmt: skip
    found = group([*runs, seed1], lambda g: intervals(a))
    names = ["CNN_basic · gray", "Mnist-style CNN · RGB"]
    per = by_recording(a.true, a.predicted[0], [f"lab/{r}" for r in a.recordings])
    return {
        "accuracy_chart_seeds": evaluation.accuracy_chart(found, report=True, lang=lang),
        "difference_chart": difference_chart(
            names, [compare(a, b), compare(b, b)], "AlexNet", lang
        ),  # fmt: skip
        "difference_chart_one": difference_chart(names[:1], [compare(a, b)], names[1], lang),
        # Compare's rows of settings: a setting of two seeds is one row, its seeds as dots.
        "splits_chart_settings": evaluation.splits_chart(found, lang),
        "recall_heatmap_settings": per_class.recall_heatmap(found, lang),
        "recordings_chart": recordings_chart(per, intervals(a).test_accuracy, lang),
    }


def _map(run, classes: int = 24, frames: int = 240):
    """A drawn map of `frames` test frames of `classes` classes, and their answers."""
    from handclf_core.inside.embedding import Embedding
    from handclf_core.runs.predictions import ScoredFrames
    from handclf_core.vocab import Projection

    rng = np.random.default_rng(0)
    true = np.arange(frames) % classes
    probs = rng.dirichlet(np.ones(24), size=frames).astype(np.float32)
    scored = ScoredFrames(np.arange(frames), true, probs)
    shown = Embedding(Projection.PCA, np.arange(frames), rng.normal(size=(frames, 2)), 8, 0.5, 0.1)
    return shown, scored


def _views(spec: dict, inherited: dict | None = None):
    """Every unit view of a spec with the encoding it gets (a layer's own over its parent's)."""
    encoding = {**(inherited or {}), **spec.get("encoding", {})}
    children = [c for key in ("layer", "hconcat", "vconcat", "concat") for c in spec.get(key, [])]
    if "spec" in spec:  # a facet
        children.append(spec["spec"])
    if "mark" in spec:
        yield spec, encoding
    for child in children:
        yield from _views(child, encoding)


def _rows(spec: dict) -> list[dict]:
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def problems(name: str, spec: dict) -> list[str]:
    found = []
    rows = _rows(spec)
    for _view, encoding in _views(spec):
        for channel in ("x", "y"):
            enc = encoding.get(channel)
            if not enc or "field" not in enc:
                continue
            title = enc.get("title", (enc.get("axis") or {}).get("title"))
            if not title:
                found.append(f"{name}: the {channel} axis ({enc['field']}) has no title")
        # A mark that shows numbers says them itself: without a tooltip of its own, pointing
        # at it shows the raw fields ("recall: 0.918744228994").
        mark = _view["mark"]["type"] if isinstance(_view["mark"], dict) else _view["mark"]
        quantities = [
            e for e in encoding.values() if isinstance(e, dict) and e.get("type") == "quantitative"
        ]
        if quantities and "tooltip" not in encoding and mark != "rule":
            found.append(f"{name}: a {mark} mark of numbers without a tooltip")
        tips = encoding.get("tooltip") or []
        for tip in tips if isinstance(tips, list) else [tips]:
            field = tip.get("field") if isinstance(tip, dict) else None
            values = [row[field] for row in rows if field in row]
            fractional = any(isinstance(v, float) and v != round(v) for v in values)
            if field and tip.get("type") == "quantitative" and fractional and "format" not in tip:
                found.append(f"{name}: the tooltip's {field} is shown unformatted")
        colour = encoding.get("color")
        if colour and colour.get("type") == "nominal" and "field" in colour:
            field = colour["field"]
            categories = {row.get(field) for row in rows if field in row}
            scale = colour.get("scale") or {}
            if "range" in scale and isinstance(scale["range"], list):
                distinct = len(set(scale["range"]))
            else:
                distinct = SCHEME_COLOURS.get(scale.get("scheme"), DEFAULT_COLOURS)
            if len(categories) > distinct:
                found.append(f"{name}: {len(categories)} {field} categories, {distinct} colours")
            # A legend of names says them in full: "保溫瓶 thermos-bottle (AP 0.52)" was cut
            # to "保溫瓶 the…" by a 200-px limit at a projector's type size.
            legend = colour.get("legend")
            if legend is not None and legend.get("labelLimit") != 0:
                found.append(f"{name}: the {field} legend may shorten its names")
        # Names on an axis are drawn whole and all of them (views.labels): a limit cut
        # "AlexNet · validation: a random 20% of fra…" (two seeds read as one), Vega's
        # overlap rule hid every other run, and a title turned beside them sat over some.
        for channel in ("x", "y"):
            enc = encoding.get(channel) or {}
            axis = enc.get("axis", {})
            if enc.get("type") != "nominal" or axis is None:
                continue
            if axis.get("labelLimit") != 0 or axis.get("labelOverlap") is not False:
                found.append(f"{name}: the {channel} axis ({enc['field']}) may hide names")
            if channel == "y" and enc.get("title") and axis.get("titleAngle") != 0:
                found.append(f"{name}: the y axis's title ({enc['field']}) is turned")
    return found


@pytest.mark.parametrize("lang", ["en", "zh_TW"])
def test_every_chart_has_titled_axes_and_enough_colours(sample_ds, lang):
    stats = dataset_stats(sample_ds, "obj")
    hands = sample_ds.hand_frames()
    frames = hands[(hands.split == "train") & (hands.scene == "lab") & (hands.recording == 1)]
    charts = all_charts(stats, frames, lang)
    found = [p for name, chart in charts.items() for p in problems(name, chart.to_dict())]
    assert not found, found


def test_the_rules_catch_what_they_are_for():
    """The checker itself: a 24-colour legend and an untitled axis are caught."""
    import altair as alt
    import pandas as pd

    df = pd.DataFrame({"x": range(24), "y": range(24), "c": [f"c{i}" for i in range(24)]})
    many = alt.Chart(df).mark_line().encode(x=alt.X("x", title="x"), y=alt.Y("y", title="y"),
                                            color="c:N", tooltip=["c:N"])  # fmt: skip
    untitled = alt.Chart(df).mark_point().encode(x=alt.X("x", title=None), y="y", tooltip=["x"])
    raw = (
        alt.Chart(df.assign(y=df.y / 7))
        .mark_text()
        .encode(x=alt.X("x:Q", title="x"), y=alt.Y("y:Q", title="y"), text="c:N")
    )
    assert problems("raw", raw.to_dict()) == ["raw: a text mark of numbers without a tooltip"]
    raw = raw.encode(tooltip=["y:Q"])
    assert problems("raw", raw.to_dict()) == ["raw: the tooltip's y is shown unformatted"]
    assert problems("many", many.to_dict()) == ["many: 24 c categories, 10 colours"]
    # A field's own name is no title either: it is an id, and English on a zh-TW page.
    assert problems("untitled", untitled.to_dict()) == [
        "untitled: the x axis (x) has no title",
        "untitled: the y axis (y) has no title",
    ]
    few = df.head(5)
    cut = alt.Chart(few).mark_point().encode(
        x=alt.X("x", title="x"), y=alt.Y("y", title="y"), tooltip=["c:N"],
        color=alt.Color("c:N", legend=alt.Legend(labelLimit=200)),
    )  # fmt: skip
    assert problems("cut", cut.to_dict()) == ["cut: the c legend may shorten its names"]
    names = alt.Chart(few).mark_bar().encode(
        x=alt.X("x:Q", title="x"), y=alt.Y("c:N", title="run", axis=alt.Axis(labelLimit=320)),
        tooltip=["c:N"],
    )  # fmt: skip
    assert problems("names", names.to_dict()) == [
        "names: the y axis (c) may hide names", "names: the y axis's title (c) is turned"
    ]  # fmt: skip
    whole = names.encode(y=alt.Y("c:N", title="run", axis=labels.axis(few["c"])))
    assert problems("whole", whole.to_dict()) == []


@pytest.mark.parametrize("lang", ["en", "zh_TW"])
def test_names_break_onto_lines_whole(lang):
    """A run's or a class's name on lines of at most WRAP columns (a Chinese character two),
    broken between words, "· seed 1" kept whole; the chart's expression draws each name on
    its lines, and rows grow to hold them."""
    from handclf_core.i18n import class_name
    from handclf_core.views.runs import config_label

    run = make_run("alexnet", created="2026-01-01", seed=1)
    long = config_label(dataclasses.replace(run.config, validation=Validation.RANDOM), lang)
    for name in [long, *(class_name(lang, "obj", c) for c in CLASSES["obj"])]:
        shown = labels.lines(name)
        assert all(labels.columns(line) <= labels.WRAP + 2 for line in shown), shown
        assert " ".join(shown).split() == name.split(), shown  # every word, in order
    assert labels.columns("保溫瓶 thermos") == 6 + 1 + 7
    assert labels.lines("AlexNet · validation: a random 20% of frames · seed 1") == [
        "AlexNet · validation: a random", "20% of frames · seed 1"
    ]  # fmt: skip
    fifteen = "一二三四五六七八九十一二三四五"  # 30 columns, a line's worth
    assert labels.lines(fifteen + "六七八") == [fifteen, "六七八"]
    expr = labels.label_expr(["free", long])
    drawn = json.loads(expr.split("[datum.label]")[0])
    assert drawn == {long: labels.lines(long)}  # a name of one line is left as it is
    assert labels.label_expr(["free", "cup"]) == "datum.label"
    assert labels.step([long], 20).step == labels.LINE * len(labels.lines(long)) + 6
    assert labels.step(["free"], 30).step == 30  # one line: the least asked for
    assert labels.step([long], 10, bars=2).step * 2 >= labels.LINE * 2 + 6


def test_cell_figures_show_only_where_they_fit():
    """The heat maps' figures: drawn where the chart's width over its columns holds a figure
    of that many characters in the room's type, else hidden (the tooltip tells)."""
    recall = per_class.recall_heatmap([_run24(1), _run24(2)]).to_dict()
    text = next(layer for layer in recall["layer"] if layer["mark"]["type"] == "text")
    opacity = text["mark"]["opacity"]["expr"]
    assert {"name": "text_size", "value": 12} in recall["params"]

    def shown(width: float, size: int) -> bool:  # the expression, evaluated as Vega would
        expr = opacity.replace("width", str(width)).replace("text_size", str(size))
        test, yes_no = expr.split("?")
        return eval(test) and yes_no.split(":")[0].strip() == "1"  # noqa: S307

    assert shown(24 * 30, 12) and not shown(24 * 25, 12) and not shown(24 * 30, 18)  # "100"


def test_the_pr_chart_draws_the_classes_chosen_at_most_ten():
    run = _run24(4)
    default = set(per_class.pr_chart(run).data["class"])
    assert len(default) == per_class.PR_DEFAULT
    picked = per_class.pr_chart(run, classes=["cup", "book"]).data
    assert {c.split(" (AP")[0] for c in picked["class"]} == {"cup", "book"}
    every = per_class.pr_chart(run, classes=list(run.test.pr_curves)).data
    assert every["class"].nunique() == per_class.PR_COLOURS  # 24 asked, 10 drawn


def test_the_map_colours_each_class_and_greys_only_beyond_twenty():
    run = _run24(5)
    for classes, grey in ((24, True), (12, False)):
        chart = mistakes.embedding_chart(*_map(run, classes), run)
        df = chart.data
        assert (
            evaluation.i18n.translate("en", "compare.chart.other_classes") in set(df["class"])
        ) == grey
        coloured = set(df["class"]) - {"other classes"}
        assert len(coloured) == min(classes, mistakes.MAP_COLOURS)
        domain = chart.to_dict()["encoding"]["color"]["scale"]["domain"]
        assert set(domain) == set(df["class"])  # every class in the legend, none more
        assert set(df["answer"]) <= {"right", "wrong"}
        right = df["answer"] == "right"
        assert (df.loc[right, "true"] == df.loc[right, "predicted"]).all()


def test_the_confusion_chart_outlines_only_the_chosen_cell():
    run = _run24(6)
    chart = mistakes.confusion_chart(run, chosen=("cup", "free"))
    rows = _rows(chart.to_dict())
    chosen = [r for r in rows if r["chosen"]]
    assert [(r["true_id"], r["predicted_id"]) for r in chosen] == [("cup", "free")]
    matrix = run.test.confusion_matrix
    i, j = run.classes.index("cup"), run.classes.index("free")
    assert chosen[0]["frames"] == matrix[i][j]
    spec = chart.to_dict()  # Altair lifts a layer's selection to the top, naming its views
    params = [p for part in (spec, *spec["layer"]) for p in part.get("params", [])]
    assert [p["name"] for p in params if "select" in p] == [mistakes.CELL]  # the click, once


def test_loss_and_accuracy_share_one_epoch_axis():
    """While a job logs its epochs, one metric may have an epoch more than the other: both
    charts span the same epochs, and one epoch alone is no "1.000000" axis."""
    from handclf_core.views import training

    frame = training.curves_frame({"loss": (1.0, 0.5, 0.4), "accuracy": (0.3, 0.5)})
    domains = [training.curves_chart(frame, m).to_dict()["encoding"]["x"]["scale"]["domain"]
               for m in ("loss", "accuracy")]  # fmt: skip
    assert domains == [[1, 3], [1, 3]]
    one = training.curves_chart(training.curves_frame({"accuracy": (0.4,)}), "accuracy").to_dict()
    assert one["encoding"]["x"]["axis"]["format"] == "d"
    assert one["encoding"]["x"]["scale"]["domain"] == [1, 2]


@pytest.mark.parametrize("lang", ["en", "zh_TW"])
def test_top5_charts_side_by_side_keep_their_words_and_ticks(lang):
    """Three models in three narrow columns: the baseline's words wrap inside the chart
    (a text mark beside the line ran past the edge), and every column has the same ticks,
    100% included."""
    from handclf_core.inside.predict import Prediction, Ranked
    from handclf_core.views.prediction import top_chart
    from handclf_core.vocab import Hand

    run = _run24(1)
    top = zip(CLASSES["obj"][:5], (0.5, 0.2, 0.1, 0.1, 0.1), strict=True)
    answer = Prediction("cnn_basic", run.name, Hand.RIGHT, tuple(Ranked(*x) for x in top), 3.0)
    spec = top_chart(answer, run, lang).to_dict()
    lines = spec["title"]["text"]
    assert isinstance(lines, list) and lines
    assert max(map(labels.columns, lines)) <= prediction.TITLE_WIDTH
    assert not [layer for layer in spec["layer"] if layer["mark"].get("type") == "text"]
    assert spec["layer"][0]["encoding"]["x"]["axis"]["values"] == [0, 0.25, 0.5, 0.75, 1]


def test_a_projector_gets_taller_rows_and_its_type_size_for_the_figures(sample_ds):
    """The room's sizing of a chart (app.widgets): on a projector every fixed row and column
    step grows with the type (1.5 times), the figures' fit is judged at the projector's text
    size, and the chart itself is left as it was (it is cached and drawn for other rooms)."""
    from app import widgets

    chart = mistakes.confusion_chart(_run24(1))
    desk = chart.to_dict()
    room = widgets.SIZES[True]
    scale = room["label"] / widgets.BASE
    spec = widgets._sized_spec(
        chart, {"axis": {"labelFontSize": 18}}, room["text"], scale, room["heading"]
    )
    assert spec["height"]["step"] == round(desk["height"]["step"] * 1.5)
    assert spec["width"] == "container"
    assert {"name": "text_size", "value": room["text"]} in spec["params"]
    assert spec["config"]["axis"]["labelFontSize"] == 18
    assert chart.to_dict()["height"] == desk["height"]  # the chart object is untouched


@pytest.mark.parametrize(
    "title", ["Recall per class (% found; a setting of several seeds: their mean)",
              ["每類召回率", "（找到的百分比；多個種子的設定：取平均）"]],
)  # fmt: skip
def test_a_title_is_broken_onto_lines_for_its_chart_s_width(title):
    """A chart's title in a narrow room: the widest way of drawing it that the chart's width
    holds, every word kept (Vega shortened it to "…a setting of several seeds: t…")."""
    from app import widgets

    choices = labels.title_choices(title, 24)
    given = [title] if isinstance(title, str) else title
    assert choices[0][0] == given  # as given where there is room
    needs = [need for _, need in choices]
    assert needs == sorted(needs, reverse=True) and len(choices) > 3
    for shown, need in choices:
        assert "".join(shown).replace(" ", "") == "".join(given).replace(" ", "")
        assert all(labels.ems(line) * 24 <= need for line in shown)
    # The expression picks by the chart's width: a Vega-Lite title with an expression.
    chart = alt.Chart(pd.DataFrame({"x": [1]}), title=title).mark_bar().encode(x="x:Q")
    spec = widgets._sized_spec(chart, {}, 12, 1.0, 24)
    expr = spec["title"]["text"]["expr"]
    room = f"(containerSize()[0] - {labels.TITLE_PADDING} + 0 * width)"
    assert expr.startswith(f"{room} >= {choices[0][1]} ? ")
    assert expr.count(room) == len(choices) - 1 and spec["title"]["frame"] == "bounds"
    facet = chart.properties(title="").facet(column="x:N").properties(title=title)
    # a facet has no `width` signal: its title as given
    assert widgets._sized_spec(facet, {}, 12, 1.0, 24)["title"] == title


def test_a_run_s_bars_are_as_tall_as_its_name():
    """The splits chart: a run's two or three bars together hold its name's lines (two
    bars of 12 px under a two-line name drew it over the next run's)."""
    run = _run24(1)
    long = dataclasses.replace(run.config, validation=Validation.RANDOM, batch_size=7, seed=3)
    chart = evaluation.splits_chart([dataclasses.replace(run, config=long), _run24(2, "mnist")])
    df = chart.data
    assert labels.most_lines(df["name"]) >= 2, set(df["name"])
    height = chart.to_dict()["height"]["step"] * df["split"].nunique()
    assert height >= labels.LINE * labels.most_lines(df["name"]) + 6


@pytest.mark.parametrize("lang", ["en", "zh_TW"])
def test_a_setting_s_rows_are_as_tall_as_its_name_and_hold_its_seeds(lang):
    """Three seeds of one setting with a long name: one row of the split chart (its three
    bars holding the name's lines, a dot per seed on each) and one of the recall heat map,
    named as the settings table names it."""
    from handclf_core.views.confidence import group, setting_labels

    run = _run24(1)
    long = dataclasses.replace(run.config, validation=Validation.RANDOM, batch_size=7)
    seeds = [
        dataclasses.replace(_run24(s), name=f"r{s}", config=dataclasses.replace(long, seed=s))
        for s in (1, 2, 3)
    ]
    seeds = [
        dataclasses.replace(r, history={"val_accuracy": (0.5 + r.config.seed / 10,)}) for r in seeds
    ]
    found = group([*seeds, _run24(4, "mnist")], lambda g: None)
    names = setting_labels(found, lang)
    assert len(found) == 2 and labels.most_lines(names[:1]) >= 2
    chart = evaluation.splits_chart(found, lang)
    bars, dots = chart.data, chart.layer[1].data
    assert list(dict.fromkeys(bars["name"])) == names
    assert len(bars) == 3 + 2  # train, validation, test; the mnist run has no validation
    assert len(dots) == 3 * 3 and set(dots["name"]) == {names[0]}  # a dot a seed and split
    assert chart.to_dict()["height"]["step"] * 3 >= labels.LINE * labels.most_lines(names) + 6
    heat = per_class.recall_heatmap(found, lang).data
    assert list(dict.fromkeys(heat["run"])) == names
    assert heat["seeds"].str.len().gt(0).sum() == (heat["run"] == names[0]).sum()
