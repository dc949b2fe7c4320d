"""The built-in sample: exact HandCam layout, real labels, determinism, drawing invariants."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from handclf_core import vocab
from handclf_core.data import drawing, layout, sample
from handclf_core.errors import HandCamError

SIZE, STRIDE = (64, 36), 50  # tiny pictures; the stride keeps the sample small
SIDES = ("left", "right")


def recordings():
    for split, counts in (("train", layout.TRAIN_RECORDINGS), ("test", layout.TEST_RECORDINGS)):
        for scene, count in counts.items():
            for recording in range(1, count + 1):
                yield split, scene, recording, layout.label_number(split, scene, recording)


def real(scene: str, n: int) -> dict[tuple[str, str], np.ndarray]:
    labels = sample.builtin_labels()
    return {(t, s): labels[f"{scene}/{t}_{s}{n}"] for t in vocab.TASKS for s in SIDES}


def kept_indices(seqs: dict, stride: int) -> list[int]:
    """Written apart from the module's version, as a plain loop over frames."""
    rows = list(seqs.values())
    return [
        i
        for i in range(len(rows[0]))
        if i % stride == 0 or any(row[i] != row[i - 1] for row in rows)
    ]


def digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample") / "handcam"
    return sample.generate_sample(root, stride=STRIDE, size=SIZE, workers=2)


def test_builtin_labels_are_the_real_sequences():
    labels = sample.builtin_labels()
    assert len(labels) == 120
    assert len(labels["house/obj_left1"]) == layout.REAL_FRAME_COUNTS["train"]["house"][0]
    assert not labels["lab/ges_right8"].flags.writeable  # the cached copy is shared


def test_layout(out):
    assert sorted(p.name for p in out.iterdir()) == ["SAMPLE.txt", "frames", "labels"]
    assert "ECCV 2016" in (out / "SAMPLE.txt").read_text()
    assert sorted(p.name for p in (out / "frames").iterdir()) == sorted(layout.SPLITS)
    for split, counts in (("train", layout.TRAIN_RECORDINGS), ("test", layout.TEST_RECORDINGS)):
        assert {p.name for p in (out / "frames" / split).iterdir()} == set(layout.SCENES)
        for scene, count in counts.items():
            folders = {p.name for p in (out / "frames" / split / scene).iterdir()}
            assert folders == {str(r) for r in range(1, count + 1)}
    for scene in layout.SCENES:
        n_max = layout.TRAIN_RECORDINGS[scene] + layout.TEST_RECORDINGS[scene]
        expected = {
            f"{t}_{s}{n}.npy" for t in vocab.TASKS for s in SIDES for n in range(1, n_max + 1)
        }
        assert {p.name for p in (out / "labels" / scene).iterdir()} == expected
    for split, scene, recording, n in recordings():
        folder = out / "frames" / split / scene / str(recording)
        assert {p.name for p in folder.iterdir()} == set(layout.CAMERAS)
        count = len(np.load(out / "labels" / scene / f"obj_left{n}.npy"))
        for camera in layout.CAMERAS:
            names = {p.name for p in (folder / camera).iterdir()}
            assert names == {f"Image{k}.png" for k in range(1, count + 1)}, (folder, camera)
        for task in vocab.TASKS:
            for side in SIDES:
                array = np.load(out / "labels" / scene / f"{task}_{side}{n}.npy")
                assert array.dtype == np.float64 and array.shape == (count,)
    with Image.open(out / "frames" / "test" / "lab" / "4" / "head" / "Image1.png") as img:
        assert img.size == SIZE and img.mode == "RGB"


def test_labels_are_the_real_ones_at_the_kept_frames(out):
    present = {(split, task): set() for split in layout.SPLITS for task in vocab.TASKS}
    kept_present = {key: set() for key in present}
    for split, scene, _, n in recordings():
        seqs = real(scene, n)
        kept = kept_indices(seqs, STRIDE)
        for (task, side), seq in seqs.items():
            written = np.load(out / "labels" / scene / f"{task}_{side}{n}.npy")
            np.testing.assert_array_equal(written, seq[kept].astype(np.float64))
            present[split, task] |= set(seq.tolist())
            kept_present[split, task] |= set(written.astype(int).tolist())
    assert kept_present == present  # no class vanished from any split


def test_same_seed_same_bytes(out, tmp_path):
    # Chunks finish in another order each run; test_written_hand_frames_are_the_documented_
    # drawings compares the pool's files with drawings made in this process.
    again = sample.generate_sample(tmp_path / "again", stride=STRIDE, size=SIZE, workers=3)
    assert digest(again) == digest(out)


