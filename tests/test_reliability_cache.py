"""Bad input, the third round: the cache's own furniture (runs/.locks and its lock files,
the frame stores' folders and locks, the job board) damaged by a hand, and links planted
inside the cache. Each is one line naming the culprit and saying what to do, and nothing is
ever written outside the cache (see test_reliability for the first round and its
helpers)."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from handclf_core.errors import HandCamError
from handclf_core.paths import cache_dir, writable_cache_dir
from handclf_core.runs.folders import delete_run, lock_path, run_archive
from handclf_core.runs.record import MODEL_FILE, RECORD_FILE
from tests.test_reliability import refused, run_cli


def listing(folder: Path) -> dict[str, tuple]:
    """Everything under `folder`, links not followed: {path: (kind, size, mtime)}."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            st = os.lstat(Path(root) / name)
            found[str(Path(root, name).relative_to(folder))] = (st.st_mode, st.st_size,
                                                                st.st_mtime_ns)  # fmt: skip
    return found


@pytest.fixture
def outside(tmp_path):
    """A folder outside the cache, with a file of its own; `listing` it before and after."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "mine.txt").write_text("a user's file")
    return folder


@pytest.fixture
def cache(tmp_path, monkeypatch, tiny_run):
    """A cache of its own, its stores linked to the session's (decoded already)."""
    source, folder = cache_dir(), tmp_path / "cache"
    (folder / "runs").mkdir(parents=True)
    (folder / "stores").symlink_to(source / "stores")
    monkeypatch.setenv("HANDCLF_CACHE", str(folder))
    return folder


@pytest.fixture
def kept(cache, tiny_run):
    """A copy of the tiny run in `cache`: the run, read from its copy."""
    folder = cache / "runs" / tiny_run[0].path.name
    shutil.copytree(tiny_run[0].path, folder)
    return dataclasses.replace(tiny_run[0], path=folder)


# --- the cache folder named with a ~ ---------------------------------------------------------


def test_a_cache_named_with_a_tilde_is_in_the_home_folder(tmp_path, monkeypatch):
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir(), work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    monkeypatch.setenv("HANDCLF_CACHE", "~/handclf-cache")  # quoted: the shell left the ~
    assert writable_cache_dir() == home / "handclf-cache" and (home / "handclf-cache").is_dir()
    monkeypatch.setenv("HANDCLF_CACHE", "relative/cache")  # from the working folder
    assert writable_cache_dir() == work / "relative" / "cache"
    monkeypatch.setenv("HANDCLF_CACHE", "~no-such-user-xq7/cache")
    with pytest.raises(HandCamError, match="HANDCLF_CACHE=~no-such-user-xq7/cache: expected a "
                       "folder, found the home of an unknown user"):  # fmt: skip
        writable_cache_dir()
    assert [p.name for p in work.iterdir()] == ["relative"]  # no folder named ~


def test_the_sample_is_never_generated_through_a_linked_folder(tmp_path, monkeypatch, outside):
    from handclf_core.data.sample import default_sample_dir, generate_sample

    monkeypatch.setenv("HANDCLF_CACHE", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "sample").symlink_to(outside, target_is_directory=True)
    before = listing(outside)
    out = default_sample_dir(stride=200, size=(64, 36))
    with pytest.raises(HandCamError, match="sample: expected the folder of samples, found a link"):
        generate_sample(out, stride=200, size=(64, 36), workers=1)
    assert listing(outside) == before


# --- runs/.locks and its lock files -----------------------------------------------------------


@pytest.mark.parametrize("damage", ["a file", "a link", "read-only", "lock a folder",
                                    "lock a link"])  # fmt: skip
