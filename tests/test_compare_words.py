"""One name for each run and option on every page (Home, Dataset, Train, Compare, the CSV),
and the words of Compare's noise lesson: plain on the page, the method one click away. Pure
tests on synthetic runs, and the pages run headless with AppTest over tiny stored runs."""

import dataclasses
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from handclf_core import i18n
from handclf_core.i18n import model_name
from handclf_core.models import list_models
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.experiments import QUICK_FRAMES, grid, quick
from handclf_core.training.splits import effective
from handclf_core.views import labels
from handclf_core.views.confidence import Setting, setting_labels, settings_table
from handclf_core.views.runs import config_label, header, run_labels, runs_table
from tests.conftest import TINY
from tests.test_i18n import english_left, open_page, page_texts
from tests.test_views_runs import make_run

HOME, DATASET = None, "app_pages/1_Dataset.py"
TRAIN, COMPARE = "app_pages/3_Train.py", "app_pages/4_Compare.py"
# Words of the method, for the expander only: the page itself says what they mean plainly.
JARGON = ("resampl", "with replacement", "draws", "widened", "standard deviation", "bootstrap")
JARGON_ZH = ("重新抽樣", "有放回", "放寬", "標準差", "自助法")


def _open(sample_root, page: str | None, lang: str = "en", **state) -> AppTest:
    return open_page(sample_root, page, lang, **state)


def _seeded(config: TrainConfig, seed: int) -> TrainConfig:
    return dataclasses.replace(config, seed=seed)


# --- A run's one name ---


@pytest.mark.parametrize("lang", ["en", "zh_TW"])
def test_a_run_is_its_setting_and_its_seed_unless_0(lang):
    """A setting is named once ("CNN_basic · gray"); a run of it is that name, and its seed
    when it is not the recipe's 0: the chips, the noise lesson, Train and the CSV agree."""
    t = i18n.translator(lang)
    sep = t("change.separator")
    for base in (TrainConfig(model="cnn_basic"), TrainConfig(model="alexnet", gray=True)):
        seeds = [_seeded(base, s).resolved() for s in (0, 1, 2)]
        runs = [
            dataclasses.replace(make_run("cnn_basic", created="x", seed=9), config=c) for c in seeds
        ]
        (named,) = setting_labels([Setting(tuple(runs), None)], lang)
        assert config_label(seeds[0], lang) == named  # seed 0: the setting's own name
        for c in seeds[1:]:
            assert config_label(c, lang) == sep.join([named, t("change.seed", seed=c.seed)])
        labels = run_labels(runs, lang)
        assert labels == [config_label(c, lang) for c in seeds]  # the chips
        assert all(label.startswith(named) for label in labels)
    assert config_label(TrainConfig(model="cnn_basic", seed=1).resolved()) == (
        "CNN_basic · recipe · seed 1"
    )


def test_a_frame_limit_that_limits_nothing_is_no_part_of_the_name(sample_ds):
    """The quick preset's 3,000 frames on a dataset whose splits are smaller trains the
    recipe: Train names it as Compare does ("CNN_basic · recipe", no "≤3000 frames"); on
    larger splits the limit is named on both."""
    frames = sample_ds.hand_frames()
    assert frames.split.value_counts().max() < QUICK_FRAMES
    for model in list_models():
        config = effective(quick(TrainConfig(model=model)).resolved(), frames)
        assert "≤" not in config_label(config), config_label(config)
    assert config_label(effective(TINY.resolved(), frames)) == (
        "CNN_basic · batch 32 · 1 epoch · ≤64 frames"
    )
    configs = dict(grid("quick"))
    assert config_label(effective(configs["cnn_basic"], frames)) == "CNN_basic · recipe"


def test_the_csv_gap_is_in_points_as_the_page_shows_it():
    run = make_run("alexnet", created="x", seed=2, train_accuracy=0.99)
    csv = runs_table([run])
    page = settings_table([Setting((run,), None)])
    assert csv[header("gap")].iloc[0] == round((0.99 - run.test.accuracy) * 100, 1)
    assert page[header("gap")].iloc[0] == f"{csv[header('gap')].iloc[0]:+.1f}"
    assert header("gap") == "gap (points)" and header("gap", "zh_TW") == "差距（百分點）"


