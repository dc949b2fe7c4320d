"""The Compare and Predict pages, run headless with Streamlit's AppTest over stored tiny runs."""

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from handclf_core.i18n import model_name
from handclf_core.inside.predict import classify
from handclf_core.runs.folders import default_per_model, list_runs
from handclf_core.runs.report import REPORT_ROWS
from handclf_core.views.runs import header

ROOT = Path(__file__).resolve().parents[1]
REAL_FRAMES = ROOT.parent / "shared" / "handcam" / "frames"
COMPARE, PREDICT = "app_pages/4_Compare.py", "app_pages/5_Predict.py"


def _page(sample_root, page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state["data_spec"] = str(sample_root)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _by_label(widgets, label: str):
    (widget,) = [w for w in widgets if w.label == label]
    return widget


def _model(at):
    """The run looked at up close: a radio of its names, a select box beyond 12 runs."""
    return _by_label([*at.radio, *at.selectbox], "Model")


def _charts(at) -> int:
    return len(at.get("vega_lite_chart"))


@pytest.fixture(scope="module")
def stored(sample_ds, tiny_run, flip_run):
    """Every stored obj run of the sample (other tests may have added some)."""
    return list_runs(sample_ds.identity, "obj")


def _png(size=(64, 36)) -> bytes:
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def test_compare_page_shows_every_run_and_the_report(sample_root, stored):
    from handclf_core.runs.confidence import settings
    from handclf_core.views.confidence import SETTING_COLUMNS

    at = _page(sample_root, COMPARE)
    # Static tables, read whole: the settings, the details (in an expander), the report.
    table, details, report = (t.value for t in at.table)
    assert len(table) == len(settings(stored)) and len(details) == len(stored) >= 2
    assert list(table.columns) == [header(c) for c in SETTING_COLUMNS]  # one row per setting
    assert set(details[header("run_name")]) == {r.name for r in stored}
    shown = [f"{r.accuracy:.1%}" for r in REPORT_ROWS]
    assert [str(v) for v in report[header("accuracy")]] in (
        shown,
        [str(r.accuracy) for r in REPORT_ROWS],
    )
    assert any("92%" in m.value and "training" in m.value for m in at.markdown)
    assert any("built-in sample" in w.value for w in at.warning)
    # accuracy, train/validation/test, recall and confusion (each twice: for a wide and a
    # narrow room, the browser shows one), PR curves; the noise lesson's recordings; and the
    # difference of the two settings chosen when they were scored on the same test frames
    # (these two were not: limits)
    paired = _charts(at)
    lesson = any("If we had filmed" in m.value for m in at.markdown)
    verdict = any("is ahead of" in m.value or "within the noise" in m.value for m in at.markdown)
    assert paired == 7 + lesson + verdict
    assert at.get("download_button")
    # Another model's confusion matrix and curves; the report's bars switched off.
    _model(at).set_value(stored[1].name).run()
    at.toggle[0].set_value(False).run()
    assert not at.exception and _charts(at) == paired


def test_compare_gives_intervals_seeds_and_a_paired_verdict(sample_root, sample_ds, tiny_run):
    """Each figure with its interval over test recordings, error bars on the accuracy chart,
    a setting of two seeds as one row with a dot per seed, and two settings compared on the
    same test frames in words."""
    import dataclasses

    from handclf_core.runs.confidence import run_intervals
    from handclf_core.training.train import train
    from tests.conftest import TINY

    seed1, _ = train(sample_ds, dataclasses.replace(TINY, seed=1))
    train(sample_ds, dataclasses.replace(TINY, flip_right=True))  # the same test frames
    at = _page(sample_root, COMPARE)
    table = at.table[0].value
    row = table[table[header("seeds")] == "0, 1"].iloc[0]
    pooled = run_intervals([tiny_run[0], seed1], sample_ds.hand_frames()).test_accuracy
    mean = (tiny_run[0].test.accuracy + seed1.test.accuracy) / 2
    assert row[header("test_accuracy")].replace("\u2060", "") == (  # the dash held to its figures
        f"{mean:.1%} ({pooled.low * 100:.1f}–{pooled.high * 100:.1f})"
    )
    assert row[header("seed_spread")].startswith("sd ")
    caption = "the range it could have come out in with other test recordings (and other seeds)"
    assert any(caption in c.value for c in at.caption)
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    marks = [(layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"],
              layer["encoding"].get("x2", {}).get("field")) for layer in spec["layer"]]  # fmt: skip
    assert ("rule", "high") in marks and any(m == "point" for m, _ in marks)  # bars, dots
    dots = [layer for layer in spec["layer"] if layer["encoding"]["x"]["field"] == "seed"]
    assert len(dots) == 1  # a dot per seed (their values: tests/test_views_runs.py)
    texts = [m.value for m in at.markdown]
    assert any("Is the difference real?" in x for x in texts)
    assert any("times wider" in x for x in texts)  # frame-level against recording-level
    assert any("right over its 2 seeds" in x for x in texts)
    verdicts = [x for x in texts if "within the noise of 10 test recordings" in x
                or " is ahead of " in x]  # fmt: skip
    assert len(verdicts) == 1  # the two best settings, in words
    assert _charts(at) >= 7  # and the recordings, and the difference of those two


def test_predict_page_top5_of_each_model(sample_root, sample_ds, stored):
    at = _page(sample_root, PREDICT)
    models = default_per_model(stored)
    tops = [d.value for d in at.dataframe]
    assert len(tops) == len(models) and all(len(t) == 5 for t in tops)
    assert [s.value for s in at.subheader] == [model_name(r.model) for r in models]
    assert sum(" ms · test accuracy " in c.value for c in at.caption) == len(models)
    assert any("True label" in m.value for m in at.markdown) and at.get("image")
    # The picture, what each model sees, the first filters and two layers of feature maps.
    images = at.get("image")
    assert len(images) == 1 + len(models) + 3, len(images)
    captions = [i.caption for e in images for i in e.proto.imgs]
    assert sum(c.startswith("What it sees: ") for c in captions) == len(models), captions
    assert len(at.get("vega_lite_chart")) == len(models)  # the top classes of each
    at.toggle(key="predict.heat").set_value(True).run()
    assert not at.exception and len(at.get("image")) == 1 + 2 * len(models) + 3
    captions = [i.caption for e in at.get("image") for i in e.proto.imgs]
    assert sum("(occlusion, " in c for c in captions) == len(models), captions
    at.toggle(key="predict.heat").set_value(False).run()
    hand = _by_label(at.radio, "Which wrist camera took it?")
    assert hand.value == "left"  # the default frame is a left-hand one

    # Pick the right-hand camera and a class: the hand follows the camera, then is overridden.
    _by_label(at.selectbox, "Camera").set_value("Rhand").run()
    hand = _by_label(at.radio, "Which wrist camera took it?")
    assert hand.value == "right"
    _by_label(at.selectbox, "Class held").set_value(0).run()
    at.slider[0].set_value(2).run()
    _by_label(at.radio, "Which wrist camera took it?").set_value("left").run()
    assert not at.exception and len(at.dataframe) == len(models)
    assert at.dataframe[0].value["true"].isin(["✓", ""]).all()


def _truncated() -> bytes:
    data = _png((320, 180))
    return data[: len(data) // 2]


BAD_UPLOADS = [
    ("empty.png", b"", "an empty file"),
    ("notes.png", b"this is not a picture", "something else"),
    ("cut.png", _truncated(), "truncated or corrupt"),
]


def test_predict_page_uploads_bad_files_are_errors_not_crashes(sample_root, stored):
    at = _page(sample_root, PREDICT)
    _by_label(at.radio, "Picture").set_value("upload").run()
    assert any("Upload a picture" in i.value for i in at.info)
    for name, data, found in BAD_UPLOADS:
        at.file_uploader[0].set_value((name, data, "image/png")).run()
        assert not at.exception, name
        assert len(at.error) == 1 and found in at.error[0].value and name in at.error[0].value
        assert not at.dataframe  # no predictions
    # A good picture after the bad ones: every model answers.
    at.file_uploader[0].set_value(("photo.png", _png(), "image/png")).run()
    assert not at.exception and not at.error
    # Models of the built-in sample's drawings, asked about an upload: a doubt only where
    # the model is less sure of it than of 95% of its test frames, saying both figures.
    doubt = [w for w in at.warning if "drawn pictures" in w.value]
    assert len(doubt) <= len(default_per_model(stored))
    assert all("less sure of this picture" in w.value and "95% of its test frames" in w.value
               for w in doubt)  # fmt: skip
    assert len(at.dataframe) == len(default_per_model(stored))
    # Then an animated GIF: refused by name, and the answer above does not stay on screen.
    gif = io.BytesIO()
    frames = [Image.new("RGB", (64, 36), c) for c in ("red", "blue")]
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:])
    at.file_uploader[0].set_value(("wave.gif", gif.getvalue(), "image/gif")).run()
    assert not at.exception and "expected a PNG or JPEG image" in at.error[0].value
    assert not at.dataframe
    assert at.file_uploader[0].proto.type == []  # every file reaches the page's own check


