"""Bad input, the second round: every read of a user's file bounded, stored predictions
checked like labels, settings refused up front, the cache folder checked once, `runs delete`
never touching what is not a run. One line and exit code 2, the culprit named, nothing left
behind (see test_reliability for the first round and its helpers)."""

from __future__ import annotations

import io
import json
import os
import shutil

import numpy as np
import pytest
from filelock import FileLock

from handclf_core.atomic import remove_stale
from handclf_core.errors import HandCamError
from handclf_core.runs.folders import lock_path
from handclf_core.runs.predictions import PREDICTIONS_FILE, read_predictions
from handclf_core.runs.record import _digest, read_run
from tests.test_reliability import refused, run_cli
from tests.treeutil import SMALL, make_tree


@pytest.fixture
def kept(tmp_path, monkeypatch, tiny_run):
    """A cache of its own holding a copy of the tiny run; its run folder."""
    from handclf_core.paths import cache_dir

    source, cache = cache_dir(), tmp_path / "cache"
    (cache / "runs").mkdir(parents=True)
    folder = cache / "runs" / tiny_run[0].path.name
    shutil.copytree(tiny_run[0].path, folder)
    (cache / "stores").symlink_to(source / "stores")  # decoded already
    monkeypatch.setenv("HANDCLF_CACHE", str(cache))
    return folder


# --- every read of a user's file is bounded, special files are refused by name ------------


@pytest.mark.parametrize("command", ["predict", "explain"])
def test_an_image_that_is_a_device_a_pipe_or_a_folder(kept, tmp_path, capsys, command):
    fifo = tmp_path / "photo.png"
    os.mkfifo(fifo)  # opened, it would wait for a writer for ever
    for image, found in (("/dev/zero", "a character device"), (fifo, "a pipe (FIFO)"),
                         (tmp_path, "a folder")):  # fmt: skip
        code, _, err = run_cli(capsys, command, "--model", kept, "--image", image)
        refused(code, err, str(image), found)