# --- Home, Dataset, Train ---


@pytest.mark.parametrize("lang", ["en", "zh_TW"])
def test_home_names_the_models_as_every_page_does(sample_root, lang):
    at = _open(sample_root, HOME, lang)
    lesson = next(m.value for m in at.markdown if "CIFAR-10" in m.value)
    for model in list_models():
        assert f"| {model_name(model, lang)} |" in lesson
        assert f"`{model}`" not in lesson
    assert "Mnist-style CNN" in lesson if lang == "en" else "MNIST 式 CNN" in lesson


@pytest.mark.parametrize("lang", ["en", "zh_TW"])
def test_dataset_names_the_balancing_option_as_train_labels_it(sample_root, lang):
    at = _open(sample_root, DATASET, lang)
    said = [m.value for m in at.markdown if "**" in m.value and "`free`" in m.value]
    at.switch_page(TRAIN).run()
    assert not at.exception, [e.value for e in at.exception]
    label = at.selectbox(key=f"train.cnn_basic.balance.{lang}").label
    assert label == ("Class balancing" if lang == "en" else "類別平衡")
    assert any(f"**{label}**" in text for text in said), said


def test_the_experiments_button_counts_what_the_picker_lists(sample_root):
    at = _open(sample_root, TRAIN)
    picker = at.multiselect(key="train.experiments.which.en")
    listed = len(picker.value)
    assert listed == 11
    go = at.button(key="train.experiments.go")
    assert go.label == f"Run the {listed} experiments"
    at.radio(key="train.experiments.seeds").set_value(3).run()
    go = at.button(key="train.experiments.go")
    assert go.label == f"Run {listed} settings × 3 seeds = {3 * listed} runs"
    picker = at.multiselect(key="train.experiments.which.en")
    picker.set_value(picker.value[:1]).run()
    assert at.button(key="train.experiments.go").label == "Run 1 setting × 3 seeds = 3 runs"
    at.session_state["lang"] = "zh_TW"
    at.run()
    assert at.button(key="train.experiments.go").label == "執行 1 種設定 × 3 個種子 = 3 次訓練"


def test_train_names_the_quick_demo_as_compare_does(sample_root):
    at = _open(sample_root, TRAIN)
    at.toggle(key="train.quick").set_value(True).run()
    said = [m.value for m in at.markdown if m.value.startswith("This run: ")]
    names = {model_name(m) for m in list_models()}
    assert len(said) == len(names) and not any("≤" in s for s in said), said
    assert "This run: **CNN_basic · recipe**" in said


def _order(node, out=None) -> list:
    """Every element under `node` in the order the page draws it."""
    out = [] if out is None else out
    out.append(node)
    for _, child in sorted(getattr(node, "children", {}).items()):
        _order(child, out)
    return out


def test_a_pressed_run_shows_above_its_settings(sample_root, tiny_run):
    """Pressed, a run's progress (here: a stored run loaded at once, its figures) and its
    name come before its settings, in the first screen of the tab."""
    at = _open(sample_root, TRAIN)
    at.toggle(key="train.quick").set_value(True).run()
    for name, value in (("epochs", TINY.epochs), ("batch", TINY.batch_size), ("limit", TINY.limit)):
        at.number_input(key=f"train.cnn_basic.{name}").set_value(value)
    at.run()
    go = at.button(key="train.cnn_basic.go")
    assert go.label == "Load stored run"
    go.click().run()
    assert not at.exception, [e.value for e in at.exception]
    tab = at.tabs[0]
    drawn = _order(tab)
    kinds = [getattr(e, "type", "") for e in drawn]
    first_setting = next(i for i, e in enumerate(drawn) if getattr(e, "label", None) == "Epochs")
    name = next(
        i for i, e in enumerate(drawn) if str(getattr(e, "value", "")).startswith("This run: ")
    )
    figures = [i for i, k in enumerate(kinds) if k == "metric"]
    assert figures and name < min(figures) and max(figures) < first_setting, kinds