@pytest.mark.skipif(not REAL_FRAMES.is_dir(), reason=f"no real HandCam frames at {REAL_FRAMES}")
def test_classify_real_frame(stored):
    path = REAL_FRAMES / "house_Rhand_Image723.png"
    models = default_per_model(stored)
    picture, results = classify(path.read_bytes(), path.name, models, "right")
    assert picture.size == (1920, 1080) and len(results) == len(models)
    for result, run in zip(results, models, strict=True):
        assert len(result.top) == 5 and result.hand == "right"
        assert {t.name for t in result.top} <= set(run.classes)
        assert result.milliseconds > 0


@pytest.mark.parametrize("page", [COMPARE, PREDICT])
def test_no_stored_runs_points_to_train(sample_root, monkeypatch, tmp_path, page):
    monkeypatch.setenv("HANDCLF_CACHE", str(tmp_path))  # an empty cache: no runs
    at = _page(sample_root, page)
    assert any("Train page" in i.value for i in at.info) and at.get("page_link")
    assert not at.dataframe and not _charts(at)


# --- zh-TW ---

ZH_IDS = {header(c, "zh_TW") for c in ("run_name", "created")}  # ids, timestamps


def _zh_texts(at) -> list[str]:
    """page_texts, with each table's column settings (JSON) read for what it shows, plus what
    tables and charts show beyond page_texts: headers, text cells, the texts charts draw."""
    from tests.test_i18n import page_texts

    settings = {frame.proto.columns: json.loads(frame.proto.columns) for frame in at.dataframe}
    out = [s for s in page_texts(at) if s not in settings]
    for columns in settings.values():
        out += [h for h, c in columns.items() for h in (h, c.get("label"), c.get("help")) if h]
    for frame in [*at.dataframe, *at.table]:
        table = frame.value
        out += [str(c) for c in table.columns]
        for column in set(table.columns) - ZH_IDS:
            out += [v for v in table[column] if isinstance(v, str)]
    for chart in at.get("vega_lite_chart"):
        for rows in json.loads(chart.proto.spec).get("datasets", {}).values():
            out += [v for row in rows for k, v in row.items() if isinstance(v, str)
                    and not k.endswith("_id")]  # fmt: skip
    return out


