"""Single-image inference with stored runs: real frames, every picture mode, bad files."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from handclf_core.errors import HandCamError
from handclf_core.inside import predict as predict_mod
from handclf_core.inside.predict import guess_hand, predict
from handclf_core.runs.folders import find_run

REAL_FRAMES = Path(__file__).resolve().parents[2] / "shared" / "handcam" / "frames"
need_real_frames = pytest.mark.skipif(
    not REAL_FRAMES.is_dir(), reason=f"the real HandCam frames are not at {REAL_FRAMES}"
)


def _encode(im: Image.Image, fmt="PNG") -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


@pytest.mark.backend
@need_real_frames
@pytest.mark.parametrize("hand", ["left", "right"])
def test_predict_real_frames(tiny_run, hand):
    run, _ = tiny_run
    path = REAL_FRAMES / f"house_{'L' if hand == 'left' else 'R'}hand_Image723.png"
    out = predict(path, run, hand=hand, top=5)
    probs = [t.probability for t in out.top]
    assert len(out.top) == 5 and probs == sorted(probs, reverse=True)
    assert 0 < sum(probs) <= 1 + 1e-6
    assert {t.name for t in out.top} <= set(run.classes)
    assert out.hand == hand and out.model == "cnn_basic" and out.milliseconds > 0


@pytest.mark.backend
def test_right_hand_is_mirrored_when_the_model_was_trained_so(flip_run, tiny_run):
    rng = np.random.default_rng(0)
    im = Image.fromarray(rng.integers(0, 256, (90, 160, 3), dtype=np.uint8))
    right = predict(im, flip_run, hand="right", top=3).top
    mirrored = predict(ImageOps.mirror(im), flip_run, hand="left", top=3).top
    # Same picture up to resampling at the edges: same classes, nearly the same probabilities.
    assert [t.name for t in right] == [t.name for t in mirrored]
    assert [t.probability for t in right] == pytest.approx(
        [t.probability for t in mirrored], abs=0.01
    )
    unflipped = predict(im, flip_run, hand="left", top=3).top
    assert [t.probability for t in right] != [t.probability for t in unflipped]
    run, _ = tiny_run  # trained without mirroring: the hand changes nothing
    assert predict(im, run, hand="right").top == predict(im, run, hand="left").top


@pytest.mark.backend
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "I;16"])
def test_any_mode_and_size(tiny_run, mode):
    rng = np.random.default_rng(1)
    if mode == "I;16":
        im = Image.fromarray(rng.integers(0, 65535, (50, 70), dtype=np.uint16))
    else:
        im = Image.fromarray(rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)).convert(mode)
    out = predict(_encode(im), tiny_run[0], top=2)
    assert len(out.top) == 2
    assert len(predict(_encode(im.convert("RGB"), "JPEG"), tiny_run[0]).top) == 5


def _bomb() -> bytes:
    # A valid PNG header claiming 30000 x 30000 pixels: refused before any decoding.
    return _encode(Image.new("L", (1, 1))).replace(
        (1).to_bytes(4, "big") * 2, (30000).to_bytes(4, "big") * 2, 1
    )


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "an empty file"),
        (b"this is not a picture at all", "something else"),
        (_encode(Image.new("RGB", (64, 64)))[:60], "truncated or corrupt"),
        (_bomb(), "expected a PNG or JPEG image"),
    ],
)
def test_bad_pictures_get_a_clear_error(tiny_run, data, message):
    with pytest.raises(HandCamError, match=message) as e:
        predict(data, tiny_run[0], name="upload.png")
    assert str(e.value).startswith("upload.png: ")


def test_bad_arguments(tiny_run, tmp_path):
    with pytest.raises(HandCamError, match="expected 'left' or 'right'"):
        predict(b"x", tiny_run[0], hand="middle")
    with pytest.raises(HandCamError, match="missing.png: expected a readable file"):
        predict(tmp_path / "missing.png", tiny_run[0])
    with pytest.raises(HandCamError, match="no stored run of model 'alexnet'"):
        find_run("alexnet", task="FA")
    with pytest.raises(HandCamError, match="expected a stored run"):
        find_run(str(tmp_path))


def test_loaded_model_is_reused(tiny_run):
    predict_mod._load.cache_clear()
    im = Image.new("RGB", (32, 32), (200, 10, 10))
    predict(im, tiny_run[0])
    predict(im, tiny_run[0], hand="right")
    assert predict_mod._load.cache_info().hits >= 1 and predict_mod._load.cache_info().misses == 1


def _cli(*args):
    run = subprocess.run(
        [sys.executable, "-m", "handclf_core", *args, "--json"],
        capture_output=True,
        text=True,
        env=os.environ,
    )
    return run.returncode, run.stdout, run.stderr


def test_cli_predict_models_evaluate(sample_root, tiny_run, tmp_path):
    image = tmp_path / "frame.png"
    Image.new("RGB", (320, 180), (40, 120, 200)).save(image)
    code, out, err = _cli(
        "predict",
        "--model",
        str(tiny_run[0].path),
        "--image",
        str(image),
        "--hand",
        "right",
        "--top",
        "3",
    )
    assert code == 0, err
    result = json.loads(out)
    assert set(result) >= {"model", "hand", "top", "milliseconds"} and len(result["top"]) == 3

    code, out, err = _cli("predict", "--model", "cnn_basic", "--image", str(tmp_path / "x.png"))
    assert code == 2 and out == "" and err.startswith("error: ") and "Traceback" not in err

    code, out, err = _cli(
        "evaluate",
        "--data",
        str(sample_root),
        "--model",
        "cnn_basic",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--limit",
        "64",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["cached"] is True and result["split"] == "test"
    assert len(result["confusion_matrix"]) == 24 and len(result["per_class"]) == 24
    assert result["test_accuracy"] == tiny_run[0].test.accuracy

    code, out, err = _cli("models", "--task", "FA")
    assert code == 0, err
    names = [m["name"] for m in json.loads(out)["models"]]
    assert names == ["cnn_basic", "mnist", "alexnet"]


@pytest.mark.parametrize(
    "name, hand",
    [("house_Rhand_Image723.png", "right"), ("frames/test/lab/2/Rhand/Image5.png", "right"),
     ("house_Lhand_Image723.png", "left"), ("photo.jpg", "left")],
)  # fmt: skip
def test_the_hand_is_guessed_from_the_file_name(name, hand):
    assert guess_hand(name) == hand


def test_the_models_eye_view_is_the_array_the_model_is_fed(flip_run, monkeypatch):
    """model_input is what predict feeds: the model is called with exactly that array."""
    from handclf_core.inside.predict import load_model, model_input

    picture = Image.fromarray(np.random.default_rng(0).integers(0, 256, (90, 160, 3), np.uint8))
    seen = model_input(picture, flip_run, "right")
    assert seen.shape == (flip_run.preprocessing.size,) * 2 + (flip_run.preprocessing.channels,)
    assert not np.array_equal(seen, model_input(picture, flip_run, "left"))  # mirrored
    model, fed = load_model(flip_run), []

    def spy(x, training):  # the real model, remembering its input
        fed.append(x)
        return model(x, training=training)

    monkeypatch.setattr(predict_mod, "load_model", lambda run: spy)
    predict(picture, flip_run, hand="right")
    assert np.array_equal(fed[0][0], seen.astype("float32"))


def test_doubts_about_a_picture(tiny_run):
    from handclf_core.inside.doubts import doubts
    from handclf_core.vocab import Doubt, PictureSource

    run = tiny_run[0]  # trained on the built-in sample's drawings, 32x32 input
    frame = Image.new("RGB", (320, 180))
    assert doubts(frame, run, PictureSource.FRAME) == []
    # "Unlike the drawings" only with a measured reason: the model less sure of the upload
    # than of all but 5% of its test frames. As sure as usual, or no figures: no doubt.
    assert doubts(frame, run, PictureSource.UPLOAD, 0.2, 0.3) == [Doubt.SYNTHETIC]
    assert doubts(frame, run, PictureSource.UPLOAD, 0.9, 0.3) == []
    assert doubts(frame, run, PictureSource.UPLOAD) == []
    assert doubts(frame, run, PictureSource.FRAME, 0.2, 0.3) == []  # the dataset's own frame
    assert doubts(Image.new("RGB", (1, 1)), run, PictureSource.FRAME) == [Doubt.SMALL, Doubt.ASPECT]
    assert doubts(Image.new("RGB", (48, 27)), run, PictureSource.FRAME) == [Doubt.SMALL]
    assert doubts(Image.new("RGB", (400, 90)), run, PictureSource.CAMERA, 0.1, 0.3) == [
        Doubt.ASPECT, Doubt.SYNTHETIC,
    ]  # fmt: skip
    assert doubts(Image.new("RGB", (640, 480)), run, PictureSource.FRAME) == []  # 4:3 is near


@pytest.mark.backend
def test_occlusion_finds_the_corner_the_class_is_drawn_in():
    """A cnn_basic trained where class 1 is a bright square in the top-left corner (and class
    0 the same square in the bottom-right): its heat map for class 1 lies in the top-left."""
    import keras

    from handclf_core.data.images import Preprocessing
    from handclf_core.inside.explain import occlusion, on_frame
    from handclf_core.models import create_model

    rng = np.random.default_rng(0)
    x = rng.integers(0, 90, (400, 32, 32, 3)).astype(np.uint8)  # dark noise
    y = np.arange(400) % 2
    x[y == 1, :8, :8] = 255  # class 1: top-left
    x[y == 0, -8:, -8:] = 255  # class 0: bottom-right
    keras.utils.set_random_seed(0)
    model = create_model("cnn_basic", num_classes=2)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x.astype("float32"), y, epochs=4, batch_size=32, verbose=0)
    probe = rng.integers(0, 90, (32, 32, 3)).astype(np.uint8)
    probe[:8, :8] = 255
    heat = occlusion(model, probe, class_id=1, grid=4)  # cells of 8x8: the square is cell 0
    assert heat.probability > 0.9
    share = heat.drops / heat.drops.sum()
    assert np.unravel_index(share.argmax(), share.shape) == (0, 0)
    assert share[:2, :2].sum() > 0.8, share.round(2)  # the top-left quarter
    # Over a 16:9 frame, squashed: the red lies in the frame's top-left.
    frame = Image.new("RGB", (320, 180), (0, 0, 0))
    shown = on_frame(frame, heat, Preprocessing(size=32), "left").astype(int)
    assert shown[:45, :80, 0].mean() > 5 * max(shown[135:, 240:, 0].mean(), 1)
    mirrored = on_frame(frame, heat, Preprocessing(size=32, flip_right=True), "right")
    assert mirrored[:45, 240:, 0].mean() > mirrored[:45, :80, 0].mean()  # undone for a right hand


def test_cli_explain_writes_the_heat_map(tiny_run, sample_root, tmp_path, capsys):
    from handclf_core.cli.main import main

    run = tiny_run[0]
    image = sample_root / "frames/test/house/1/Rhand/Image1.png"
    out = tmp_path / "heat.png"
    argv = ["explain", "--model", str(run.path), "--image", str(image), "--debug"]
    assert main([*argv, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "right hand" in text and "where it looks (occlusion, 8x8 cells" in text
    assert Image.open(out).size == Image.open(image).size
    assert main([*argv, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"] == "occlusion" and len(result["grid"]) == 8 and result["out"] is None
    bad = ["explain", "--model", str(run.path), "--image", str(image)]
    assert main([*bad, "--out", str(tmp_path / "no" / "such" / "dir.png")]) == 2
    assert "expected a writable .png or .jpg path" in capsys.readouterr().err


@pytest.mark.backend
def test_filters_and_feature_maps_are_the_first_layers_own():
    """On an mnist net whose first filter is set to a known kernel: the filter picture is
    that kernel stretched, and its feature map is that kernel's convolution of the input."""
    from handclf_core.inside.explain import feature_maps, first_filters, tile
    from handclf_core.models import create_model

    model = create_model("mnist", num_classes=2)  # (28, 28, 1); first conv 3x3 valid, ReLU
    conv = [layer for layer in model.layers if layer.name.startswith("conv2d")][0]
    kernel, bias = (np.asarray(v) for v in conv.get_weights())
    kernel[..., 0] = 0
    kernel[1, 1, 0, 0] = 1.0  # filter 0: the pixel itself
    kernel[0, 0, 0, 0] = -1.0  # minus its top-left neighbour
    bias[:] = 0
    conv.set_weights([kernel, bias])
    filters = first_filters(model)
    assert filters.shape == (32, 3, 3, 1)
    assert filters[0, 1, 1, 0] == 255 and filters[0, 0, 0, 0] == 0 and filters[0, 2, 2, 0] == 128
    x = np.random.default_rng(0).integers(0, 256, (28, 28, 1)).astype(np.uint8)
    first, second = feature_maps(model, x)
    assert first.shape == (26, 26, 32) and second.shape == (24, 24, 64)
    v = x[..., 0].astype(np.float32) / 255
    expected = np.maximum(v[1:-1, 1:-1] - v[:-2, :-2], 0)
    assert np.allclose(first[..., 0], expected, atol=1e-5)
    sheet = tile(filters[:4], columns=2, scale=5)
    assert sheet.shape == (2 * 16 + 1, 2 * 16 + 1) and sheet[1:16, 1:16].max() == 255


