"""The HandCam reader on generated trees in the real layout."""

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from handclf_core.data.dataset import open_dataset
from handclf_core.data.stats import dataset_stats, imbalance_ratio
from handclf_core.errors import HandCamError
from tests.treeutil import SHARED, SMALL, make_tree, zip_folder

LABELS = SHARED / "labels"
need_real_labels = pytest.mark.skipif(
    not LABELS.is_dir(), reason=f"the real HandCam labels are not at {LABELS}"
)


@pytest.fixture
def small(tmp_path):
    return make_tree(tmp_path / "ds", SMALL)


@need_real_labels
def test_full_real_layout_with_real_labels(tmp_path):
    """All 40 hand sequences, real label files; frames are empty (only listing is tested)."""
    import shutil

    from handclf_core.data.layout import REAL_FRAME_COUNTS

    root = tmp_path / "real"
    shutil.copytree(LABELS, root / "labels")
    for split, scenes in REAL_FRAME_COUNTS.items():
        for scene, counts in scenes.items():
            for rec, count in enumerate(counts, start=1):
                for cam in ("Lhand", "Rhand"):
                    folder = root / "frames" / split / scene / str(rec) / cam
                    folder.mkdir(parents=True)
                    for i in range(1, count + 1):
                        (folder / f"Image{i}.png").touch()
    ds = open_dataset(root)
    stats = dataset_stats(ds, "obj")
    assert stats["splits"]["train"]["frames"] == 14992
    assert stats["splits"]["test"]["frames"] == 12776
    assert stats["majority_baseline"]["class"] == "free"
    assert stats["majority_baseline"]["test_accuracy"] == pytest.approx(0.5009, abs=5e-5)
    train = stats["splits"]["train"]["class_counts"]
    assert train[0] / sum(train) == pytest.approx(0.482, abs=5e-4)
    assert train[12] == 14  # "switch" has 14 training frames
    # Test recordings continue the label numbering: test/lab/1 is labels lab 5.
    rows = ds.frames[(ds.frames.split == "test") & (ds.frames.scene == "lab")]
    rec1 = rows[(rows.recording == 1) & (rows.camera == "Rhand")]
    expected = np.load(LABELS / "lab" / "obj_right5.npy")
    assert (rec1.label_n == 5).all()
    assert rec1.obj.tolist() == expected.astype(int).tolist()


def test_numeric_order_matches_label_positions(tmp_path):
    root = make_tree(tmp_path / "ds", {("train", "house", 1): 12, ("test", "house", 1): 2})
    ds = open_dataset(root, subset=True)
    left = ds.frames[(ds.frames.split == "train") & (ds.frames.camera == "Lhand")]
    assert left.frame.tolist() == list(range(1, 13))  # Image10 after Image9, not after Image1
    labels = np.load(root / "labels/house/obj_left1.npy")
    assert left.obj.tolist() == labels.astype(int).tolist()
    assert left[left.frame == 10].file.item().endswith("Image10.png")


def test_test_split_uses_continued_label_numbers(small):
    ds = open_dataset(small, subset=True)
    test = ds.frames[ds.frames.split == "test"]
    assert set(zip(test.scene, test.recording, test.label_n, strict=True)) == {
        ("house", 1, 4),
        ("office", 2, 5),
    }


def test_zip_archives_read_in_place(tmp_path, small):
    folder = open_dataset(small, subset=True).frames.drop(columns="file")
    zips = tmp_path / "zips"
    zips.mkdir()
    zip_folder(small / "frames", zips / "frames.zip", prefix="frames/")
    zip_folder(small / "labels", zips / "labels.zip")  # no top folder: also accepted
    for spec in (zips, f"{zips / 'frames.zip'},{zips / 'labels.zip'}"):
        ds = open_dataset(spec, subset=True)
        assert ds.frames.drop(columns="file").equals(folder)
        assert (
            ds.read_bytes(ds.frames.file[0])
            == (small / "frames" / "train/house/1/Lhand/Image1.png").read_bytes()
        )
    assert sorted(p.name for p in zips.iterdir()) == ["frames.zip", "labels.zip"]  # no extraction


def test_identity_follows_content(tmp_path, small):
    first = open_dataset(small, subset=True).identity
    assert open_dataset(small, subset=True).identity == first
    (small / "frames/train/house/1/Lhand/Image2.png").write_bytes(b"changed")
    assert open_dataset(small, subset=True).identity != first


def test_stray_files_are_ignored(small):
    for name in (".DS_Store", "Thumbs.db", "notes.txt"):
        (small / "frames/train/house/1/Lhand" / name).write_text("x")
        (small / "labels/house" / name).write_text("x")
    assert len(open_dataset(small, subset=True).frames) == 2 * sum(SMALL.values())


def test_not_a_dataset_says_what_was_expected_and_found(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "readme.pdf").write_text("x")
    with pytest.raises(
        HandCamError, match=r"expected a HandCam dataset.*found photos/, readme.pdf"
    ):
        open_dataset(tmp_path)
    with pytest.raises(HandCamError, match="no such file or folder"):
        open_dataset(tmp_path / "missing")