def test_damaged_lock_files_are_one_line_and_nothing_is_written_outside(
    kept, outside, capsys, monkeypatch, damage
):
    folder = kept.path
    locks = folder.parent / ".locks"
    if damage == "a file":
        locks.write_text("not a folder")
        found = ".locks: expected the folder of lock files, found a file (delete it"
    elif damage == "a link":
        locks.symlink_to(outside, target_is_directory=True)
        found = ".locks: expected the folder of lock files, found a link"
    elif damage == "read-only":
        locks.mkdir()
        locks.chmod(0o500)
        real = os.access  # root may write anywhere: asked as for another user
        monkeypatch.setattr(os, "access", lambda p, m: not str(p).endswith(".locks")
                            and real(p, m))  # fmt: skip
        found = ".locks: expected the folder of lock files this process can write in, found a "
    else:
        lock = lock_path(folder)
        if damage == "lock a folder":
            lock.mkdir()
            found = f"{lock.name}: expected a lock file, found a folder (delete it"
        else:
            lock.symlink_to(outside / "planted.lock")  # dangling: opened, it would be made
            found = f"{lock.name}: expected a lock file, found a link"
    before = listing(outside)
    with pytest.raises(HandCamError, match="expected"):
        lock_path(folder)
    with pytest.raises(HandCamError, match="expected"):
        delete_run(folder.name)
    code, _, err = run_cli(capsys, "runs", "delete", folder.name, "--yes")
    refused(code, err, found)
    assert folder.is_dir() and listing(outside) == before


def test_scoring_a_run_under_damaged_locks_is_one_line(kept, sample_ds):
    from handclf_core.inside.mistakes import score_run

    (kept.path.parent / ".locks").write_text("not a folder")
    with pytest.raises(HandCamError, match="expected the folder of lock files, found a file"):
        score_run(kept, sample_ds, again=True)


# --- a run folder that is a link --------------------------------------------------------------


def test_scoring_a_linked_run_folder_is_refused_naming_the_link(
    kept, outside, sample_ds, sample_root, capsys
):
    """`mistakes` on a run folder that is a link to one outside the cache would write
    predictions.npz and rewrite run.json there."""
    from handclf_core.inside.mistakes import score_run

    target = outside / kept.name
    shutil.copytree(kept.path, target)
    shutil.rmtree(kept.path)
    kept.path.symlink_to(target, target_is_directory=True)
    before = listing(outside)
    with pytest.raises(HandCamError, match=f"{kept.name}: expected a run folder, found a link"):
        score_run(kept, sample_ds, again=True)  # the run as read through the link
    assert listing(outside) == before
    (target / "predictions.npz").unlink()  # a run to score, on the command line
    before = listing(outside)
    code, _, err = run_cli(capsys, "mistakes", "--model", kept.path, "--data", sample_root)
    refused(code, err, kept.name, "link")
    assert listing(outside) == before and kept.path.is_symlink()


def test_training_publishes_over_a_planted_link_and_leaves_its_target(
    cache, outside, sample_ds, tiny_run, monkeypatch, caplog
):
    """A link where the run of a configuration goes: the run trained is published in its
    place (the link replaced, never followed: NotADirectoryError before)."""
    from handclf_core.training import train as training
    from tests.conftest import TINY

    final = cache / "runs" / tiny_run[0].path.name
    final.symlink_to(outside, target_is_directory=True)
    before = listing(outside)

    def trained(ds, config, folder, name, progress):  # the tiny run's files: seconds saved
        for file in os.listdir(tiny_run[0].path):
            shutil.copy2(tiny_run[0].path / file, folder / file)

    monkeypatch.setattr(training, "_train", trained)
    run, loaded = training.train(sample_ds, TINY)
    assert not loaded and run.path == final and final.is_dir() and not final.is_symlink()
    assert listing(outside) == before
    assert "is a link, not a run folder" in caplog.text


# --- the download of a run: only its own plain files ------------------------------------------