def test_other_seed_other_pictures():
    labels = {"obj": 9, "ges": 2, "FA": 1}
    a = drawing.draw_hand_frame(labels, "lab", SIZE, (0, "train", "lab", 1, "Lhand", 5))
    b = drawing.draw_hand_frame(labels, "lab", SIZE, (1, "train", "lab", 1, "Lhand", 5))
    assert a.tobytes() != b.tobytes()


@pytest.mark.parametrize("obj", range(len(vocab.CLASSES["obj"])))
def test_right_frame_is_the_mirrored_left_drawing(obj):
    labels, key = (
        {"obj": obj, "ges": obj % 13, "FA": int(obj > 0)},
        (3, "test", "office", 2, "Rhand", obj),
    )
    left = drawing.draw_hand_frame(labels, "office", (96, 54), key)
    right = drawing.draw_hand_frame(labels, "office", (96, 54), key, mirror=True)
    assert ImageOps.mirror(left).tobytes() == right.tobytes()


def test_written_hand_frames_are_the_documented_drawings(out):
    split, scene, recording, n = "test", "house", 2, 5
    seqs = real(scene, n)
    kept = kept_indices(seqs, STRIDE)
    k = next(k for k, i in enumerate(kept) if seqs["obj", "right"][i] != 0)
    for camera, side in (("Lhand", "left"), ("Rhand", "right")):
        labels = {t: int(seqs[t, side][kept[k]]) for t in vocab.TASKS}
        key = (0, split, scene, recording, camera, kept[k])
        drawn = drawing.draw_hand_frame(labels, scene, SIZE, key, mirror=camera == "Rhand")
        path = out / "frames" / split / scene / str(recording) / camera / f"Image{k + 1}.png"
        with Image.open(path) as img:
            assert img.tobytes() == drawn.tobytes()


@pytest.mark.parametrize("pair", drawing.ISOLUMINANT_PAIRS)
def test_isoluminant_pairs_differ_only_in_hue(pair):
    (shape_a, w_a, h_a, rgb_a, detail_a), (shape_b, w_b, h_b, rgb_b, detail_b) = (
        drawing.OBJECTS[c] for c in pair
    )
    assert (shape_a, w_a, h_a, detail_a) == (shape_b, w_b, h_b, detail_b)
    assert sum(abs(a - b) for a, b in zip(rgb_a, rgb_b, strict=True)) > 150
    gray = [Image.new("RGB", (1, 1), rgb).convert("L").getpixel((0, 0)) for rgb in (rgb_a, rgb_b)]
    assert abs(gray[0] - gray[1]) <= 3


def test_every_object_class_has_a_drawing_spec():
    assert set(drawing.OBJECTS) == set(range(1, len(vocab.CLASSES["obj"])))
    for shape, *_, detail in drawing.OBJECTS.values():
        assert shape in drawing.SHAPES and detail in drawing.DETAILS


def test_interrupted_generation_leaves_nothing(tmp_path):
    def progress(done: int, total: int) -> None:
        if done > 0:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        sample.generate_sample(tmp_path / "out", stride=STRIDE, size=SIZE, progress=progress)
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(HandCamError, match="already exists"):
        sample.generate_sample(tmp_path / "out", size=SIZE)


def test_ensure_sample_reuses_and_survives_a_lost_race(tmp_path, monkeypatch):
    monkeypatch.setenv("HANDCLF_CACHE", str(tmp_path))
    expected = tmp_path / "sample" / "handcam-sample-s50-64x36-seed7"
    assert sample.default_sample_dir(STRIDE, SIZE, 7) == expected

    def lose_the_race(out: Path, **kwargs) -> Path:  # another process renames first
        out.mkdir(parents=True)
        raise HandCamError(f"{out} already exists")

    monkeypatch.setattr(sample, "generate_sample", lose_the_race)
    assert sample.ensure_sample(STRIDE, SIZE, 7) == expected
    assert sample.ensure_sample(STRIDE, SIZE, 7) == expected  # present: no generation


@pytest.mark.parametrize("text", ["320", "320x", "ax180", "320x180x3", "-320x180", "", "0x0"])
def test_parse_size_rejects_malformed(text):
    with pytest.raises(HandCamError, match="expected a size"):
        sample.parse_size(text)


def test_parse_size():
    assert sample.parse_size("320x180") == (320, 180)
    assert sample.parse_size(" 1920X1080 ") == (1920, 1080)
    assert sample.parse_size("32x18") == (32, 18)
    for small in ("31x18", "32x17"):
        with pytest.raises(HandCamError, match="at least 32x18"):
            sample.parse_size(small)


def test_bad_stride_and_size(tmp_path):
    with pytest.raises(HandCamError, match="stride of at least 1, found 0"):
        sample.generate_sample(tmp_path / "out", stride=0)
    with pytest.raises(HandCamError, match="at least 32x18"):
        sample.generate_sample(tmp_path / "out", size=(16, 16))
    assert list(tmp_path.iterdir()) == []