def test_the_confidence_floor_is_what_all_but_5_percent_of_test_frames_reach(tiny_run):
    """Measured on the run's own kept predictions: 5% of its test frames are below it."""
    from handclf_core.inside.doubts import confidence_floor
    from handclf_core.runs.predictions import read_predictions

    probs = np.full((100, 4), 0.0)
    probs[:, 0] = np.linspace(0.25, 1.0, 100)
    probs[:, 1] = 1 - probs[:, 0]
    floor = confidence_floor(probs)
    assert np.mean(probs.max(axis=1) < floor) <= 0.05 < np.mean(probs.max(axis=1) <= floor + 0.01)
    found = read_predictions(tiny_run[0])
    tops = found.probabilities.max(axis=1)
    assert np.mean(tops < confidence_floor(found.probabilities)) <= 0.05


# --- A picture unlike every training frame (inside.doubts.unlike) ---


@pytest.fixture(scope="module")
def usual(sample_ds, tiny_run):
    from handclf_core.inside.doubts import usual_looks

    return usual_looks(sample_ds.identity, sample_ds)  # tiny_run built the frame store


def _ramp(side: int) -> Image.Image:
    x = np.linspace(0, 255, side, dtype=np.float32)
    planes = [np.broadcast_to(x[None, :], (side, side)), np.broadcast_to(x[:, None], (side, side))]
    return Image.fromarray(np.stack([*planes, np.full((side, side), 128.0)], -1).astype(np.uint8))