@pytest.mark.parametrize("file", [MODEL_FILE, RECORD_FILE])
def test_a_run_archive_never_holds_what_a_link_leads_to(kept, outside, file):
    out = io.BytesIO()
    run_archive(kept, out)  # the run as kept: its own files
    with zipfile.ZipFile(out) as archive:
        assert archive.read(f"{kept.name}/{file}") == (kept.path / file).read_bytes()
    secret = outside / "secret.bin"
    secret.write_bytes(b"not the student's model")
    (kept.path / file).unlink()
    (kept.path / file).symlink_to(secret)
    out = io.BytesIO()
    with pytest.raises(HandCamError, match=f"{file}: expected the run's own file, found a link"):
        run_archive(kept, out)  # whatever read the run before (read_run refuses links too)
    assert b"not the student's model" not in out.getvalue()


# --- the frame stores: their folders and locks ------------------------------------------------


@pytest.fixture
def stores(tmp_path, monkeypatch, sample_ds, tiny_run):
    """A cache of its own with a copy (hard links) of the session's store: (stores, store)."""
    from handclf_core.data.store import store_path

    source, cache = store_path(sample_ds), tmp_path / "cache"
    store = cache / "stores" / source.name
    shutil.copytree(source, store, copy_function=os.link)
    monkeypatch.setenv("HANDCLF_CACHE", str(cache))
    return store.parent, store


NEW = dict(size=9, gray=True)  # inputs no test derives: deriving them would write


@pytest.mark.parametrize("damage", ["inputs' lock a folder", "inputs a file", "store a link",
                                    "inputs a link"])  # fmt: skip
def test_a_stores_damaged_folders_and_locks(stores, outside, sample_ds, damage):
    from handclf_core.data.images import Preprocessing
    from handclf_core.data.store import open_store

    _, store = stores
    prep = Preprocessing(**NEW)
    variants = store / "variants"
    if damage == "inputs' lock a folder":
        (variants / f".{prep.key}.lock").mkdir(parents=True)
        found = f".{prep.key}.lock: expected a lock file, found a folder"
    elif damage == "inputs a file":
        shutil.rmtree(variants, ignore_errors=True)
        variants.write_text("")
        found = "variants: expected the folder of inputs, found a file"
    elif damage == "store a link":
        shutil.move(store, outside / store.name)
        store.symlink_to(outside / store.name, target_is_directory=True)
        found = f"{store.name}: expected a folder, found a link"
    else:
        shutil.move(variants, outside / "variants")
        variants.symlink_to(outside / "variants", target_is_directory=True)
        found = "variants: expected the folder of inputs, found a link"
    before = listing(outside)
    opened = open_store(sample_ds)
    assert opened is not None  # reading through it writes nothing
    with pytest.raises(HandCamError, match=re.escape(found)):
        opened.variant(prep, workers=1)
    assert listing(outside) == before


@pytest.mark.parametrize("damage", ["stores a file", "build's lock a folder"])
def test_building_a_store_in_damaged_stores(tmp_path, monkeypatch, outside, sample_ds, damage):
    from handclf_core.data.layout import HAND_CAMERAS
    from handclf_core.data.store import _partial, build_store

    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("HANDCLF_CACHE", str(cache))
    if damage == "stores a file":
        (cache / "stores").write_text("")
        found = "stores: expected the folder of frame stores, found a file"
    else:
        lock = Path(f"{_partial(sample_ds, HAND_CAMERAS)[0].path}.lock")
        lock.mkdir(parents=True)
        found = f"{lock.name}: expected a lock file, found a folder"
    before = listing(outside)
    with pytest.raises(HandCamError, match=re.escape(found)):
        build_store(sample_ds, workers=1)
    assert listing(outside) == before


