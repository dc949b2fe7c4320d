"""What the Predict page says, in both languages: every error a picture can cause in plain
words (the file named, the explanation translated, no Python bytes); the heat-map switch
that shows what is drawn across source switches; the doubts about the picture in one box;
the intro once; which run a column shows and why."""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from handclf_core import i18n
from handclf_core.data.images import MAX_PIXELS, decode_image
from handclf_core.errors import HandCamError
from handclf_core.runs.folders import default_per_model, list_runs
from tests.test_i18n import english_left

ROOT = Path(__file__).resolve().parents[1]
PREDICT = "app_pages/5_Predict.py"


def _encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (and holds no pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def _jpeg_header(width: int, height: int) -> bytes:
    """A JPEG whose start of frame claims width x height."""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x00" * 9 + sof


RED = Image.new("RGB", (64, 36), (200, 30, 30))
GIF = io.BytesIO()
RED.save(GIF, "GIF", save_all=True, append_images=[Image.new("RGB", (64, 36), "blue")])
PNG, JPEG = _encode(RED, "PNG"), _encode(RED, "JPEG")
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 40
# (file name, bytes, its catalogue key, what the English line says)
BAD = [
    ("anim.gif", GIF.getvalue(), "error.image.format", "GIF pictures are not read"),
    ("photo.webp", _encode(RED, "WEBP"), "error.image.format", "WebP pictures are not read"),
    ("scan.bmp", _encode(RED, "BMP"), "error.image.format", "BMP pictures are not read"),
    ("scan.tif", _encode(RED, "TIFF"), "error.image.format", "TIFF pictures are not read"),
    ("IMG_0001.HEIC", HEIC, "error.image.format", "HEIC pictures are not read"),
    ("icon.ico", _encode(RED, "ICO"), "error.image.format", "ICO pictures are not read"),
    ("logo.svg", b"<?xml version='1.0'?><svg xmlns='x'/>", "error.image.format", "SVG pictures"),
    ("notes.png", b"this is not a picture", "error.image.not_picture", "21 bytes that are no"),
    ("report.pdf", b"%PDF-1.7\n" + b"\x00" * 100, "error.image.not_picture", "something else"),
    ("empty.png", b"", "error.image.empty", "found an empty file"),
    ("cut.png", PNG[: len(PNG) // 2], "error.image.corrupt", "truncated or corrupt PNG file"),
    ("cut.jpg", JPEG[: len(JPEG) // 2], "error.image.corrupt", "truncated or corrupt JPEG file"),
    ("bad.png", PNG[:33] + b"\x00" * 40, "error.image.corrupt", "truncated or corrupt PNG"),
    ("zero.png", _png_header(0, 10), "error.image.no_pixels", "a 0x10 picture, which has no"),
    ("zero.jpg", _jpeg_header(0, 0), "error.image.no_pixels", "a 0x0 picture"),
    ("big.png", _png_header(9000, 9000), "error.image.too_large", "a 9000x9000 picture, over"),
    ("bomb.png", _png_header(30000, 30000), "error.image.too_large", f"{MAX_PIXELS:,} pixels"),
    ("bomb.jpg", _jpeg_header(60000, 60000), "error.image.too_large", "60000x60000"),
]


@pytest.mark.parametrize("file, data, key, says", BAD, ids=[b[0] for b in BAD])
def test_every_picture_error_is_a_plain_sentence_in_both_languages(file, data, key, says):
    with pytest.raises(HandCamError) as caught:
        decode_image(data, file)
    e = caught.value
    line = str(e)
    assert e.key == key and line.startswith(f"{file}: ") and says in line, line
    assert "b'" not in line and "\\x" not in line, line
    # The CLI's line is the English explanation, word for word: one text, two readers.
    assert i18n.translate("en", e.key, **e.fields) == line
    zh = i18n.translate("zh_TW", e.key, **e.fields)
    assert zh.startswith(f"{file}：") and "b'" not in zh and not english_left([zh]), zh


@pytest.mark.parametrize("size", [(1, 1), (64, 36), (1920, 1080)])
def test_a_good_png_or_jpeg_still_decodes(size):
    im = Image.new("RGB", size, (10, 200, 30))
    for fmt in ("PNG", "JPEG"):
        assert decode_image(_encode(im, fmt), f"a.{fmt.lower()}").size == size


# --- The page ---


@pytest.fixture(scope="module")
def stored(sample_ds, tiny_run, flip_run):
    return list_runs(sample_ds.identity, "obj")


def _page(sample_root, lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state["data_spec"] = str(sample_root)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(PREDICT).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _source(at, source: str) -> None:
    (radio,) = [r for r in at.radio if r.label in ("Picture", "圖片")]
    radio.set_value(source).run()
    assert not at.exception, [e.value for e in at.exception]


def _png(size=(64, 36), seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    return _encode(Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), np.uint8)), "PNG")


def test_a_refused_upload_reads_in_the_readers_language(sample_root, stored):
    at = _page(sample_root, "zh_TW")
    _source(at, "upload")
    at.file_uploader[0].set_value(("anim.gif", GIF.getvalue(), "image/gif")).run()
    (error,) = at.error
    assert error.value.startswith("無法辨識這張圖片。anim.gif：") and "b'" not in error.value
    assert not english_left([error.value]), error.value
    at.file_uploader[0].set_value(("cut.png", PNG[:40], "image/png")).run()
    assert "cut.png：這個 PNG 檔案不完整或已損壞" in at.error[0].value

    at = _page(sample_root)
    _source(at, "upload")
    at.file_uploader[0].set_value(("anim.gif", GIF.getvalue(), "image/gif")).run()
    assert "anim.gif: GIF pictures are not read" in at.error[0].value
    assert "save it as PNG or JPEG" in at.error[0].value and "b'" not in at.error[0].value


def _heat_maps(at) -> int:
    return sum("(occlusion, " in i.caption for e in at.get("image") for i in e.proto.imgs)


def _switch(at):
    (switch,) = [s for s in at.toggle if s.label == "Where each model looks"]
    return switch


def _shows(at, on: bool, models: int) -> None:
    """The switch as the browser draws it (a switch drawn anew shows its default) and its
    value agree with the heat maps drawn."""
    assert not at.exception, [e.value for e in at.exception]
    switch = _switch(at)
    assert switch.value is on and switch.proto.default is on
    assert _heat_maps(at) == (models if on else 0)


def test_the_heat_map_switch_shows_what_is_drawn_across_sources(sample_root, stored):
    at, models = _page(sample_root), len(default_per_model(stored))
    _shows(at, False, models)
    _switch(at).set_value(True).run()
    _shows(at, True, models)
    _source(at, "upload")  # no picture yet: the switch is not drawn
    at.file_uploader[0].set_value(("photo.png", _png(), "image/png")).run()
    _shows(at, True, models)
    _switch(at).set_value(False).run()  # one click: off, and nothing drawn
    _shows(at, False, models)
    _source(at, "camera")
    at.camera_input[0].set_value(("shot.jpg", _encode(RED, "JPEG"), "image/jpeg")).run()
    _shows(at, False, models)
    _switch(at).set_value(True).run()
    _shows(at, True, models)
    _source(at, "frame")
    _shows(at, True, models)
    _source(at, "upload")
    at.file_uploader[0].set_value(("other.png", _png(seed=1), "image/png")).run()
    _shows(at, True, models)


def test_a_tiny_picture_gets_one_box_of_doubts_for_every_model(sample_root, stored):
    at = _page(sample_root)
    _source(at, "upload")
    dot = _encode(Image.new("RGB", (1, 1)), "PNG")
    at.file_uploader[0].set_value(("dot.png", dot, "image/png")).run()
    assert not at.exception and not at.error
    boxes = [w.value for w in at.warning if "1x1" in w.value]
    assert len(boxes) == 1, boxes
    (box,) = boxes
    assert box.count("is smaller than the input of") == 1 and box.count("16:9") == 1
    for run in default_per_model(stored):  # each model's input named, once
        assert box.count(f"({run.preprocessing.size}x{run.preprocessing.size})") == 1
    assert box.count("unlike every frame the models trained on") == 1  # flat: no contrast


def test_a_flat_green_photo_is_doubted_once_in_both_languages(sample_root, stored):
    green = _encode(Image.new("RGB", (640, 360), (40, 170, 60)), "JPEG")
    for lang, says in (("en", "its contrast"), ("zh_TW", "它的對比")):
        at = _page(sample_root, lang)
        _source(at, "camera")
        at.camera_input[0].set_value(("shot.jpg", green, "image/jpeg")).run()
        assert not at.exception and not at.error
        assert sum(says in w.value for w in at.warning) == 1, [w.value for w in at.warning]
    # A frame of the dataset: no doubt about its look.
    _source(at, "frame")
    assert not any("它的對比" in w.value for w in at.warning)


def test_the_intro_says_each_thing_once_and_each_column_why_it_is_that_run(sample_root, stored):
    for lang, answers, why in (
        ("en", "Each model answers", "No run of this model's recipe is stored"),
        ("zh_TW", "每個模型", "尚未儲存此模型原始設定的訓練紀錄"),
    ):
        at = _page(sample_root, lang)
        intro = [m.value for m in at.markdown if "##" in m.value]
        assert len(intro) == 1 and intro[0].count(answers) == 1, intro
        sentences = [s for s in intro[0].replace("。", ".").split(".") if s.strip()]
        assert len(sentences) == len(set(sentences))
        # The tiny runs are no recipe (1 epoch, 64 frames): each column says so and why.
        shown = default_per_model(stored)
        assert sum(why in c.value for c in at.caption) == len(shown)


def test_a_recipe_run_is_told_from_a_changed_one():
    import dataclasses

    from app.prediction import _is_recipe
    from handclf_core.runs.config import TrainConfig

    recipe = TrainConfig(model="mnist").resolved()
    assert _is_recipe(recipe) and _is_recipe(dataclasses.replace(recipe, seed=2))
    assert not _is_recipe(dataclasses.replace(recipe, gray=not recipe.gray))
    assert not _is_recipe(dataclasses.replace(recipe, batch_size=recipe.batch_size * 2))