def test_a_picture_unlike_every_training_frame_is_doubted(usual):
    from PIL import ImageDraw

    from handclf_core.inside.doubts import unlike

    rng = np.random.default_rng(0)
    squares = (np.indices((9, 16)).sum(axis=0) % 2 * 255).astype(np.uint8)  # of 20 px
    text = Image.new("RGB", (640, 480), "white")
    for i in range(12):
        ImageDraw.Draw(text).text((20, 15 + 38 * i), "The quick brown fox jumps", "black")
    foreign = {
        "flat green camera frame": Image.new("RGB", (640, 480), (40, 170, 60)),
        "flat grey": Image.new("RGB", (320, 180), (128, 128, 128)),
        "flat beige, the sample's walls": Image.new("RGB", (320, 180), (235, 225, 195)),
        "noise": Image.fromarray(rng.integers(0, 256, (180, 320, 3), np.uint8)),
        "text": text,
        "checkerboard": Image.fromarray(np.kron(squares, np.ones((20, 20), np.uint8))),
        "a 4000x4000 gradient": _ramp(4000),
    }
    found = {name: unlike(im, usual) for name, im in foreign.items()}
    assert all(found.values()), [name for name, why in found.items() if why is None]
    why = found["flat green camera frame"]
    assert why.measure == "contrast" and why.value < 1 < why.low < why.high
    assert found["noise"].measure == "detail" and found["noise"].value > found["noise"].high
    assert unlike(foreign["noise"], None) is None  # no measure of the training frames