def test_compare_and_predict_in_zh_tw_have_no_english(sample_root, stored):
    from tests.test_i18n import english_left, zh_page

    at = zh_page(sample_root, COMPARE)
    _by_label([*at.radio, *at.selectbox], "模型").set_value(stored[1].name).run()
    assert not at.exception and _charts(at) >= 5  # and the differences, when two are paired
    assert at.title[0].value == "比較各個模型"
    assert "測試準確率" in at.table[0].value.columns
    assert not english_left(_zh_texts(at)), english_left(_zh_texts(at))

    at.switch_page(PREDICT).run()
    _by_label(at.radio, "圖片").set_value("upload").run()
    at.file_uploader[0].set_value(("photo.png", _png(), "image/png")).run()
    assert not at.exception and not at.error
    # Models of the built-in sample's drawings, asked about an upload: one sentence of doubt.
    doubt = [w for w in at.warning if "合成圖片" in w.value]
    assert len(doubt) <= len(default_per_model(stored))
    assert len(at.dataframe) == len(default_per_model(stored))
    assert list(at.dataframe[0].value.columns) == ["類別", "機率"]
    assert not english_left(_zh_texts(at)), english_left(_zh_texts(at))
    # A dataset frame: its true label, and the column marking it.
    _by_label(at.radio, "圖片").set_value("frame").run()
    assert any(m.value.startswith("真實標註：") for m in at.markdown)
    assert list(at.dataframe[0].value.columns) == ["類別", "機率", "正確"]
    assert not english_left(_zh_texts(at)), english_left(_zh_texts(at))