def test_frames_folder_without_label_file(small):
    os.remove(small / "labels/lab/ges_right2.npy")
    with pytest.raises(HandCamError) as e:
        open_dataset(small, subset=True)
    assert "train/lab/2/Rhand (4 frames)" in str(e.value)
    assert "lab/ges_right2.npy" in str(e.value)


def test_label_length_differs_from_frames(small):
    np.save(small / "labels/office/obj_left5.npy", np.zeros(7))
    with pytest.raises(HandCamError) as e:
        open_dataset(small, subset=True)
    message = str(e.value)
    assert "test/office/2/Lhand has 2 frames" in message
    assert "obj_left5.npy has 7 labels" in message


def test_badly_named_frame_is_reported(small):
    (small / "frames/train/house/1/Lhand/Image 4.png").write_bytes(b"")
    with pytest.raises(HandCamError, match=r"Image 4.png' is not named Image<number>.png"):
        open_dataset(small, subset=True)


@pytest.mark.parametrize(
    "array, message",
    [
        (np.array([0.5, 1, 2]), "integer class ids"),
        (np.array([0, 1, 99]), "class ids 0..23, found 0..99"),
    ],
)
def test_bad_label_values(small, array, message):
    np.save(small / "labels/house/obj_left1.npy", array)
    with pytest.raises(HandCamError, match=message):
        open_dataset(small, subset=True)


def test_pickled_label_file_is_refused(small):
    np.save(small / "labels/house/obj_left1.npy", np.array([{"a": 1}] * 3, dtype=object))
    with pytest.raises(HandCamError, match="obj_left1.npy: expected a NumPy .npy label array"):
        open_dataset(small, subset=True)


@pytest.mark.parametrize("evil", ["../escape.png", "/etc/passwd"])
def test_zip_members_escaping_are_rejected(tmp_path, small, evil):
    zips = tmp_path / "zips"
    zips.mkdir()
    zip_folder(small / "frames", zips / "frames.zip", prefix="frames/")
    zip_folder(small / "labels", zips / "labels.zip", prefix="labels/")
    with zipfile.ZipFile(zips / "frames.zip", "a") as z:
        z.writestr(evil, b"x")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(HandCamError, match="absolute path or '..'"):
        open_dataset(zips)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written anywhere


def test_not_a_zip(tmp_path, small):
    zip_folder(small / "labels", tmp_path / "labels.zip")
    (tmp_path / "frames.zip").write_bytes(b"not a zip")
    with pytest.raises(HandCamError, match="frames.zip: expected a zip archive"):
        open_dataset(tmp_path)


def test_stats_by_hand(tmp_path):
    labels = {}
    for side in ("left", "right"):
        labels |= {
            f"house/obj_{side}1": [0, 0, 3, 3, 3],
            f"house/ges_{side}1": [0] * 5,
            f"house/FA_{side}1": [0, 0, 1, 1, 1],
            f"house/obj_{side}4": [0, 3, 5, 5],
            f"house/ges_{side}4": [0] * 4,
            f"house/FA_{side}4": [0, 1, 1, 1],
        }
    root = make_tree(
        tmp_path / "ds", {("train", "house", 1): 5, ("test", "house", 1): 4}, labels=labels
    )
    stats = dataset_stats(open_dataset(root, subset=True), "obj")
    train = stats["splits"]["train"]
    assert train["frames"] == 10 and train["frames_per_hand"] == {"Lhand": 5, "Rhand": 5}
    assert train["class_counts"][:4] == [4, 0, 0, 6] and sum(train["class_counts"]) == 10
    assert train["imbalance_ratio"] == 1.5
    # Majority of training frames is class 3 (coin); it is 2 of the 8 test frames.
    assert stats["majority_baseline"] == {
        "class": "coin", "class_id": 3, "split": "test", "test_accuracy": 0.25
    }  # fmt: skip
    assert imbalance_ratio([0, 0]) is None


def _cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "handclf_core", *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_cli_stats_json(tmp_path, small):
    run = _cli("stats", "--data", str(small), "--subset", "--task", "FA", "--json",
               env={"HANDCLF_CACHE": str(tmp_path / "cache")})  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["task"] == "FA" and out["classes"] == ["free", "active"]
    assert out["splits"]["train"]["frames"] == 14 and out["splits"]["test"]["frames"] == 10
    assert set(out["majority_baseline"]) >= {"class", "test_accuracy"}


def test_cli_bad_path_is_one_line_and_exit_2(tmp_path):
    run = _cli("stats", "--data", str(tmp_path / "nope"), "--json")
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.startswith("error: ") and "Traceback" not in run.stderr
    debug = _cli("stats", "--data", str(tmp_path / "nope"), "--json", "--debug")
    assert "Traceback" in debug.stderr and "HandCamError" in debug.stderr


def test_cli_uses_handcam_data_variable(tmp_path, small):
    run = _cli("stats", "--subset", "--json", env={"HANDCAM_DATA": str(small)})
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["dataset"] == str(small)
