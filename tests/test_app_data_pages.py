"""The Dataset and Preprocessing pages, run headless with Streamlit's AppTest on the small
sample, and the chart builders behind them."""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from handclf_core.data.images import Preprocessing
from handclf_core.data.stats import dataset_stats
from handclf_core.data.store import open_store
from handclf_core.i18n import name
from handclf_core.views import data as charts
from handclf_core.views import preprocessing
from handclf_core.vocab import CLASSES, Split

from .treeutil import SHARED, make_tree

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
DATASET, PREP = "app_pages/1_Dataset.py", "app_pages/2_Preprocessing.py"
REAL_FRAMES = SHARED / "frames"  # two real 1920x1080 HandCam frames


def _page(spec, page: str, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["data_spec"] = str(spec)
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def _chart_data(at: AppTest, index: int) -> pd.DataFrame:
    """The rows Streamlit sent with a chart (as Arrow, beside the Vega-Lite spec)."""
    import pyarrow as pa

    (named,) = at.get("vega_lite_chart")[index].proto.datasets
    return pa.ipc.open_stream(named.data.data).read_pandas()


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# --- Dataset page ---


def test_dataset_page_headline_charts_gallery(sample_root, sample_ds):
    at = _page(sample_root, DATASET)
    stats = dataset_stats(sample_ds, "obj")
    train, test = stats["splits"]["train"], stats["splits"]["test"]
    metrics = _metrics(at)
    assert metrics["Training frames"] == f"{train['frames']:,}"
    assert metrics["Test frames"] == f"{test['frames']:,}"
    assert metrics["Classes"] == "24"
    assert metrics["Imbalance (train)"] == f"{train['imbalance_ratio']:,.0f} : 1"
    assert metrics["Always 'free' scores"] == f"{stats['majority_baseline']['test_accuracy']:.1%}"
    distribution, train_scenes, test_scenes, timeline = _specs(at)
    assert distribution["encoding"]["x"]["scale"]["type"] == "linear"
    for split, scenes in ((Split.TRAIN, train_scenes), (Split.TEST, test_scenes)):
        assert scenes["encoding"]["color"]["field"] == "share"  # titled by its split
        assert f'["{name(split)}"]' in scenes["title"]["text"]["expr"]
    assert timeline["encoding"]["x2"]["field"] == "end"
    assert len(at.get("image")) == 12  # classes 0-11, one frame each (or a "no frame" note)
    assert "Would balancing the classes help?" in " ".join(m.value for m in at.markdown)
    assert not at.error


def test_dataset_page_widgets(sample_root, sample_ds):
    at = _page(sample_root, DATASET)
    at.toggle(key="ds_log").set_value(True)
    at.toggle(key="ds_by_hand").set_value(True)
    at.selectbox(key="ds_rec.en").set_value("test/lab/2")
    at.radio(key="ds_page").set_value(12)
    at.run()
    assert not at.exception
    distribution, _, _, timeline = _specs(at)
    assert distribution["encoding"]["x"]["scale"]["type"] == "log"
    assert distribution["encoding"]["column"]["field"] == "hand"
    hands = sample_ds.hand_frames()
    recording = hands[(hands.split == "test") & (hands.scene == "lab") & (hands.recording == 2)]
    expected = charts.label_segments(recording, "obj", list(CLASSES["obj"]))
    pd.testing.assert_frame_equal(_chart_data(at, 3)[expected.columns], expected)
    captions = " ".join(c.value for c in at.caption)
    assert "12 · switch" in captions and "0 · free" not in captions
    shown = len(at.get("image"))
    at.button[0].click().run()  # "Other frames": another draw
    assert not at.exception
    assert at.session_state["ds_seed"] == 1 and len(at.get("image")) == shown


def test_dataset_page_follows_the_task(sample_root, sample_ds):
    at = _page(sample_root, DATASET, task="FA")
    assert _metrics(at)["Classes"] == "2" and len(at.get("image")) == 2
    ratio = dataset_stats(sample_ds, "FA")["splits"]["train"]["imbalance_ratio"]
    assert _metrics(at)["Imbalance (train)"] == f"{ratio:.1f} : 1"  # below 10: one decimal
    assert not at.get("radio")

    at = _page(sample_root, DATASET, task="ges")
    stats = dataset_stats(sample_ds, "ges")
    assert _metrics(at)["Classes"] == "13"
    assert _metrics(at)["Training frames"] == f"{stats['splits']['train']['frames']:,}"
    assert at.radio(key="ds_page").options == ["0–6", "7–12"]  # 13 classes: two even pages
    assert len(at.get("image")) == 7


def _sent(at: AppTest) -> str:
    """Every chart's spec and rows as Streamlit sent them, as text."""
    import pyarrow as pa

    out = []
    for chart in at.get("vega_lite_chart"):
        out.append(chart.proto.spec)
        for named in chart.proto.datasets:
            out.append(pa.ipc.open_stream(named.data.data).read_pandas().to_csv())
    return "\n".join(out)


def test_shared_caches_are_keyed_by_language_and_task(sample_root):
    """What the server computes once for every session (statistics, label timelines) is
    kept per dataset, task and language: a session in another language or task after a
    first one sees its own charts, and the first one's again after it."""
    from handclf_core.i18n import class_name

    def dataset(lang: str, task: str = "obj") -> str:
        return _sent(_page(sample_root, DATASET, lang=lang, task=task))

    free_zh = class_name("zh_TW", "obj", "free").split()[0]  # 「空手」
    first = dataset("en")
    assert "free" in first and free_zh not in first
    zh = dataset("zh_TW")
    assert free_zh in zh
    again = dataset("en")  # the cache kept both
    assert "free" in again and free_zh not in again
    ges = dataset("en", "ges")  # another task: its own classes, not obj's
    assert ges != first and "cookie" in first and "cookie" not in ges


@pytest.mark.parametrize("page", [DATASET, PREP])
def test_bad_dataset_path_is_a_message_not_a_crash(tmp_path, page):
    at = _page(tmp_path / "no-such-folder", page)
    assert "could not be read" in at.error[0].value
    assert "sidebar" in at.info[0].value
    assert not at.get("vega_lite_chart")


def test_dataset_page_imports_no_tensorflow_and_renders_fast(sample_root):
    """In a fresh interpreter: Home then Dataset, and neither imports TensorFlow or Keras.
    The second Dataset run (caches warm, as for a student clicking around) is timed."""
    script = textwrap.dedent(
        f"""
        import json, sys, time
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({APP!r}, default_timeout=120)
        at.session_state["data_spec"] = {str(sample_root)!r}
        at.run()
        t = time.perf_counter(); at.switch_page({DATASET!r}).run(); first = time.perf_counter() - t
        t = time.perf_counter(); at.run(); second = time.perf_counter() - t
        time.sleep(3)  # a preload would have started by now
        print(json.dumps({{"first": first, "second": second, "errors": len(at.exception),
                          "tf": "tensorflow" in sys.modules, "keras": "keras" in sys.modules}}))
        """
    )
    # Keras is preloaded in the background by the pages that need it (Compare, Predict),
    # here at once: the Home and Dataset pages neither import it nor start its preload.
    env = {**os.environ, "HANDCLF_PRELOAD_DELAY": "0"}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(result)
    assert result["errors"] == 0
    assert not result["tf"] and not result["keras"]
    assert result["second"] < 2.0, result


@pytest.mark.skipif(not REAL_FRAMES.is_dir(), reason=f"no real HandCam frames at {REAL_FRAMES}")
def test_pages_on_full_resolution_frames(tmp_path):
    """Every frame a real 1920x1080 PNG: the pages decode only the dozen frames they show."""
    root = make_tree(
        tmp_path / "hd", {("train", "house", 1): 24, ("test", "house", 1): 24}, png=False
    )
    for frame in (root / "frames").rglob("*.png"):
        hand = "R" if "/Rhand/" in frame.as_posix() else "L"
        frame.unlink()
        frame.symlink_to(REAL_FRAMES / f"house_{hand}hand_Image723.png")
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["data_spec"] = str(root)
    at.session_state["data_subset"] = True  # a few recordings of the layout
    started = time.perf_counter()
    at.switch_page(DATASET).run()
    first = time.perf_counter() - started
    assert not at.exception and len(at.get("image")) == 12
    started = time.perf_counter()
    at.run()
    second = time.perf_counter() - started
    print(f"Dataset page on 1920x1080 frames: first run {first:.2f} s, second {second:.2f} s")
    assert second < 2.0
    at.switch_page(PREP).run()
    assert not at.exception and len(at.get("image")) == 8


# --- Preprocessing page ---


def test_preprocessing_page_defaults_and_choices(sample_root):
    from app.session import PREP_KEY, PrepChoice

    at = _page(sample_root, PREP)
    assert at.session_state[PREP_KEY] == PrepChoice()
    assert len(at.get("image")) == 8  # 4 frames, before and after
    (memory,) = _specs(at)
    assert memory["layer"][0]["mark"]["type"] == "bar"
    at.radio(key="prep_size.en").set_value(227)
    at.radio(key="prep_crop.en").set_value(True)
    at.toggle(key="prep_gray").set_value(True)
    at.toggle(key="prep_flip_right").set_value(True)
    at.toggle(key="prep_shuffle").set_value(False)
    at.radio(key="prep_balance.en").set_value("oversample")
    at.run()
    assert not at.exception
    chosen = PrepChoice(Preprocessing(size=227, gray=True, flip_right=True, crop=True),
                        shuffle=False, balance="oversample")  # fmt: skip
    assert at.session_state[PREP_KEY] == chosen
    assert "227x227x1" in " ".join(c.value for c in at.caption)
    # Leaving the page drops its widgets' state; coming back restores the choices.
    at.switch_page(DATASET).run()
    at.switch_page(PREP).run()
    assert at.session_state[PREP_KEY] == chosen
    assert at.radio(key="prep_size.en").value == 227 and at.toggle(key="prep_gray").value


def test_prep_choice_defaults_are_the_cores():
    from app.session import PrepChoice
    from handclf_core.runs.config import TrainConfig

    choice = PrepChoice()
    assert choice.preprocessing == Preprocessing()  # 32x32 RGB, squashed, not mirrored
    assert (choice.shuffle, choice.balance) == (TrainConfig().shuffle, TrainConfig().balance)

    def script():
        import streamlit as st

        from app import session

        st.session_state["seen"] = session.prep_choice()

    at = AppTest.from_function(script).run()
    assert at.session_state["seen"] == PrepChoice()


def test_preprocessing_page_builds_the_store(sample_root, sample_ds, tmp_path, monkeypatch):
    monkeypatch.setenv("HANDCLF_CACHE", str(tmp_path))  # a store of our own, built here
    at = _page(sample_root, PREP)
    assert open_store(sample_ds) is None
    assert "No frame store yet" in at.info[0].value
    at.radio(key="prep_size.en").set_value(28)
    at.toggle(key="prep_gray").set_value(True)
    at.run()
    assert "frames once" in " ".join(c.value for c in at.caption)  # the plan, before pressing
    at.button(key="prep_build").click().run()  # a job of the server: the page follows it
    _built(at, "Ready")
    assert not at.exception and not at.error
    store = open_store(sample_ds)
    assert store is not None and len(store) == len(sample_ds.hand_frames())
    assert (store.path / "variants" / "s28-gray-noflip-squash.npy").is_file()
    assert not at.get("progress")  # the bar is gone when done
    assert at.run().button(key="prep_build").disabled  # nothing left to build for these choices


def _built(at, ready: str, seconds: float = 120) -> None:
    """Rerun the page (as its fragment does every second) until the store's job is done."""
    deadline = time.monotonic() + seconds
    while not any(s.value.startswith(ready) for s in at.success):
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert time.monotonic() < deadline, [p.proto.text for p in at.get("progress")]
        time.sleep(0.5)
        at.run()


# --- chart builders ---


@pytest.fixture(scope="module")
def stats(sample_ds):
    return dataset_stats(sample_ds, "obj")


def test_class_distribution_chart(stats):
    df = charts.class_counts_frame(stats)
    assert len(df) == 2 * 24
    assert df.groupby("split").frames.sum().to_dict() == {
        s: stats["splits"][s]["frames"] for s in ("train", "test")
    }
    chart = charts.class_distribution(stats)
    assert isinstance(chart, alt.Chart)
    spec = chart.to_dict()
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["y"]["field"] == "class"
    assert spec["encoding"]["yOffset"]["field"] == "split"
    assert spec["encoding"]["y"]["sort"][:2] == ["0 · free", "1 · computer"]
    assert "column" not in spec["encoding"]

    log = charts.class_distribution(stats, log=True, by_hand=True).to_dict()
    assert log["encoding"]["x"]["scale"]["type"] == "log"
    assert log["encoding"]["column"]["field"] == "hand"
    (rows,) = log["datasets"].values()
    assert rows and all(r["frames"] > 0 for r in rows)  # log 0 is undefined: no empty bar
    by_hand = charts.class_counts_frame(stats, by_hand=True)
    assert set(by_hand.hand_id) == {"Lhand", "Rhand"} and by_hand.frames.sum() == df.frames.sum()
    assert set(by_hand.hand) == {"left hand", "right hand"}  # shown by the hand's one name


def test_scene_heatmap(stats):
    df = charts.scene_frame(stats)
    assert (df.frames > 0).all()
    assert df.frames.sum() == sum(stats["splits"][s]["frames"] for s in ("train", "test"))
    shares = df.groupby(["split", "scene"]).share.sum()
    assert np.allclose(shares, 1.0)
    for split in ("train", "test"):  # one chart a split: side by side, or one above the other
        spec = charts.scene_heatmap(stats, split).to_dict()
        assert spec["mark"]["type"] == "rect" and spec["width"] == "container"
        assert spec["encoding"]["color"]["field"] == "share"
        assert {spec["encoding"][c]["field"] for c in ("x", "y")} == {"scene", "class"}
        (rows,) = spec["datasets"].values()
        assert {r["split_id"] for r in rows} == {split}


def test_label_segments_and_timeline():
    frames = pd.DataFrame(
        {
            "camera": ["Lhand"] * 5 + ["Rhand"] * 3,
            "frame": [1, 11, 21, 31, 41, 3, 1, 2],  # unsorted on purpose
            "obj": [0, 0, 9, 9, 0, 20, 20, 20],
        }
    )
    seg = charts.label_segments(frames, "obj", ["free"] + [f"c{i}" for i in range(1, 24)])
    columns = ["camera_id", "class_id", "class", "start", "end", "frames"]
    assert seg[columns].values.tolist() == [
        # camera_id is the folder's name; "camera" the hand as shown
        ["Lhand", 0, "0 · free", 1, 21, 2],
        ["Lhand", 9, "9 · c9", 21, 41, 2],
        ["Lhand", 0, "0 · free", 41, 42, 1],  # the last run ends after its last frame
        ["Rhand", 20, "20 · c20", 1, 4, 3],
    ]
    spec = charts.label_timeline(seg).to_dict()
    assert spec["encoding"]["x"]["field"] == "start" and spec["encoding"]["x2"]["field"] == "end"
    assert spec["encoding"]["y"]["sort"] == ["0 · free", "9 · c9", "20 · c20"]
    assert spec["encoding"]["color"]["field"] == "camera"


def test_memory_chart():
    df = preprocessing.memory_frame(14992, {"alexnet": (227, 227, 3), "mnist": (28, 28, 1)})
    assert df.bytes.tolist() == [14992 * 227 * 227 * 3, 14992 * 28 * 28]
    assert df["size"].tolist() == ["2.3 GB", "11.8 MB"]
    chart = preprocessing.memory_chart(df, highlight="mnist")
    assert isinstance(chart, alt.LayerChart)
    spec = chart.to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "text"]
    assert spec["layer"][1]["encoding"]["text"]["field"] == "size"