# --- the job board ------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["a file", "a link", "read-only"])
def test_a_damaged_job_board_is_one_line_and_nothing_is_written_outside(
    tmp_path, monkeypatch, outside, capsys, damage
):
    from handclf_core.training import board
    from handclf_core.training.board import Group, JobRecord
    from handclf_core.vocab import JobKind

    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("HANDCLF_CACHE", str(cache))
    jobs = cache / "jobs"
    if damage == "a file":
        jobs.write_text("")
        found = "jobs: expected the job board's folder, found a file"
    elif damage == "a link":
        jobs.symlink_to(outside, target_is_directory=True)
        found = "jobs: expected the job board's folder, found a link"
    else:
        jobs.mkdir()
        jobs.chmod(0o500)
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m: not str(p).endswith("jobs")
                            and real(p, m))  # fmt: skip
        found = "jobs: expected the job board's folder this process can write in"
    before = listing(outside)
    record = JobRecord(id="store-x-s9", kind=JobKind.STORE, dataset="x")
    for write in (lambda: board.write(record), lambda: board.cancel("store-x-s9"), board.beat,
                  lambda: board.write_group(Group("g1", ("store-x-s9",), 0.0)),
                  board.machine_lock):  # fmt: skip
        with pytest.raises(HandCamError, match=re.escape(found)):
            write()
    assert board.jobs() == [] and board.read("store-x-s9") is None  # read: nothing, no error
    code, _, err = run_cli(capsys, "runs", "delete", "x", "--yes")  # said before any work
    refused(code, err, found)
    assert listing(outside) == before


def test_links_planted_on_the_job_board_are_replaced_never_followed(tmp_path, monkeypatch, outside):
    from handclf_core.training import board

    monkeypatch.setenv("HANDCLF_CACHE", str(tmp_path / "cache"))
    host, pid = board.server()
    (board.folder() / "servers").mkdir(parents=True)
    cancel = board.folder() / "store-x-s9.cancel"
    beat = board.folder() / "servers" / f"{host}-{pid}"
    cancel.symlink_to(outside / "made-by-cancel")  # dangling: touched, each would be made
    beat.symlink_to(outside / "made-by-beat")
    before = listing(outside)
    board.cancel("store-x-s9")
    board.beat()
    assert cancel.is_file() and not cancel.is_symlink() and board.cancel_requested("store-x-s9")
    assert beat.is_file() and not beat.is_symlink()
    assert listing(outside) == before
    (board.folder() / ".machine.lock").mkdir()
    with pytest.raises(HandCamError, match=".machine.lock: expected a lock file, found a folder"):
        board.machine_lock()


def test_a_job_under_a_damaged_machine_lock_fails_in_one_line(tmp_path, monkeypatch, sample_ds):
    """The worker thread died on IsADirectoryError and the job stayed queued for ever."""
    from handclf_core.data.images import Preprocessing
    from handclf_core.training import board
    from handclf_core.training.jobs import Status, TrainingJobs

    monkeypatch.setenv("HANDCLF_CACHE", str(tmp_path / "cache"))
    (board.folder() / ".machine.lock").mkdir(parents=True)
    jobs = TrainingJobs()
    try:
        job = jobs.submit_store(sample_ds, Preprocessing(**NEW))
        assert job.wait(60), "the job neither ran nor failed"  # a hang's guard, not a timing
        assert job.status == Status.FAILED and "\n" not in job.error
        assert ".machine.lock: expected a lock file, found a folder" in job.error
        assert board.read(job.key).error == job.error  # as every tab reads it
    finally:
        jobs.close()


# --- the app: one error box ---------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["runs/.locks", "jobs"])
def test_the_train_page_says_what_is_damaged_in_one_box(tmp_path, monkeypatch, sample_root, damage):
    from streamlit.testing.v1 import AppTest

    from tests.test_app_train import ROOT, TRAIN

    cache = tmp_path / "cache"
    (cache / damage).parent.mkdir(parents=True, exist_ok=True)
    (cache / damage).write_text("")  # a file where the folder goes
    monkeypatch.setenv("HANDCLF_CACHE", str(cache))
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state["data_spec"] = str(sample_root)
    at.run()
    at.switch_page(TRAIN).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any(f"{cache / damage}: expected" in e and "found a file" in e for e in errors), errors
