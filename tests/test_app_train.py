"""The Train page, run headless with Streamlit's AppTest; its trainings are real and tiny."""

import json
import re
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from handclf_core.i18n import model_name
from handclf_core.models import get_recipe, list_models
from handclf_core.runs.config import TrainConfig
from handclf_core.runs.experiments import QUICK
from handclf_core.runs.folders import run_path, saved_run
from handclf_core.views import labels
from tests.conftest import TINY
from tests.test_i18n import english_left, page_texts, zh_page

ROOT = Path(__file__).resolve().parents[1]
TRAIN = "app_pages/3_Train.py"


def _page(sample_root) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state["data_spec"] = str(sample_root)
    at.run()
    at.switch_page(TRAIN).run()
    _ok(at)
    return at


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


LOCALIZED = ("balance", "validation", "precision")  # a box per language: key + ".en"
TOGGLES = ("gray", "flip", "crop", "shuffle")


def _set(at, model: str, **values) -> None:
    """Set widgets of one model's tab: epochs, batch, lr, limit, seed, size, gray, flip,
    crop, shuffle, balance, validation, precision, momentum."""
    for name, value in values.items():
        key = f"train.{model}.{name}" + (".en" if name in LOCALIZED else "")
        if name in TOGGLES:
            at.toggle(key=key).set_value(value)
        elif name in ("lr", "momentum", *LOCALIZED):
            at.selectbox(key=key).set_value(value)
        else:
            at.number_input(key=key).set_value(value)
    at.run()
    _ok(at)


def _quick(at, frames: int) -> None:
    """The quick demo, on at most `frames` frames per split of every model."""
    at.toggle(key="train.quick").set_value(True).run()
    for model in list_models():
        at.number_input(key=f"train.{model}.limit").set_value(frames)
    at.run()
    _ok(at)


def _button(at, model: str = "cnn_basic"):
    return at.button(key=f"train.{model}.go")