# --- Compare ---


@pytest.fixture(scope="module")
def compare_runs(sample_ds, tiny_run):
    """TINY in three seeds, and TINY mirrored: on the same test frames."""
    from handclf_core.training.train import train

    seeds = [tiny_run[0], *(train(sample_ds, _seeded(TINY, s))[0] for s in (1, 2))]
    mirrored, _ = train(sample_ds, dataclasses.replace(TINY, flip_right=True))
    return seeds, mirrored


def _expander(at, label: str):
    (found,) = [e for e in at.expander if e.label == label]
    return found


def _specs(at) -> list[dict]:
    """Each chart's Vega-Lite spec, its datasets (Streamlit sends them beside the spec, as
    Arrow) put back under "datasets" as lists of rows."""
    import pyarrow as pa

    out = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        spec["datasets"] = {
            d.name: pa.ipc.open_stream(d.data.data).read_pandas().to_dict("records")
            for d in chart.proto.datasets
        }
        out.append(spec)
    return out


def _chart(at, title_start: str) -> dict:
    for spec in _specs(at):
        if labels.title_text(spec.get("title")).startswith(title_start):
            return spec
    raise AssertionError(f"no chart titled {title_start!r}")


def _rows(spec: dict, layer: int | None = None) -> list[dict]:
    name = (spec["layer"][layer] if layer is not None else spec)["data"]["name"]
    return spec["datasets"][name]


def test_the_noise_lesson_is_plain_and_its_method_one_click_away(sample_root, compare_runs):
    at = _open(sample_root, COMPARE)
    method = _expander(at, "How the ranges are computed")
    inside = [m.value for m in method.markdown]
    assert any("bootstrap" in x and "with replacement" in x and "widened" in x for x in inside)
    assert any("standard deviation" in x for x in inside)
    assert any("times wider" in x for x in inside)
    outside = [x.value for x in [*at.markdown, *at.caption] if x.value not in inside]
    lesson = outside[next(i for i, x in enumerate(outside) if "Is the difference real?" in x) :]
    lesson = lesson[: next(i for i, x in enumerate(lesson) if "Is one setting better" in x)]
    assert len(lesson) >= 4, lesson
    found = [(w, x) for x in lesson for w in JARGON if w in x.lower()]
    assert not found, found
    # The plain picture: a dot per test recording, then where the figure could have landed.
    example = next(x for x in lesson if "If we had filmed 10 other recordings" in x)
    assert re.search(r"could have come out anywhere from about \d+% to \d+%", example)
    spec = _chart(at, "A dot per test recording")
    assert len(_rows(spec, 2)) == 10  # the sample's ten test recordings
    # The run it names is named as its chip is.
    named = re.match(r"\*\*(.+?)\*\* got ", example).group(1)
    chips = at.multiselect(key="compare.shown.en")
    assert named in [chips.format_func(v) for v in chips.value]
    assert "seed 0" not in " ".join(lesson)
    assert any(re.search(r"right over its \d+ seeds", x) for x in lesson)  # the seed's wobble


def test_the_noise_lesson_in_zh_tw_is_plain_too(sample_root, compare_runs):
    at = _open(sample_root, COMPARE, "zh_TW")
    inside = [m.value for m in _expander(at, "這些範圍是怎麼算出來的").markdown]
    assert any("有放回" in x and "標準差" not in x for x in inside)
    outside = [x.value for x in at.markdown if x.value not in inside]
    lesson = outside[next(i for i, x in enumerate(outside) if "差異是真的嗎？" in x) :]
    lesson = lesson[: next(i for i, x in enumerate(lesson) if "某個設定真的比另一個好嗎" in x)]
    found = [(w, x) for x in lesson for w in JARGON_ZH if w in x]
    assert not found, found
    assert any("如果我們拍的是另外 10 段錄影，這個數字可能落在大約" in x for x in lesson)
    assert not english_left(page_texts(at)), english_left(page_texts(at))