def test_compare_shows_the_frames_behind_a_chosen_cell(sample_root, sample_ds, tiny_run, stored):
    from handclf_core.data.store import open_store
    from handclf_core.inside.mistakes import cells, frames_at
    from handclf_core.runs.predictions import read_predictions

    run = tiny_run[0]
    at = _page(sample_root, COMPARE)
    _model(at).set_value(run.name).run()
    found = read_predictions(run)
    listed = cells(found.confusion(), run.classes)
    picker = _by_label(at.selectbox, "Cell (true class → the model's answer)")
    assert picker.value == f"{listed[0].true}|{listed[0].predicted}"  # the largest mistake
    assert len(picker.options) == len(listed)
    chosen = max(listed[1:], key=lambda c: c.frames)
    picker.set_value(f"{chosen.true}|{chosen.predicted}").run()
    assert not at.exception, [e.value for e in at.exception]
    positions = found.cell(run.classes.index(chosen.true), run.classes.index(chosen.predicted))
    expected = frames_at(found, positions[:8], open_store(sample_ds).frames, run.classes)
    shown = [c.value for c in at.caption if " · frame " in c.value]  # column by column
    assert len(shown) == len(expected) == min(8, chosen.frames)
    hands = {"left": "left hand", "right": "right hand"}
    assert set(shown) == {
        f"{hands[f.hand]} · {f.recording} · frame {f.frame}  \n"
        + " · ".join(f"{r.name} {r.probability:.0%}" for r in f.top)
        for f in expected
    }
    assert any(f"of {chosen.frames}:" in c.value for c in at.caption)
    # The pager of the largest cell: a page typed past the last is the last, in the box too.
    biggest = max(listed, key=lambda c: c.frames)
    picker.set_value(f"{biggest.true}|{biggest.predicted}").run()
    pages = -(-biggest.frames // 8)
    assert pages > 1  # 64 test frames, most of them in one cell
    key = f"mistakes.page.{run.name}.{biggest.true}|{biggest.predicted}"
    at.number_input(key=key).set_value(99).run()
    assert not at.exception and at.number_input(key=key).value == pages
    first = (pages - 1) * 8 + 1
    assert any(f"{first}–{biggest.frames} of {biggest.frames}" in c.value for c in at.caption)


def test_an_older_run_is_scored_on_compare_then_mapped(sample_root, sample_ds, older_run):
    from tests.test_mistakes import downgrade

    run = downgrade(older_run)
    at = _page(sample_root, COMPARE)
    _model(at).set_value(run.name).run()
    assert any("stored before the app kept" in i.value for i in at.info)
    charts = _charts(at)
    _by_label(at.button, f"Score the {run.frames.test} test frames").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _by_label(at.selectbox, "Cell (true class → the model's answer)").options
    _by_label(at.button, "Draw the map").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _charts(at) == charts + 1
    assert any(f"{run.frames.test} test frames, 1024 features each" in c.value for c in at.caption)
    _by_label(at.radio, "Drawn by").set_value("tsne").run()  # t-SNE: drawn on request too
    _by_label(at.button, "Draw the map").click().run()
    assert not at.exception and _charts(at) == charts + 1


def test_compare_without_the_frame_store_says_so_once(sample_root, sample_ds, tiny_run):
    """The frame store gone (deleted by hand) after the map was drawn: the frames' section
    offers to build it, the map says to build it above; no error, no second button."""
    from handclf_core.data.store import store_path

    run = tiny_run[0]
    folder = store_path(sample_ds)
    aside = folder.with_name(f"{folder.name}.aside")
    folder.rename(aside)
    try:
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
        at.session_state["data_spec"] = str(sample_root)
        at.session_state[f"embedding.drawn.{run.name}.pca"] = True
        at.run()
        at.switch_page(COMPARE).run()
        _model(at).set_value(run.name).run()
        assert not at.exception, [e.value for e in at.exception]
        assert len([b for b in at.button if b.label == "Build the frame store"]) == 1
        assert any("build it above to draw this map" in i.value for i in at.info)
    finally:
        aside.rename(folder)


def test_predict_switches_from_a_frame_to_the_camera_and_back(sample_root, stored):
    """A frame chosen (its hand camera picked), then the camera as the source: the page
    asks for a photo, it does not crash on the camera picker's stored choice."""
    at = _page(sample_root, PREDICT)
    _by_label(at.selectbox, "Camera").set_value("Rhand").run()
    assert not at.exception, [e.value for e in at.exception]
    _by_label(at.radio, "Picture").set_value("camera").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("camera" in i.value.lower() for i in at.info)
    _by_label(at.radio, "Picture").set_value("upload").run()
    _by_label(at.radio, "Picture").set_value("frame").run()
    assert not at.exception, [e.value for e in at.exception]
    assert _by_label(at.selectbox, "Camera").value == "Rhand"  # kept meanwhile


def test_an_empty_compare_page_says_what_each_quick_demo_takes_here(sample_root):
    """It said "a few epochs on a few hundred frames, takes seconds": the quick demos are the
    recipes on every frame (minutes for AlexNet). The times now come from the estimate."""
    import re

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state["data_spec"] = str(sample_root)
    at.session_state["task"] = "ges"  # nothing trained for it
    at.run()
    at.switch_page(COMPARE).run()
    assert not at.exception, [e.value for e in at.exception]
    (info,) = [i.value for i in at.info if "No model has been trained" in i.value]
    assert "few hundred" not in info
    for name in ("CNN_basic", "Mnist-style CNN", "AlexNet"):
        assert re.search(rf"{name} \d+ (h|min|s)\b", info), info  # "AlexNet 1 min 32 s"


def test_compare_charts_are_built_once_per_set_of_runs(sample_root, sample_ds, stored, monkeypatch):
    """Every reader of the same runs, language and room is sent the chart the first one
    built (app.shared); a run stored gives new runs, and the chart is built again."""
    from app import shared
    from handclf_core.runs.config import TrainConfig
    from handclf_core.training.train import train
    from handclf_core.views import evaluation

    built = []
    real = evaluation.accuracy_chart
    monkeypatch.setattr(
        evaluation, "accuracy_chart", lambda *a, **k: built.append(1) or real(*a, **k)
    )
    shared.clear()
    first, second = _page(sample_root, COMPARE), _page(sample_root, COMPARE)  # two readers
    assert len(built) == 1
    assert first.get("vega_lite_chart")[0].proto.spec == second.get("vega_lite_chart")[0].proto.spec
    train(sample_ds, TrainConfig(model="cnn_basic", epochs=1, batch_size=32, limit=40, seed=5))
    _page(sample_root, COMPARE)
    assert len(built) == 2  # the new run is on the chart
