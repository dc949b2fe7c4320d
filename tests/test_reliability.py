"""Bad input, damaged caches and faults: one clear line and exit code 2 on the command line,
the culprit named, no traceback, and nothing untrusted used or left behind.

Each test builds its own damage on generated data and runs the real code: the command line
in this process (`cli.main`) where nothing but its answer matters, or in a subprocess where
a real fault (a kill, a full disk) is the point.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import numpy as np
import pytest

from handclf_core.cli import main as cli
from handclf_core.data.dataset import open_dataset
from handclf_core.data.images import decode_image, to_base
from handclf_core.errors import HandCamError
from handclf_core.runs.folders import list_runs, scan_runs
from handclf_core.runs.record import read_run, save_run
from tests.conftest import TINY
from tests.treeutil import SMALL, make_tree, png_bytes, zip_folder

ROOT = Path(__file__).resolve().parents[1]
# Every hand-camera folder of the HandCam layout, two frames each: a complete dataset.
FULL = {
    (split, scene, rec): 2
    for split in ("train", "test")
    for scene, count in {"house": 3, "lab": 4, "office": 3}.items()
    for rec in range(1, count + 1)
}


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """The command line in this process: (exit code, stdout, stderr)."""
    code = cli.main([*map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def refused(code: int, err: str, *names: str) -> str:
    """Exit 2 with one `error:` line naming every one of `names`; that line."""
    assert code == 2, err
    assert "Traceback" not in err
    (line,) = [x for x in err.splitlines() if x.startswith("error: ")]
    for name in names:
        assert name in line, (name, line)
    return line


def _subprocess(*args, cache: Path, env=None, limit_bytes: int | None = None, **kw):
    """The command line in a fresh process; with `limit_bytes`, no file it writes may grow
    beyond that (RLIMIT_FSIZE: a disk that is full for this process)."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run(
        [sys.executable, "-m", "handclf_core", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "HANDCLF_CACHE": str(cache), **(env or {})},
        preexec_fn=limit if limit_bytes else None,
        **kw,
    )


# --- Bad datasets ---


@pytest.mark.parametrize(
    "labels, found",
    [
        (np.array(["0", "1", "2"]), "dtype <U1"),
        (np.zeros(3, dtype=[("a", "i4"), ("b", "f4")]), "dtype [('a'"),
        (np.array(["2026-01-01"] * 3, dtype="datetime64[D]"), "dtype datetime64"),
        (np.array([0, 1, 2], dtype=complex), "dtype complex"),
    ],
    ids=["strings", "structured", "datetime", "complex"],
)
def test_labels_of_a_non_numeric_dtype(tmp_path, capsys, labels, found):
    root = make_tree(tmp_path / "ds", SMALL)
    np.save(root / "labels/house/obj_left1.npy", labels)
    code, out, err = run_cli(capsys, "stats", "--data", root, "--subset")
    line = refused(code, err, "obj_left1.npy", found)
    assert "numeric class ids" in line and out == ""


@pytest.mark.parametrize("link", ["dangling", "looping"])
def test_a_frame_that_is_a_broken_link(tmp_path, capsys, link):
    root = make_tree(tmp_path / "ds", SMALL)
    frame = root / "frames/train/lab/2/Rhand/Image3.png"
    frame.unlink()
    frame.symlink_to(frame if link == "looping" else tmp_path / "gone.png")
    code, _, err = run_cli(capsys, "stats", "--data", root, "--subset")
    refused(code, err, "lab/2/Rhand/Image3.png", "expected a readable file")