def test_label_and_frame_files_linked_to_a_device(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HANDCLF_CACHE", str(tmp_path / "cache"))
    root = make_tree(tmp_path / "ds", SMALL)
    label = root / "labels/house/obj_left1.npy"
    label.unlink()
    label.symlink_to("/dev/zero")  # claims 0 bytes, holds endless ones
    code, _, err = run_cli(capsys, "stats", "--data", root, "--subset")
    refused(code, err, "obj_left1.npy", "a character device")

    root = make_tree(tmp_path / "ds2", SMALL)
    frame = root / "frames/train/lab/2/Rhand/Image3.png"
    frame.unlink()
    frame.symlink_to("/dev/zero")
    code, _, err = run_cli(capsys, "prepare", "--data", root, "--subset")
    refused(code, err, "Image3.png", "a character device")
    assert not list((tmp_path / "cache" / "stores").glob("[!.]*-v1"))  # no store kept


@pytest.mark.parametrize("target", ["..", "."])
def test_a_dataset_folder_linked_back_above_itself(tmp_path, capsys, target):
    root = make_tree(tmp_path / "ds", SMALL)
    loop = root / "frames/train/house/1/Lhand/loop"
    loop.symlink_to(target, target_is_directory=True)
    code, _, err = run_cli(capsys, "stats", "--data", root, "--subset")
    refused(code, err, "Lhand/loop", "loops back")


# --- stored predictions: checked like labels, even when the record was made to match ------


def _replace_predictions(folder, writer) -> None:
    """Write another predictions.npz (by `writer(path)`) and a record that matches it."""
    path = folder / PREDICTIONS_FILE
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
    writer(path)
    data = json.loads((folder / "run.json").read_text())
    if path.is_file():
        from handclf_core.atomic import file_sha256

        data["predictions"].update(bytes=path.stat().st_size, sha256=file_sha256(path))
    data["digest"] = _digest(data)
    (folder / "run.json").write_text(json.dumps(data))


def _npz(**changes):
    def write(path, base):
        arrays = {**base, **changes}
        arrays = {k: v for k, v in arrays.items() if v is not None}
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        path.write_bytes(buffer.getvalue())

    return write


@pytest.mark.parametrize(
    ("change", "found"),
    [
        ({"true": "float"}, "whole rows and class ids"),
        ({"true": 99}, "class ids 0..23, found 0..99"),
        ({"true": -1}, "class ids 0..23, found -1"),
        ({"rows": None}, "members rows, true and probabilities"),
        ({"probabilities": "object"}, "NumPy arrays of numbers"),
        ({"probabilities": "strings"}, "float probabilities"),
        ({"probabilities": "nan"}, "probabilities in 0..1"),
        ({"rows": "descending"}, "ascending order"),
    ],
    ids=["float-ids", "id-99", "id-minus-1", "no-rows", "object", "strings", "nan", "rows"],
)
def test_predictions_with_wrong_contents_are_refused(kept, change, found):
    with np.load(kept / PREDICTIONS_FILE) as data:
        base = {k: data[k] for k in data.files}
    ((key, how),) = change.items()
    value = None if how is None else base[key].copy()
    if how == "float":
        value = value.astype(float)
    elif isinstance(how, int):
        value[-1] = how
    elif how == "object":
        value = value.astype(object)
    elif how == "strings":
        value = value.astype(str)
    elif how == "nan":
        value[0, 0] = np.nan
    elif how == "descending":
        value = value[::-1].copy()
    _replace_predictions(kept, lambda path: _npz(**{key: value})(path, base))
    with pytest.raises(HandCamError, match=found) as error:
        read_predictions(read_run(kept))
    assert PREDICTIONS_FILE in str(error.value)


def test_predictions_that_are_a_folder_are_scored_again(kept, sample_root, capsys):
    _replace_predictions(kept, lambda path: path.mkdir())
    with pytest.raises(HandCamError, match="found a folder"):
        read_predictions(read_run(kept))
    code, out, err = run_cli(capsys, "mistakes", "--model", kept, "--data", sample_root, "--json")
    assert code == 0, err
    assert "found a folder" in err and json.loads(out)["scored_now"]
    assert (kept / PREDICTIONS_FILE).is_file() and read_predictions(read_run(kept)) is not None


def test_the_stale_sweep_knows_every_temporary_the_project_writes(tmp_path):
    dead = 2**22 + 12345  # above the default pid_max: no such process
    names = [f".tmp-predictions.npz-{dead}-ab12cd34", f".tmp-s32-rgb-noflip-squash-{dead}-ab12.npy",
             f".tmp-run.json-{dead}-0f0f", f".tmp-params-obj.json-{dead}-99aa"]  # fmt: skip
    for name in names:
        (tmp_path / name).write_bytes(b"partial")
    alive = tmp_path / f".tmp-run.json-{os.getpid()}-0f0f"
    alive.write_bytes(b"being written")
    assert sorted(remove_stale(tmp_path)) == sorted(names)
    assert [p.name for p in tmp_path.iterdir()] == [alive.name]


# --- settings refused up front ------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "found"),
    [
        (["--size", "0"], "--size: expected a whole number from 8 to 404, found 0"),
        (["--size", "450"], "--size: expected a whole number from 8 to 404, found 450"),
        (["--seed", "-1"], "--seed: expected a whole number from 0 to 4294967295, found -1"),
        (["--seed", str(2**70)], "--seed: expected a whole number"),
        (["--lr", "inf"], "--lr: expected a number in (0, 10], found inf"),
        (["--lr", "0"], "--lr: expected a number in (0, 10], found 0"),
        (["--momentum", "1.5"], "--momentum: expected a number in [0, 1), found 1.5"),
        (["--validation", "lab"], "--validation: expected recording, random, none"),
    ],
    ids=["size-0", "size-450", "seed-negative", "seed-huge", "lr-inf", "lr-0", "momentum", "val"],
)
def test_bad_training_settings_are_refused_before_any_work(
    tmp_path, capsys, sample_root, monkeypatch, options, found
):
    runs = tmp_path / "cache" / "runs"
    monkeypatch.setenv("HANDCLF_CACHE", str(tmp_path / "cache"))
    code, _, err = run_cli(capsys, "train", "--data", sample_root, "--model", "alexnet", *options)
    refused(code, err, found)
    assert not runs.exists() or not any(runs.iterdir())


def test_experiments_with_no_id_and_a_sample_under_a_file(tmp_path, capsys, sample_root):
    code, _, err = run_cli(capsys, "experiments", "--data", sample_root, "--only", "")
    refused(code, err, "--only", "found none")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    code, _, err = run_cli(capsys, "sample", "--out", a_file / "x")
    refused(code, err, str(a_file), "expected a folder to write the sample in")
    assert a_file.read_text() == "mine"