@need_real_frames
def test_a_real_photo_is_unlike_the_samples_drawings(usual):
    from handclf_core.data.images import decode_image
    from handclf_core.inside.doubts import unlike

    for path in sorted(REAL_FRAMES.glob("*.png")):
        assert unlike(decode_image(path.read_bytes(), path.name), usual) is not None, path.name


def test_the_datasets_own_frames_are_rarely_doubted(sample_ds, usual):
    """The rule's ranges hold the training frames but 1% at each end, widened: test frames
    (other recordings) fall outside them well under 10% of the time."""
    from handclf_core.data.images import decode_image
    from handclf_core.inside.doubts import unlike

    hands = sample_ds.hand_frames()
    for split in ("train", "test"):
        files = hands.file[hands.split == split].to_numpy()[::4]
        doubted = [unlike(decode_image(sample_ds.read_bytes(f), f), usual) for f in files]
        assert np.mean([d is not None for d in doubted]) < 0.05, split


def test_the_training_frames_look_is_measured_once_and_kept(sample_ds, usual, monkeypatch):
    from handclf_core.inside import doubts

    # Without the frame store, decoded from the dataset (fewer frames): near the same ranges.
    monkeypatch.setattr("handclf_core.data.store.stored_store", lambda identity: None)
    decoded = doubts.measure_looks(sample_ds.identity, sample_ds)
    assert doubts.measure_looks(sample_ds.identity) is None  # neither store nor dataset
    assert decoded.frames == doubts.LOOK_FRAMES // 5 < usual.frames
    for m in ("contrast", "detail", "colour"):
        span = usual.high[m] - usual.low[m]
        assert abs(decoded.low[m] - usual.low[m]) < 0.25 * span, m
        assert abs(decoded.high[m] - usual.high[m]) < 0.25 * span, m
    # Kept in the cache: a new process reads it back, measuring nothing.
    doubts._KNOWN.clear()
    monkeypatch.setattr(doubts, "measure_looks", lambda *a: pytest.fail("measured again"))
    assert doubts.usual_looks(sample_ds.identity) == usual


# --- Keras is called with its inputs as declared: no warning in the server's log ---


@pytest.mark.backend
def test_predicting_and_looking_inside_warn_of_nothing(tiny_run, flip_run):
    import warnings

    from handclf_core.inside.explain import feature_maps, first_filters, occlusion
    from handclf_core.inside.predict import load_model, model_input

    picture = Image.fromarray(np.random.default_rng(0).integers(0, 256, (90, 160, 3), np.uint8))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for run in (tiny_run[0], flip_run):
            result = predict(picture, run, hand="right")
            model, x = load_model(run), model_input(picture, run, "right")
            occlusion(model, x, run.classes.index(result.top[0].name))
            first_filters(model)
            assert len(feature_maps(model, x)) == 2
    said = [str(w.message) for w in caught if "structure" in str(w.message)]
    assert not said, said