def _patch_member(archive: Path, member: str, local: dict[int, bytes], central: dict[int, bytes]):
    """Overwrite bytes of one member's local header and central directory entry (offsets
    from each header's signature): how damage looks on disk."""
    data = bytearray(archive.read_bytes())
    name = member.encode()
    for signature, patches in ((b"PK\x03\x04", local), (b"PK\x01\x02", central)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                for offset, value in patches.items():
                    data[at + offset : at + offset + len(value)] = value
                break
            start = at + 4
    archive.write_bytes(bytes(data))


def _zips(tmp_path: Path) -> Path:
    root = make_tree(tmp_path / "ds", SMALL)
    out = tmp_path / "zips"
    out.mkdir()
    zip_folder(root / "frames", out / "frames.zip")
    zip_folder(root / "labels", out / "labels.zip")
    return out


MEMBER = "house/obj_left1.npy"


@pytest.mark.parametrize(
    "damage, found",
    [
        ("crc", "expected an intact zip member"),
        ("encrypted", "expected an unencrypted member"),
        ("deflate64", "expected a stored or deflated member"),
    ],
)
def test_a_damaged_zip_member(tmp_path, capsys, damage, found):
    zips = _zips(tmp_path)
    labels = zips / "labels.zip"
    if damage == "crc":
        data = bytearray(labels.read_bytes())
        at = data.find(MEMBER.encode()) + len(MEMBER) + 130  # inside the member's array data
        data[at] ^= 0xFF
        labels.write_bytes(bytes(data))
    elif damage == "encrypted":  # general purpose flag bit 0
        _patch_member(labels, MEMBER, {6: b"\x01\x00"}, {8: b"\x01\x00"})
    else:  # compression method 9
        _patch_member(labels, MEMBER, {8: b"\x09\x00"}, {10: b"\x09\x00"})
    code, _, err = run_cli(capsys, "stats", "--data", zips, "--subset")
    refused(code, err, f"labels.zip:{MEMBER}", found)


def test_a_damaged_frame_in_a_zip_when_preparing(tmp_path, capsys):
    zips = _zips(tmp_path)
    member = "train/lab/2/Rhand/Image3.png"
    _patch_member(zips / "frames.zip", member, {8: b"\x09\x00"}, {10: b"\x09\x00"})
    code, out, err = run_cli(capsys, "prepare", "--data", zips, "--subset")
    refused(code, err, f"frames.zip:{member}")
    assert out == ""


def test_zip_bombs_are_refused_without_inflating_them(tmp_path):
    """A label member that inflates to 400 MB, declared as such or lying (declaring 1 kB):
    refused both times, and the process never holds the inflated bytes."""
    bomb = np.zeros(400 * 2**20 // 8)  # 400 MB of zeros: about 400 kB deflated
    name = "lab/FA_right2.npy"  # a label file the dataset reads
    for lie in (False, True):
        root = make_tree(tmp_path / f"ds{lie}", SMALL)
        (root / "labels" / name).unlink()
        zips = tmp_path / f"zips{lie}"
        zips.mkdir()
        zip_folder(root / "frames", zips / "frames.zip")
        labels = zip_folder(root / "labels", zips / "labels.zip")
        with zipfile.ZipFile(labels, "a", zipfile.ZIP_DEFLATED) as z:
            z.writestr(name, bomb.tobytes())
        if lie:  # uncompressed size fields: local header +22, central directory +24
            small = struct.pack("<I", 1024)
            _patch_member(labels, name, {22: small}, {24: small})
        # The peak resident memory of this process image (VmHWM; ru_maxrss would carry the
        # forked test process's own over the exec).
        script = (
            "import re, sys; from handclf_core.cli.main import main; "
            f"code = main(['stats', '--data', {str(zips)!r}, '--subset']); "
            "peak = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]; "
            "print('peak', peak, file=sys.stderr); sys.exit(code)"
        )
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        refused(run.returncode, run.stderr, name)
        peak_kb = int(run.stderr.split("peak ")[1].split()[0])
        print(f"peak resident memory {peak_kb:,} kB (lie={lie})")
        assert peak_kb < 300_000, f"{peak_kb} kB: the member was inflated"


@pytest.mark.parametrize(
    "remove, missing",
    [
        ("frames/train/house/1/Rhand", "train/house/1/Rhand"),
        ("frames/test/lab/2", "test/lab/2/Lhand"),
    ],
    ids=["camera-folder", "test-recording"],
)
def test_frames_missing_from_the_layout_are_an_error_unless_a_subset(
    tmp_path, capsys, remove, missing
):
    root = make_tree(tmp_path / "ds", FULL)
    assert open_dataset(root).missing == ()  # complete: read as it is
    shutil.rmtree(root / remove)
    code, _, err = run_cli(capsys, "stats", "--data", root)
    line = refused(code, err, missing, "--subset")
    assert "hand-camera folders missing" in line
    code, out, err = run_cli(capsys, "stats", "--data", root, "--subset", "--json")
    assert code == 0 and "reading a subset: " in err and missing in err
    frames = json.loads(out)["splits"]
    assert frames["train"]["frames"] + frames["test"]["frames"] == 80 - (
        2 if "/1/" in remove else 4
    )


def test_a_label_file_of_no_recording_is_an_error(tmp_path, capsys):
    root = make_tree(tmp_path / "ds", FULL)
    np.save(root / "labels/house/obj_left7.npy", np.zeros(2))  # house has 6 recordings
    code, _, err = run_cli(capsys, "stats", "--data", root)
    refused(code, err, "house/obj_left7.npy", "of no recording")


def test_an_unreadable_folder_is_an_error_not_a_gap(tmp_path, capsys, monkeypatch):
    root = make_tree(tmp_path / "ds", FULL)
    folder = root / "frames/train/office/2/Lhand"
    if os.geteuid() != 0:
        folder.chmod(0)
    else:  # root reads any folder: make this one refuse its listing as a disk would
        scandir = os.scandir

        def refuse(path="."):
            if Path(path) == folder:
                raise PermissionError(13, "Permission denied", str(path))
            return scandir(path)

        monkeypatch.setattr(os, "scandir", refuse)
    try:
        code, _, err = run_cli(capsys, "stats", "--data", root, "--subset")
    finally:
        folder.chmod(0o755)
    refused(code, err, "office/2/Lhand", "expected a readable folder")


# --- Damaged runs ---


@pytest.fixture
def runs_copy(tmp_path, monkeypatch, tiny_run, flip_run):
    """A cache of its own holding copies of the two tiny runs, for damage; its run folders."""
    from handclf_core.paths import cache_dir

    source = cache_dir()
    cache = tmp_path / "cache"
    (cache / "runs").mkdir(parents=True)
    for run in (tiny_run[0], flip_run):
        shutil.copytree(run.path, cache / "runs" / run.path.name)
    (cache / "stores").symlink_to(source / "stores")  # decoded already
    monkeypatch.setenv("HANDCLF_CACHE", str(cache))
    return cache / "runs" / tiny_run[0].path.name, cache / "runs" / flip_run.path.name


def _rewrite(folder: Path, **changes) -> None:
    """Change a stored record and write it back consistently (with a valid digest): a record
    wrong in what it says, not merely edited."""
    run = read_run(folder)
    data = json.loads((folder / "run.json").read_text())
    for key, value in changes.items():
        target, *path = key.split(".")
        node = data
        for part in [target, *path][:-1]:
            node = node[part]
        if value is None:
            del node[[target, *path][-1]]
        else:
            node[[target, *path][-1]] = value
    from handclf_core.runs.record import _digest

    data["digest"] = _digest(data)
    (folder / "run.json").write_text(json.dumps(data))
    assert run.path == folder


def test_a_truncated_or_swapped_model_is_never_trusted(runs_copy, capsys, sample_root):
    tiny, flip = runs_copy
    model = tiny / "model.keras"
    model.write_bytes(model.read_bytes()[:1000])
    runs, damaged = scan_runs()
    assert [r.path for r in runs] == [flip] and "model.keras" in damaged[0]
    code, _, err = run_cli(
        capsys, "predict", "--model", tiny, "--image", sample_root / "SAMPLE.txt"
    )
    refused(code, err, "model.keras", "expected the model trained for this run")
    shutil.copy(flip / "model.keras", model)  # another architecture, intact
    code, _, err = run_cli(
        capsys, "predict", "--model", tiny, "--image", sample_root / "SAMPLE.txt"
    )
    refused(code, err, "model.keras", "found another file")


@pytest.mark.parametrize(
    "damage, found",
    [
        (lambda f: (f / "run.json").write_text("{not json"), "expected a run record (JSON)"),
        (lambda f: _edit(f, "test.accuracy", 1.0), "found it edited"),
        (lambda f: _rewrite(f, **{"config.epochs": 999}), "whose configuration names"),
        (lambda f: _rewrite(f, created=None), "created: expected a value"),
        (lambda f: _rewrite(f, classes=["free", "cup"]), "found 2 classes"),
        (lambda f: _rewrite(f, input_shape=[64, 64, 3]), "(64, 64, 3)"),
        (lambda f: _rewrite(f, **{"test.accuracy": "high"}), "test.accuracy: expected a number"),
    ],
    ids=["not-json", "edited", "other-config", "missing-field", "classes", "size", "type"],
)
def test_a_damaged_record_is_left_out_and_trained_again(runs_copy, capsys, damage, found):
    tiny, flip = runs_copy
    damage(tiny)
    runs, damaged = scan_runs()
    assert [r.path for r in runs] == [flip]  # one bad run never breaks the others
    assert len(damaged) == 1 and found in damaged[0] and tiny.name in damaged[0]
    assert [r.path for r in list_runs()] == [flip]
    with pytest.raises(HandCamError, match="run.json"):
        read_run(tiny)


def _edit(folder: Path, key: str, value) -> None:
    """Change a value of run.json by hand, leaving the digest as it was."""
    data = json.loads((folder / "run.json").read_text())
    part, field = key.split(".")
    data[part][field] = value
    (folder / "run.json").write_text(json.dumps(data))


def test_train_replaces_a_damaged_run_saying_why(runs_copy, capsys, sample_root):
    tiny, _ = runs_copy
    before = read_run(tiny)
    _edit(tiny, "test.accuracy", 1.0)
    args = ["train", "--data", sample_root, "--model", "cnn_basic", "--epochs", TINY.epochs,
            "--batch-size", TINY.batch_size, "--limit", TINY.limit, "--json"]  # fmt: skip
    run = _subprocess(*args, cache=tiny.parents[1])  # the warning as a user sees it
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["cached"] is False and result["test_accuracy"] == before.test.accuracy
    (warning,) = [x for x in run.stderr.splitlines() if x.startswith("warning: ")]
    assert "failed its checks" in warning and "edited" in warning and tiny.name in warning
    assert read_run(tiny).test.accuracy == before.test.accuracy  # trusted again
    (tiny / "run.json").unlink()  # a missing record: trained again too, not refused
    code, out, err = run_cli(capsys, *args)
    assert code == 0 and json.loads(out)["cached"] is False, err


def test_a_model_with_code_inside_is_a_clear_error_and_never_loaded(runs_copy, capsys, sample_root):
    import keras

    tiny, _ = runs_copy
    run = read_run(tiny)
    inputs = keras.Input(shape=run.input_shape)
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)  # code inside the file
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(len(run.classes), activation="softmax")(x)
    keras.Model(inputs, outputs).save(tiny / "model.keras")
    from handclf_core.atomic import file_sha256

    model = tiny / "model.keras"
    save_run(dataclasses.replace(run, model_bytes=model.stat().st_size,
                                 model_sha256=file_sha256(model)), tiny)  # fmt: skip
    image = sample_root / "frames/test/house/1/Lhand/Image1.png"
    code, _, err = run_cli(capsys, "predict", "--model", tiny, "--image", image)
    refused(code, err, "model.keras", "Lambda", "was not loaded")  # before safe mode's turn


# --- A full disk ---


def test_a_full_disk_when_preparing_and_generating(tmp_path):
    root = make_tree(tmp_path / "ds", SMALL)  # 24 frames: two chunks, of 16 and 8 frames
    row = 227 * 404 * 3
    run = _subprocess(
        "prepare", "--data", root, "--subset", cache=tmp_path / "c1", limit_bytes=128 + 20 * row
    )  # fmt: skip; room for the first chunk only
    line = refused(run.returncode, run.stderr, "stores", "the disk refused")
    assert "16 of 24 frames are decoded and kept" in line and "about 2.2 MB more" in line
    stores = tmp_path / "c1" / "stores"
    assert not list(stores.glob("[!.]*-v1"))  # no store, but the chunk is kept: resumed, verified
    run = _subprocess("prepare", "--data", root, "--subset", "--json", cache=tmp_path / "c1")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["resumed"] == 16 and "resuming: 16 of 24" in run.stderr
    (store,) = stores.glob("[!.]*-v1")
    ds = open_dataset(root, subset=True)
    files = ds.hand_frames().file
    expected = np.stack([to_base(decode_image(ds.read_bytes(f), f)) for f in files])
    np.testing.assert_array_equal(np.load(store / "base.npy"), expected)
    run = _subprocess("sample", "--out", tmp_path / "s", "--stride", "50", "--size", "64x36",
                      cache=tmp_path / "c2", limit_bytes=1_000)  # fmt: skip
    refused(run.returncode, run.stderr, "the disk refused")
    assert not (tmp_path / "s").exists() and not list(tmp_path.glob(".tmp-s-*"))


def test_too_little_free_space_is_said_before_preparing(tmp_path, capsys, monkeypatch):
    root = make_tree(tmp_path / "ds", SMALL)
    monkeypatch.setenv("HANDCLF_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(1, 1, 1000))
    code, _, err = run_cli(capsys, "prepare", "--data", root, "--subset")
    refused(code, err, "the frame store needs about", "GB free")


def test_a_full_disk_when_training_keeps_no_run(tmp_path, sample_root, sample_ds, tiny_run):
    from handclf_core.paths import cache_dir

    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "stores").symlink_to(cache_dir() / "stores")  # decoded already
    run = _subprocess(
        "train",
        "--data",
        sample_root,
        "--model",
        "cnn_basic",
        "--epochs",
        1,
        "--limit",
        32,
        "--seed",
        5,
        cache=cache,
        limit_bytes=4_000_000,
    )  # fmt: skip; cnn_basic's model is 17 MB
    refused(run.returncode, run.stderr, "runs", "the disk refused")
    assert [p.name for p in (cache / "runs").iterdir()] in ([], [".locks"])  # no run, no temporary


# --- Faults ---


def _processes_marked(mark: str) -> list[int]:
    """Live processes whose environment carries `mark`: a command's own, children included."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if mark.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_prepare_killed_at_random_points_then_finished_is_the_uninterrupted_store(tmp_path):
    """`prepare` killed (kill -9 while chunks are written, Ctrl-C, kill -9 at a random time,
    kill -9 of a builder another process waits for), then left to finish, gives the bytes of
    an uninterrupted build; the workers of a killed one exit on their own."""
    t0 = time.monotonic()
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    root = make_tree(tmp_path / "ds", {k: 32 for k in SMALL})  # 256 frames: 16 chunks
    files = open_dataset(root, subset=True).hand_frames().file
    noise = [png_bytes(i, size=(960, 540)) for i in range(5)]  # ~10 ms each to decode
    for i, file in enumerate(files):  # rows that differ within and across chunks
        (root / "frames" / file).write_bytes(noise[i % 5])
    rows = [to_base(decode_image(png, "noise")) for png in noise]
    expected = io.BytesIO()  # what an uninterrupted build writes: numpy's own .npy
    np.save(expected, np.stack([rows[i % 5] for i in range(len(files))]))
    mark = f"HANDCLF_FAULT_{uuid.uuid4().hex}"
    cache = tmp_path / "cache"
    env = {**os.environ, "HANDCLF_CACHE": str(cache), mark: "1"}
    cmd = [sys.executable, "-m", "handclf_core", "prepare", "--data", str(root), "--subset",
           "--json"]  # fmt: skip
    stores = cache / "stores"

    def chunks() -> int:  # journal lines written so far
        return sum(j.read_bytes().count(b"\n") for j in stores.glob(".partial-*/journal.txt"))

    def start(log: str) -> subprocess.Popen:
        with open(tmp_path / log, "w") as err:
            return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err, text=True)

    def writing(proc: subprocess.Popen) -> None:  # until a chunk more is journaled
        before, deadline = chunks(), time.monotonic() + 60
        while chunks() == before and proc.poll() is None:
            assert time.monotonic() < deadline, "no chunk written"
            time.sleep(0.01)
        assert proc.poll() is None, f"finished before it was killed (seed {seed})"
        time.sleep(rng.uniform(0, 0.1))
        print(f"{chunks()} chunks journaled, {time.monotonic() - t0:.2f} s")

    proc = start("1.log")
    writing(proc)
    assert len(_processes_marked(mark)) >= 3  # the command, its forkserver, workers
    proc.kill()  # kill -9 while chunks are written
    proc.wait()
    _wait_for(lambda: not _processes_marked(mark), 60, "processes of the killed prepare live on")
    assert not list(stores.glob("[!.]*-v1")) and chunks() >= 1  # no store; the chunks are kept

    proc = start("2.log")
    writing(proc)
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    assert proc.wait(30) == 130
    assert "interrupted; " in (log := (tmp_path / "2.log").read_text()) and "are kept" in log
    assert "resuming: " in log  # the first one's chunks

    proc = start("3.log")
    time.sleep(rng.uniform(0.3, 1.3))  # anywhere: starting, verifying, decoding
    proc.kill()
    proc.wait()

    both = {"4.log": start("4.log"), "5.log": start("5.log")}  # one builds, one waits
    said = lambda log: "frame store: " in (tmp_path / log).read_text()  # noqa: E731
    _wait_for(lambda: any(map(said, both)), 300, "neither started building")
    builder = next(log for log in both if said(log))
    writing(both[builder])
    assert not said(waiter_log := ({*both} - {builder}).pop())  # waiting for the lock
    both[builder].kill()  # its workers may still write the rows they decode: the same bytes
    both[builder].wait()
    waiter = both[waiter_log]
    out, _ = waiter.communicate(timeout=300)
    log = (tmp_path / waiter_log).read_text()
    assert waiter.returncode == 0, log
    result = json.loads(out)
    assert result["cached"] is False and 0 < result["resumed"] < len(files), (result, seed)
    assert f"resuming: {result['resumed']:,} of {len(files)}" in log
    _wait_for(lambda: not _processes_marked(mark), 60, "processes of a killed prepare live on")
    (store,) = stores.glob("[!.]*-v1")
    assert (store / "base.npy").read_bytes() == expected.getvalue(), f"seed {seed}"
    frames = open_dataset(root, subset=True).hand_frames().to_csv(index=False)
    assert (store / "frames.csv").read_text() == frames
    assert [p.name for p in stores.iterdir() if not p.name.endswith(".lock")] == [store.name]


def test_kill_train_leaves_no_temporary_run_after_the_next_start(tmp_path, sample_root, tiny_run):
    from handclf_core.paths import cache_dir

    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "stores").symlink_to(cache_dir() / "stores")
    env = {**os.environ, "HANDCLF_CACHE": str(cache)}
    cmd = [sys.executable, "-m", "handclf_core", "train", "--data", str(sample_root),
           "--model", "mnist", "--limit", "64", "--batch-size", "8", "--epochs", "30"]  # fmt: skip
    log = tmp_path / "train.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=out)
    runs = cache / "runs"
    _wait_for(lambda: runs.is_dir() and any(p.name.startswith(".tmp-") for p in runs.iterdir()),
              300, f"train never started: {log.read_text()[-2000:]}")  # fmt: skip
    proc.kill()
    proc.wait()
    assert [p for p in runs.iterdir() if p.name.startswith(".tmp-")]  # left by the kill
    quick = [sys.executable, "-m", "handclf_core", "train", "--data", str(sample_root),
             "--model", "cnn_basic", "--limit", "16", "--epochs", "1"]  # fmt: skip
    done = subprocess.run(quick, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not [p for p in runs.iterdir() if p.name.startswith(".tmp-")]


def _die(_: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)  # a worker killed (the OOM killer, a user)
    return 1


def test_a_dead_worker_is_a_clear_error():
    from handclf_core.workers import process_pool, run_tasks

    pool = process_pool(2, 4, [__name__])
    with pytest.raises(HandCamError, match="worker process died"):
        run_tasks(pool, _die, [(i,) for i in range(4)], 4, None)


def test_two_processes_preparing_one_store_decode_it_once(tmp_path):
    root = make_tree(tmp_path / "ds", {k: 20 for k in SMALL})
    cache = tmp_path / "cache"
    env = {**os.environ, "HANDCLF_CACHE": str(cache)}
    cmd = [sys.executable, "-m", "handclf_core", "prepare", "--data", str(root), "--subset",
           "--json"]  # fmt: skip
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]  # fmt: skip
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
        results.append(json.loads(out))
    assert sorted(r["cached"] for r in results) == [False, True]  # one decoded, one waited