@pytest.mark.parametrize("lang", ["en", "zh_TW"])
def test_a_setting_compared_with_itself_is_refused(sample_root, compare_runs, lang):
    seeds, _ = compare_runs
    at = _open(sample_root, COMPARE, lang)
    a = at.selectbox(key=f"compare.diff.a.{lang}")
    b = at.selectbox(key=f"compare.diff.b.{lang}")
    a.set_value(seeds[0].name)
    b.set_value(seeds[0].name)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    said = [i.value for i in at.info]
    words = (
        "the same setting: choose another one to compare it with"
        if lang == "en"
        else "是同一個設定：請選另一個設定來和它比較"
    )
    assert any(words in x for x in said), said
    verdicts = ("is ahead of", "within the noise of") if lang == "en" else ("個百分點（95% 區間",)
    assert not [m.value for m in at.markdown if any(v in m.value for v in verdicts)]
    assert not [s for s in _specs(at) if '"difference"' in json.dumps(s.get("layer", []))]


def test_the_differences_chart_draws_the_two_settings_chosen(sample_root, compare_runs):
    """The chart under the verdict is that one difference (a row: the first setting, its
    title: minus the second), not every setting against a reference."""
    seeds, mirrored = compare_runs
    at = _open(sample_root, COMPARE)
    at.selectbox(key="compare.diff.a.en").set_value(mirrored.name)
    at.selectbox(key="compare.diff.b.en").set_value(seeds[0].name)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    a, b = config_label(mirrored.config), config_label(seeds[0].config)
    assert "right mirrored" in a and "mirrored" not in b
    (chart,) = [s for s in _specs(at) if "difference" in json.dumps(s.get("layer", []))]
    assert [r["name"] for r in _rows(chart, 0)] == [a]  # the one pair, not every setting
    assert f"minus {b} (points)" in json.dumps(chart, ensure_ascii=False)
    assert any(f"**{a}**" in c.value and f"**{b}**" in c.value for c in at.caption)
    assert sum(f"**{a}**" in m.value and f"**{b}**" in m.value for m in at.markdown) == 1


def test_splits_and_recall_have_a_row_per_setting(sample_root, compare_runs):
    """Three seeds of TINY are one row of the split chart (their mean, a dot per seed) and
    of the recall heat map (their mean), as in the table; a run alone stays one row."""
    seeds, _ = compare_runs
    at = _open(sample_root, COMPARE)
    table = at.table[0].value
    settings = list(table[header("run")])
    spec = _chart(at, "Train, validation and test accuracy of each setting")
    bars = _rows(spec)
    assert list(dict.fromkeys(r["name"] for r in bars)) == settings
    label = config_label(seeds[0].config)
    mine = {r["split_id"]: r for r in bars if r["name"] == label}
    tests = [r.test.accuracy for r in seeds]
    assert mine["test"]["accuracy"] == pytest.approx(sum(tests) / 3)
    dots = _rows(spec, 1)
    assert sorted(d["seed"] for d in dots if d["name"] == label and d["split"] == "test") == (
        pytest.approx(sorted(tests))
    )
    recall = _chart(at, "Recall per class")
    cells = _rows(recall)
    assert list(dict.fromkeys(c["run"] for c in cells)) == settings
    free = next(c for c in cells if c["run"] == label and c["class_name"] == "free")
    per_seed = [next(c.recall for c in r.test.per_class if c.name == "free") for r in seeds]
    assert free["recall"] == pytest.approx(sum(per_seed) / 3)
    # The run picker is folded: the first screen is the lesson's, not 33 chips.
    assert _expander(at, "Choose the runs shown").multiselect
    intro = next(m.value for m in at.markdown if "Every stored run" in m.value)
    assert (
        f"runs trained on this dataset for the task `obj`, newest first: {len(settings)} "
        "settings." in intro
    )