def _until(at, done, seconds: float, why) -> None:
    """Rerun the page until `done()` (a background job shows its state on each run),
    failing with `why()` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, why()
        time.sleep(0.5)
        at.run()
        _ok(at)


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_page_runs_with_the_recipes(sample_root):
    at = _page(sample_root)
    assert [t.label for t in at.tabs] == [model_name(m) for m in list_models()]
    for model in list_models():
        r = get_recipe(model)
        assert at.number_input(key=f"train.{model}.epochs").value == r.epochs
        assert at.number_input(key=f"train.{model}.batch").value == r.batch_size
        assert at.selectbox(key=f"train.{model}.lr").value == r.learning_rate
        assert at.selectbox(key=f"train.{model}.balance.en").value == "none"
    # The device shows once the training process (started with the app) has loaded TensorFlow.
    deadline = time.monotonic() + 120
    while not any("Training on **CPU" in c.value for c in at.caption):
        assert time.monotonic() < deadline, [c.value for c in at.caption]
        time.sleep(0.5)
        at.run()
    assert any("227x227 RGB, right hands mirrored" in c.value for c in at.caption)


def test_quick_demo_and_recipe_widgets(sample_root):
    at = _page(sample_root)
    at.toggle(key="train.quick").set_value(True).run()
    assert [at.number_input(key=f"train.{m}.epochs").value for m in list_models()] == [
        QUICK[m].get("epochs", get_recipe(m).epochs) for m in list_models()
    ]
    why = "128x128 pixels instead of 227x227 (32% of the pixels)"  # from the preset and recipe
    assert any(why in c.value for c in at.caption)  # and why
    _set(at, "mnist", epochs=3, batch=64, lr=0.1, balance="oversample", seed=5, limit=200,
         crop=True, validation="random", precision="float32")  # fmt: skip
    assert at.number_input(key="train.mnist.epochs").value == 3
    assert at.selectbox(key="train.mnist.balance.en").value == "oversample"
    assert any("centre-cropped" in c.value and "at most 200" in c.value for c in at.caption)
    label = "Mnist-style CNN · cropped · oversampling · validation: a random 20% of frames"
    assert any(label in m.value for m in at.markdown), [m.value for m in at.markdown]
    assert [b.label for b in at.button if b.key.endswith(".go") and "experiments" not in b.key] == [
        "Train"
    ] * 3
    at.button(key="train.mnist.reset").click().run()  # back to the (quick) recipe
    assert at.number_input(key="train.mnist.epochs").value == get_recipe("mnist").epochs
    assert at.selectbox(key="train.mnist.balance.en").value == "none"


def test_a_long_run_is_said_before_it_is_pressed_with_the_quick_demos_own_time(sample_root):
    """Above 5 minutes the estimate is a warning that gives the quick demo's own estimate
    (AlexNet's: under 5 minutes, from the same rates), and the quick demo itself is no
    such warning."""
    at = _page(sample_root)
    _set(at, "alexnet", epochs=200)
    (long_run,) = [w.value for w in at.warning if "That is long for a class" in w.value]
    quick_time = re.search(r"the quick demo \(the switch above\) takes about (?:(\d+) min )?"
                           r"(\d+) s here", long_run)  # fmt: skip
    assert quick_time, long_run
    minutes, seconds = (int(g or 0) for g in quick_time.groups())
    assert 0 < minutes * 60 + seconds < 5 * 60, long_run
    at.toggle(key="train.quick").set_value(True).run()
    _ok(at)
    assert not [w.value for w in at.warning if "That is long for a class" in w.value]


def test_preprocessing_choice_applied_trains_that_run(sample_root, sample_ds):
    """Grayscale and 20x20 chosen on the Preprocessing page, applied to cnn_basic only:
    the Train page trains a grayscale 20x20 cnn_basic, and mnist keeps its recipe."""
    at = _page(sample_root)
    at.switch_page("app_pages/2_Preprocessing.py").run()
    _ok(at)
    at.toggle(key="prep_gray").set_value(True)
    at.selectbox(key="prep_apply_to.en").set_value("cnn_basic")
    at.run()
    (apply,) = [b for b in at.button if b.label == "Apply"]
    apply.click().run()
    _ok(at)
    assert any("Applied to **CNN_basic**: 32x32 gray" in s.value for s in at.success)
    at.switch_page(TRAIN).run()
    _ok(at)
    assert at.toggle(key="train.cnn_basic.gray").value is True
    assert at.toggle(key="train.mnist.gray").value is True  # its recipe: grayscale
    assert at.toggle(key="train.alexnet.gray").value is False
    assert any("CNN_basic · gray" in m.value for m in at.markdown)
    _set(at, "cnn_basic", epochs=1, limit=48, seed=31)
    _button(at).click().run()
    _until(
        at,
        lambda: "Test accuracy" in _metrics(at),
        120,
        lambda: "training did not finish",
    )
    config = TrainConfig(model="cnn_basic", gray=True, epochs=1, limit=48, seed=31)
    run = saved_run(sample_ds.identity, config)
    assert run is not None and run.input_shape == (32, 32, 1)


def test_stored_configuration_loads(sample_root, tiny_run):
    at = _page(sample_root)
    _quick(at, TINY.limit)
    _set(at, "cnn_basic", epochs=TINY.epochs, batch=TINY.batch_size)
    assert _button(at).label == "Load stored run"
    _button(at).click().run()
    _ok(at)
    shown = _metrics(at)
    assert shown["Test accuracy"] == f"{tiny_run[0].test.accuracy:.1%}"
    assert {"Balanced accuracy", "Macro-F1", "Train accuracy", "Device"} <= set(shown)
    assert any("Loaded from the cache" in c.value for c in at.caption)
    # 64 frames, one epoch: at the baseline, and the page says so instead of cheering,
    # from the paired interval over the test recordings, given beside the figures.
    assert any("not distinguishable" in w.value for w in at.warning)
    assert any("95% intervals over the" in c.value for c in at.caption)


def test_stored_run_in_zh_tw_has_no_english(sample_root, tiny_run):
    """A loaded run's results (metrics, deltas, helps, device, curves) in Traditional Chinese."""
    at = zh_page(sample_root, TRAIN)
    _quick(at, TINY.limit)
    _set(at, "cnn_basic", epochs=TINY.epochs, batch=TINY.batch_size)
    assert _button(at).label == "載入已儲存的結果"
    _button(at).click().run()
    _ok(at)
    shown = _metrics(at)
    assert shown["測試準確率"] == f"{tiny_run[0].test.accuracy:.1%}"
    assert {"平衡準確率", "宏平均 F1", "訓練準確率", "裝置"} <= set(shown)
    assert shown["裝置"].startswith("CPU（") and shown["裝置"].endswith(" 核心）")
    assert any("從快取載入" in c.value for c in at.caption)
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert [labels.title_text(s["title"]) for s in specs] == ["損失", "準確率"]
    assert all(s["encoding"]["color"]["sort"] == ["訓練集", "驗證集"] for s in specs)  # legend
    texts = page_texts(at)
    assert any(x.endswith(" 個百分點（相對基準線）") for x in texts)
    # "streamlit" is the charts' theme name (a proto field), not a text a reader sees.
    left = english_left([x for x in texts if x != "streamlit"])
    assert not left, left


def test_train_in_the_background_then_cancel(sample_root, sample_ds):
    at = _page(sample_root)
    _quick(at, 48)
    _set(at, "cnn_basic", epochs=1, seed=21)
    assert _button(at).label == "Train"
    _button(at).click().run()
    _ok(at)
    assert _button(at).disabled  # its job is queued or running
    cancel = [b for b in at.button if b.label == "Cancel"]
    assert cancel, "a running job offers Cancel"
    _until(
        at,
        lambda: "Test accuracy" in _metrics(at),
        120,
        lambda: "training did not finish",
    )  # each run redraws the job's state
    assert any("Trained and stored" in c.value for c in at.caption)
    config = TrainConfig(model="cnn_basic", epochs=1, limit=48, seed=21)
    assert run_path(sample_ds.identity, config).exists()
    assert _button(at).label == "Load stored run" and not _button(at).disabled

    # A long run of mnist (40 epochs of 3 batches), cancelled from the page.
    _set(at, "mnist", epochs=40, batch=16, seed=22)
    _button(at, "mnist").click().run()
    _ok(at)
    (cancel,) = [b for b in at.button if b.label == "Cancel"]
    cancel.click().run()
    assert any("Cancel this training?" in w.value for w in at.warning)  # asks first
    (yes,) = [b for b in at.button if b.label == "Yes, cancel"]
    yes.click().run()
    _until(
        at,
        lambda: at.warning and "Cancelled" in at.warning[-1].value,
        60,
        lambda: "cancel did not end the job",
    )
    mnist = TrainConfig(model="mnist", epochs=40, batch_size=16, limit=48, seed=22)
    assert not run_path(sample_ds.identity, mnist).exists()
    assert _button(at, "mnist").label == "Train"


def test_experiment_grid_fills_compare_and_a_deleted_run_leaves_it(sample_root, sample_ds):
    """Two of the quick experiments, queued from the Train page, trained one after another
    in the background; Compare shows both; one deleted there (confirmed) is gone."""
    at = _page(sample_root)
    at.multiselect(key="train.experiments.which.en").set_value(["cnn_basic.gray", "mnist.rgb"])
    at.run()
    go = at.button(key="train.experiments.go")
    assert go.label == "Run the 2 experiments"
    # Before pressing: how long they take here (or that they are stored and load at once).
    assert any("Expected time on this machine" in c.value or "stored: they load at once"
               in c.value for c in at.caption)  # fmt: skip
    go.click().run()
    _ok(at)
    _until(
        at,
        lambda: any("2 experiments finished" in s.value for s in at.success),
        240,
        lambda: [p.proto.text for p in at.get("progress")],
    )
    at.switch_page("app_pages/4_Compare.py").run()
    _ok(at)
    # The quick preset's 3,000 frames limit nothing on the tiny sample: the runs are unlimited.
    labels = ["CNN_basic · gray", "Mnist-style CNN · RGB · batch 32"]
    shown = at.multiselect(key="compare.shown.en")
    names = {shown.format_func(v): v for v in shown.value}  # every stored run, shown
    assert set(labels) <= set(names)
    table = at.table[0].value
    assert set(labels) <= set(table["run"])

    at.selectbox(key="runs.manage.en").set_value(names[labels[1]]).run()  # the mnist run
    at.button(key="runs.delete").click().run()
    assert any("Delete the run **Mnist-style CNN" in w.value for w in at.warning)  # asks first
    at.button(key="runs.delete.yes").click().run()
    _ok(at)
    assert any(f"Deleted {labels[1]}" in s.value for s in at.success)
    assert labels[1] not in set(at.table[0].value["run"])
    assert labels[0] in set(at.table[0].value["run"])


def test_a_preprocessing_choice_not_applied_is_said_on_train(sample_root):
    """Everything toggled on Preprocessing, no Apply: the Train page said nothing and
    trained the plain recipes. Now it says so, until the choice is applied."""
    at = _page(sample_root)
    at.switch_page(TRAIN).run()
    _ok(at)
    assert not [w for w in at.warning if "not applied" in w.value]  # nothing chosen yet
    at.switch_page("app_pages/2_Preprocessing.py").run()
    at.toggle(key="prep_gray").set_value(True).run()
    at.switch_page(TRAIN).run()
    _ok(at)
    (warning,) = [w.value for w in at.warning if "not applied" in w.value]
    assert "gray" in warning and at.toggle(key="train.cnn_basic.gray").value is False
    at.switch_page("app_pages/2_Preprocessing.py").run()
    (apply,) = [b for b in at.button if b.label == "Apply"]
    apply.click().run()
    at.switch_page(TRAIN).run()
    _ok(at)
    assert not [w for w in at.warning if "not applied" in w.value]
    assert at.toggle(key="train.cnn_basic.gray").value is True


def test_a_setting_trained_with_three_seeds_gives_their_mean_and_pooled_interval(
    sample_root, sample_ds, tiny_run
):
    """Seeds 3: the seed set and the next two, each its own stored run (the first loads),
    then their mean, spread and the interval pooled over recordings and seeds."""
    import dataclasses

    at = _page(sample_root)
    _quick(at, TINY.limit)
    _set(at, "cnn_basic", epochs=TINY.epochs, batch=TINY.batch_size)
    at.radio(key="train.cnn_basic.seeds").set_value(3).run()
    _ok(at)
    _button(at).click().run()
    _until(
        at,
        lambda: any("Over 3 seeds" in m.value for m in at.markdown),
        240,
        lambda: [p.proto.text for p in at.get("progress")],
    )
    for seed in (0, 1, 2):
        assert saved_run(sample_ds.identity, dataclasses.replace(TINY, seed=seed)) is not None
    (text,) = [m.value for m in at.markdown if "Over 3 seeds" in m.value]
    assert "95% interval over the test recordings and the seeds" in text


def test_time_left_is_not_zero_while_the_test_split_is_scored():
    """After the last batch the loop's time left is 0:00, but the test split is still being
    scored: the panel says "…" then, not a 0:00 that stays up."""
    from types import SimpleNamespace

    from app.training import time_left
    from handclf_core.training.progress import Batch, Step
    from handclf_core.vocab import Split, Stage

    last = Batch(10, 10, 20, 20, 0.5, 0.8, 100.0, 0.0)
    training = SimpleNamespace(step=Step(Stage.TRAINING), batch=Batch(2, 10, 5, 20, 1, 0.5, 90, 95))
    assert time_left(training) == "1:35"
    assert time_left(SimpleNamespace(step=Step(Stage.SCORING, Split.TEST), batch=last)) == "…"
    assert time_left(SimpleNamespace(step=Step(Stage.TRAINING), batch=None)) == "…"


def test_the_experiments_survive_a_reload_and_another_tab_cancels_them(sample_root, sample_ds):
    """The experiments belong to the server: a new session (a reload, a second tab) sees
    their progress and the running one, its sidebar says the server is working, and its
    cancel (asked first) stops them for every tab."""
    from handclf_core.training import board

    first = _page(sample_root)
    picked = ["cnn_basic.class_weight", "cnn_basic.random_validation"]
    first.multiselect(key="train.experiments.which.en").set_value(picked).run()
    first.button(key="train.experiments.go").click().run()
    _ok(first)
    group = board.latest_group()
    assert group is not None and len(group.jobs) == 2

    reloaded = _page(sample_root)  # a new session: nothing of the first one's state
    assert reloaded.button(key="train.experiments.go").disabled  # not pressed twice
    bars = [p.proto.text for p in reloaded.get("progress")]
    assert any("of 2 experiments done" in b for b in bars), bars
    working = [c.value for c in reloaded.caption if "Working: the experiments" in c.value]
    assert working and re.search(r"\d of 2 done · about", working[0]), working
    reloaded.button(key="work.cancel.experiments").click().run()
    assert any("Cancel the experiments?" in w.value for w in reloaded.warning)  # asks first
    reloaded.button(key="work.yes.experiments").click().run()
    _ok(reloaded)
    for key in group.jobs:
        job = board.read(key)
        deadline = time.monotonic() + 60
        while job.active:
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
            job = board.read(key)
        assert job.status == "cancelled"
    _until(first, lambda: any("were cancelled" in w.value for w in first.warning), 30,
           lambda: [w.value for w in first.warning])  # fmt: skip
    assert not first.button(key="train.experiments.go").disabled