# --- the cache folder, checked once ---------------------------------------------------------


def test_a_cache_folder_that_is_a_file_or_read_only(tmp_path, capsys, monkeypatch):
    root = make_tree(tmp_path / "ds", SMALL)
    a_file = tmp_path / "cache"
    a_file.write_text("not a folder")
    monkeypatch.setenv("HANDCLF_CACHE", str(a_file))
    for command in (["prepare", "--data", root, "--subset"], ["stats"], ["runs", "delete", "x"]):
        code, _, err = run_cli(capsys, *command)
        refused(code, err, str(a_file), "expected the cache folder, found a file")
    assert a_file.read_text() == "not a folder"
    # A read-only one (root may write anywhere, so the check is asked as for another user).
    folder = tmp_path / "readonly"
    folder.mkdir()
    monkeypatch.setenv("HANDCLF_CACHE", str(folder))
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    code, _, err = run_cli(capsys, "prepare", "--data", root, "--subset")
    refused(code, err, str(folder), "read-only")
    assert not any(folder.iterdir())


# --- runs delete: a run folder inside runs/, under its lock, and nothing else ----------------


def test_delete_waits_for_no_one_and_leaves_no_lock(kept, capsys):
    lock = FileLock(lock_path(kept))
    with lock:  # another process scores or trains it
        code, _, err = run_cli(capsys, "runs", "delete", kept.name, "--yes")
        refused(code, err, kept.name, "being trained or scored")
    assert kept.is_dir()
    code, out, err = run_cli(capsys, "runs", "delete", kept.name, "--yes")
    assert code == 0 and kept.name in out, err
    assert not kept.exists()
    assert [p.name for p in kept.parent.iterdir()] == [".locks"]  # no temporary


@pytest.mark.parametrize("how", ["dot", "dot-dot"])
def test_delete_by_a_path_into_the_run(kept, capsys, monkeypatch, how):
    if how == "dot":
        monkeypatch.chdir(kept)
        name = "."
    else:
        name = f"{kept}/../{kept.name}"
    code, out, err = run_cli(capsys, "runs", "delete", name, "--yes")
    assert code == 0 and kept.name in out, err
    assert not kept.exists() and [p.name for p in kept.parent.iterdir()] == [".locks"]


@pytest.mark.parametrize("where", ["outside", "inside"])
def test_delete_by_a_link_is_refused_and_touches_nothing(kept, tmp_path, capsys, where):
    link = (tmp_path / "alias") if where == "outside" else (kept.parent / "alias")
    link.symlink_to(kept, target_is_directory=True)
    code, _, err = run_cli(capsys, "runs", "delete", link if where == "outside" else "alias",
                           "--yes")  # fmt: skip
    refused(code, err, "found a link")
    assert link.is_symlink() and kept.is_dir() and read_run(kept)
    left = {p.name for p in kept.parent.iterdir()} - {".locks"}
    assert left == {kept.name} | ({"alias"} if where == "inside" else set())


def test_lock_files_do_not_pile_up(tmp_path, sample_ds, tiny_run):
    """Every configuration tried once left a `.<run>.lock` in runs/; now runs share a fixed
    number of lock files, whatever was trained, scored or refused."""
    from handclf_core.runs.config import TrainConfig
    from handclf_core.runs.folders import LOCK_SLOTS, run_path, runs_dir

    names = {lock_path(tmp_path / "runs" / f"cnn_basic-obj-{i:012x}") for i in range(2000)}
    assert len(names) == LOCK_SLOTS and all(p.parent == tmp_path / "runs" / ".locks" for p in names)
    assert (
        lock_path(run_path(sample_ds.identity, TrainConfig(seed=5))).parent == runs_dir() / ".locks"
    )
    assert not list(runs_dir().glob(".*.lock"))  # after the session's runs so far


def test_what_a_killed_scoring_left_goes_when_runs_are_listed(kept):
    from handclf_core.runs.folders import list_runs

    left = kept / f".tmp-{PREDICTIONS_FILE}-{2**22 + 7}-9a9a9a9a"  # its writer is gone
    left.write_bytes(b"half a file")
    assert [r.name for r in list_runs()] == [kept.name]
    assert not left.exists()