@pytest.mark.parametrize(
    "n, text",
    [(0, "0 B"), (999, "999 B"), (1500, "1.5 kB"), (2.3e9, "2.3 GB"), (5e12, "5,000.0 GB")],
)
def test_human_bytes(n, text):
    assert charts.human_bytes(n) == text


def test_preprocessing_page_in_zh_tw_with_choices_and_store(sample_root, tmp_path, monkeypatch):
    """zh-TW beyond the first view: grayscale, centre-crop and oversampling chosen, the
    store built, then another size whose inputs are not derived yet."""
    from tests.test_i18n import english_left, page_texts, zh_page

    monkeypatch.setenv("HANDCLF_CACHE", str(tmp_path))
    at = zh_page(sample_root, PREP)
    assert at.title[0].value == "前處理"
    assert "還沒有影格庫" in at.info[0].value
    at.radio(key="prep_size.zh_TW").set_value(28)
    at.radio(key="prep_crop.zh_TW").set_value(True)
    at.toggle(key="prep_gray").set_value(True)
    at.radio(key="prep_balance.zh_TW").set_value("oversample")
    at.run()
    at.button(key="prep_build").click().run()
    _built(at, "準備就緒")
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("準備就緒")
    assert "`28x28 灰階，裁切`" in at.success[0].value  # said as people say it, not an id
    assert at.radio(key="prep_crop.zh_TW").format_func(True) == "置中裁切"
    assert at.radio(key="prep_balance.zh_TW").format_func("oversample") == "過採樣"
    assert "28x28x1" in " ".join(c.value for c in at.caption)
    inputs = _chart_data(at, 0)["input"].tolist()
    assert inputs[0] == "你的選擇" and "MNIST 式 CNN 預設" in inputs  # the model's one name
    assert not english_left(page_texts(at)), english_left(page_texts(at))
    at.radio(key="prep_size.zh_TW").set_value(227).run()
    assert "還沒有產生 `227x227 灰階，裁切` 輸入" in at.info[0].value
    assert not english_left(page_texts(at)), english_left(page_texts(at))


def test_a_partial_dataset_is_refused_then_read_as_a_subset_that_says_so(tmp_path):
    root = make_tree(tmp_path / "part", {("train", "house", 1): 3, ("test", "house", 1): 3})
    at = _page(root, DATASET)
    assert "could not be read" in at.error[0].value and "subset" in at.error[0].value
    assert not at.get("vega_lite_chart")
    at = _page(root, DATASET, data_subset=True)
    assert not at.error and at.get("vega_lite_chart")
    (warning,) = at.warning
    assert "Reading a subset: 36 of 40" in warning.value and "train/house/2/Lhand" in warning.value
