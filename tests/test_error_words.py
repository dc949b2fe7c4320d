"""Errors in the reader's language (issue 30): every error the app shows outside Predict is
explained through the catalogues, the file it is about kept as it is. For each kind of
error, made for real (a missing or damaged dataset, zip, cache, run, predictions, frame
store, a failed job), the zh-TW explanation has no English word outside the file's name,
the English one still names the file and what was expected, and the command line's
English line is unchanged. Then the pages themselves in zh-TW, and a URL of no page."""

from __future__ import annotations

import errno
import io
import json
import shutil
import zipfile

import numpy as np
import pytest

from app import session, work
from handclf_core.data.dataset import open_dataset
from handclf_core.errors import HandCamError
from handclf_core.runs.predictions import PREDICTIONS_FILE, read_predictions
from handclf_core.runs.record import _digest, read_run
from tests import test_reliability_inputs
from tests.test_i18n import english_left, open_page, page_texts
from tests.treeutil import SMALL, make_tree, zip_folder


def said(monkeypatch, error, lang: str) -> str:
    """What `session.explain` shows a reader of `lang`."""
    monkeypatch.setattr(session, "lang", lambda: lang)
    return session.explain(error)


def check(monkeypatch, error, path, *expected: str) -> tuple[str, str]:
    """The zh-TW text names `path` and has no English once it is taken out; the English
    one names `path` and holds `expected` (what was expected, what was found)."""
    zh, en = said(monkeypatch, error, "zh_TW"), said(monkeypatch, error, "en")
    path = str(path)
    assert path in zh and not english_left([zh.replace(path, " ")]), zh
    assert path in en and all(words in en for words in expected), en
    assert zh != en
    return zh, en


def raised(call, *args, **kw) -> HandCamError:
    with pytest.raises(HandCamError) as error:
        call(*args, **kw)
    return error.value


# --- a dataset the sidebar names -------------------------------------------------------


def test_a_missing_dataset_folder(monkeypatch, tmp_path):
    path = tmp_path / "no such folder"
    e = raised(open_dataset, path)
    assert str(e) == f"{path}: no such file or folder; expected a HandCam dataset folder"  # CLI
    zh, _ = check(monkeypatch, e, path, "no such file or folder", "expected a HandCam dataset")
    assert "找不到" in zh


def test_a_file_where_the_dataset_folder_goes(monkeypatch, tmp_path):
    path = tmp_path / "frames.txt"
    path.write_text("not a dataset")
    check(monkeypatch, raised(open_dataset, path), path, "expected a folder", "found a file")


@pytest.mark.parametrize("entries", [["README", "photos/"], []], ids=["others", "empty"])
def test_a_folder_of_another_layout(monkeypatch, tmp_path, entries):
    root = tmp_path / "data"
    root.mkdir()
    for name in entries:
        (root / name.rstrip("/")).mkdir() if name.endswith("/") else (root / name).write_text("")
    e = raised(open_dataset, root)
    _, en = check(monkeypatch, e, root, "expected a HandCam dataset")
    assert ("README" in en) == bool(entries)


def test_an_unreadable_folder(monkeypatch, tmp_path):
    from handclf_core.data.trees import unreadable

    folder = tmp_path / "frames" / "train"
    denied = PermissionError(errno.EACCES, "Permission denied", str(folder))
    e = unreadable(folder, denied, "a readable folder")
    assert str(e) == f"{folder}: expected a readable folder, found: Permission denied"
    zh, _ = check(monkeypatch, e, folder, "expected a file or folder that can be read")
    assert "權限" in zh


def test_missing_recordings_say_how_to_read_a_subset(monkeypatch, tmp_path):
    root = make_tree(tmp_path / "part", SMALL)
    e = raised(open_dataset, root)
    zh, _ = check(monkeypatch, e, root / "frames", "expected every recording", "subset")
    assert "讀取部分資料" in zh


def test_a_recording_without_its_label_file(monkeypatch, tmp_path):
    root = make_tree(tmp_path / "data", SMALL)
    (root / "labels" / "house" / "ges_left1.npy").unlink()
    e = raised(open_dataset, root, subset=True)
    check(monkeypatch, e, root / "labels", "has no label file: expected")


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"not numpy", "expected a NumPy .npy label array"), (99, "class ids 0..23, found")],
    ids=["not-npy", "out-of-range"],
)
def test_a_label_file_that_cannot_be_used(monkeypatch, tmp_path, content, expected):
    root = make_tree(tmp_path / "data", SMALL)
    label = root / "labels" / "house" / "obj_left1.npy"
    if isinstance(content, bytes):
        label.write_bytes(content)
    else:
        np.save(label, np.array([0.0, 1.0, content]))
    e = raised(open_dataset, root, subset=True)
    check(monkeypatch, e, f"{root / 'labels'}:house/obj_left1.npy", expected)


def test_zips_that_are_not_zips(monkeypatch, tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    for name in ("frames.zip", "labels.zip"):
        (root / name).write_bytes(b"these are not zips")
    e = raised(open_dataset, root)
    assert str(e).startswith(f"{root / 'labels.zip'}: expected a zip archive, found: ")
    check(monkeypatch, e, root / "labels.zip", "expected a zip archive")


def test_a_damaged_member_of_a_zip(monkeypatch, tmp_path):
    tree = make_tree(tmp_path / "tree", SMALL)
    root = tmp_path / "zips"
    root.mkdir()
    zip_folder(tree / "frames", root / "frames.zip")
    labels = zip_folder(tree / "labels", root / "labels.zip")  # stored: its bytes as they are
    with zipfile.ZipFile(labels) as z:
        info = z.getinfo("house/obj_left1.npy")
    raw = bytearray(labels.read_bytes())
    raw[info.header_offset + 30 + len(info.filename) + 100] ^= 0xFF  # a byte of the data
    labels.write_bytes(bytes(raw))
    e = raised(open_dataset, root, subset=True)
    member = f"{labels}:house/obj_left1.npy"
    assert str(e).startswith(f"{member}: expected an intact zip member, found: ")
    check(monkeypatch, e, member, "expected an intact zip member")


# --- the cache folder ----------------------------------------------------------------------


def test_a_cache_folder_that_is_a_file(monkeypatch, tmp_path):
    from handclf_core.paths import writable_cache_dir

    cache = tmp_path / "cache"
    cache.write_text("")
    monkeypatch.setenv("HANDCLF_CACHE", str(cache))
    e = raised(writable_cache_dir)
    zh, _ = check(monkeypatch, e, cache, "expected the cache folder, found a file")
    assert "HANDCLF_CACHE" in zh  # what to do, in either language


def test_a_file_where_a_folder_of_the_cache_goes(monkeypatch, tmp_path):
    from handclf_core.paths import writable_cache_dir

    cache = tmp_path / "cache"
    (cache / "runs").mkdir(parents=True)
    (cache / "runs" / ".locks").write_text("")
    monkeypatch.setenv("HANDCLF_CACHE", str(cache))
    e = raised(writable_cache_dir)
    check(monkeypatch, e, cache / "runs" / ".locks", ": expected a folder of the cache", "file")


# --- stored runs: the damaged runs' boxes on Compare and Predict ------------------------


kept = test_reliability_inputs.kept  # the fixture: a cache of its own with the tiny run


def _record(folder, change) -> None:
    """Change the run's record by `change(data)`, its digest made to match."""
    data = json.loads((folder / "run.json").read_text())
    change(data)
    data["digest"] = _digest(data)
    (folder / "run.json").write_text(json.dumps(data))


def _edited(folder):
    data = json.loads((folder / "run.json").read_text())
    data["test"]["accuracy"] = 0.99  # a better figure, by hand
    (folder / "run.json").write_text(json.dumps(data))
    return folder / "run.json", "found it edited"


def _foreign(folder):
    other = folder.parent / f"{folder.name[:-12]}{'0' * 12}"  # a name its record does not give
    shutil.move(folder, other)
    return other / "run.json", f"expected the record of run {other.name}"


def _schema(folder):
    _record(folder, lambda data: data.update(schema=99))
    return folder / "run.json", "expected a run record of schema 2 to 4, found 99"


def _field(folder):
    _record(folder, lambda data: data["test"].update(accuracy=7.5))
    return folder / "run.json", "test.accuracy"


def _model(folder):
    with (folder / "model.keras").open("ab") as f:
        f.write(b"more")
    return folder / "model.keras", "expected the model trained for this run"


def _not_json(folder):
    (folder / "run.json").write_text("{not json")
    return folder / "run.json", "expected a run record (JSON)"


def _strays(folder):
    for i in range(3):
        (folder.parent / f"junk {i}").mkdir()
    return folder.parent, "entries that are not runs: 3"


DAMAGES = [_edited, _foreign, _schema, _field, _model, _not_json, _strays]


@pytest.mark.parametrize("damage", DAMAGES, ids=lambda f: f.__name__.strip("_"))
def test_a_damaged_or_foreign_run(monkeypatch, kept, damage):
    from handclf_core.runs.folders import scan_runs

    path, expected = damage(kept)
    runs, damaged = scan_runs()
    problem = damaged[-1]
    assert str(path) in problem and getattr(problem, "key", None)  # `runs list`: one line
    json.dumps(damaged)  # and as JSON
    check(monkeypatch, problem, path, expected)


def _predictions(folder, write) -> None:
    path = folder / PREDICTIONS_FILE
    path.unlink()
    write(path)


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (lambda p: p.write_bytes(b"another file"), "found another file"),
        (lambda p: p.mkdir(), "found a folder"),
        (lambda p: None, "found no file"),
    ],
    ids=["another-file", "folder", "none"],
)
def test_damaged_predictions(monkeypatch, kept, write, expected):
    _predictions(kept, write)
    path = kept / PREDICTIONS_FILE
    e = raised(read_predictions, read_run(kept))
    assert str(e).startswith(f"{path}: expected the test predictions written for run {kept.name}")
    zh, en = check(monkeypatch, e, path, "expected the test predictions", expected)
    assert kept.name in zh and kept.name in en


@pytest.mark.parametrize(
    ("arrays", "expected"),
    [({"true": None}, "expected the members rows"), ({"probabilities": "nan"}, "in 0..1")],
    ids=["members", "nan"],
)
def test_predictions_of_other_contents(monkeypatch, kept, arrays, expected):
    path = kept / PREDICTIONS_FILE
    with np.load(path) as data:
        base = {k: data[k] for k in data.files}
    ((name, how),) = arrays.items()
    if how is None:
        del base[name]
    else:
        base[name] = base[name].copy()
        base[name][0, 0] = np.nan
    buffer = io.BytesIO()
    np.savez(buffer, **base)
    path.write_bytes(buffer.getvalue())

    def matching(data):
        from handclf_core.atomic import file_sha256

        data["predictions"].update(bytes=path.stat().st_size, sha256=file_sha256(path))

    _record(kept, matching)
    check(monkeypatch, raised(read_predictions, read_run(kept)), path, expected)


def test_a_run_being_trained_is_not_deleted(monkeypatch, kept):
    from filelock import FileLock

    from handclf_core.runs.folders import delete_run, lock_path

    with FileLock(lock_path(kept)):
        e = raised(delete_run, kept.name)
    assert str(e) == f"{kept.name} is being trained or scored; delete it when it is done"
    check(monkeypatch, e, kept.name, "is being trained or scored")


def test_what_the_system_refuses_is_said_by_its_kind(monkeypatch, tmp_path):
    path = tmp_path / "runs" / "x"
    check(monkeypatch, PermissionError(errno.EACCES, "Permission denied", str(path)), path, "")
    check(monkeypatch, FileNotFoundError(errno.ENOENT, "No such file", str(path)), path, "")


# --- the frame store ---------------------------------------------------------------------


def test_a_frame_store_whose_files_disagree(monkeypatch, tmp_path):
    from handclf_core.data.store import FrameStore

    store = tmp_path / "stores" / "abc"
    store.mkdir(parents=True)
    (store / "meta.json").write_text("{}")
    (store / "frames.csv").write_text("split,file\ntrain,a.png\ntrain,b.png\n")
    np.save(store / "base.npy", np.zeros((1, 227, 404, 3), np.uint8))
    e = raised(FrameStore, store)
    assert str(e) == f"{store}: frames.csv and base.npy disagree; delete the folder"
    check(monkeypatch, e, store, "disagree")


# --- a failed job: its error comes back from the training process as a line ---------------


def test_a_failed_job_is_explained_from_its_line(monkeypatch, tmp_path):
    """The job board keeps the core's English line; the app finds the explanation whose
    English it is, or else names the file in the reader's language."""
    from handclf_core.data.trees import read_file

    big = tmp_path / "frames" / "Image1.png"
    big.parent.mkdir()
    big.write_bytes(b"x" * 100)
    e = raised(read_file, big, 10)
    assert session.recognised(str(e)) == (e.key, {"path": str(big), "limit": 10, "size": 100})
    monkeypatch.setattr(session, "lang", lambda: "zh_TW")
    assert work.error_text(str(e)) == session.explain(e)
    check(monkeypatch, str(e), big, "expected at most 10 bytes, found 100")
    # A line no explanation writes: in zh-TW the file is named, in English the line stays.
    line = f"{big}: expected a PNG or JPEG image, found text"
    zh, en = check(monkeypatch, line, big, "expected a PNG or JPEG image")
    assert en == line
    zh = said(monkeypatch, "the disk said no", "zh_TW")
    assert zh and not english_left([zh])


def test_every_exact_explanation_reads_its_own_line_back(monkeypatch, tmp_path, kept):
    """Where the app's English text is the command line's, a job's line finds its key."""
    from handclf_core.runs.folders import delete_run, lock_path

    errors = [raised(open_dataset, tmp_path / "none")]
    from filelock import FileLock

    with FileLock(lock_path(kept)):
        errors.append(raised(delete_run, kept.name))
    (kept / PREDICTIONS_FILE).write_bytes(b"another")
    errors.append(raised(read_predictions, read_run(kept)))
    for e in errors:
        key, fields = session.recognised(str(e))
        assert key == e.key and {k: str(v) for k, v in fields.items()} == {
            k: str(v) for k, v in e.fields.items() if k in fields
        }


# --- the pages, in zh-TW ---------------------------------------------------------------------


def _zh_page(data, page=None, **state):
    return open_page(data, page, "zh_TW", **state)


@pytest.mark.parametrize("page", [None, "app_pages/1_Dataset.py"], ids=["home", "dataset"])
def test_a_bad_dataset_path_in_zh_tw(tmp_path, page):
    at = _zh_page(tmp_path / "no-such-folder", page)
    (error,) = at.error
    assert str(tmp_path / "no-such-folder") in error.value and "找不到" in error.value
    assert not english_left(page_texts(at)), english_left(page_texts(at))


def test_missing_recordings_in_zh_tw(tmp_path):
    at = _zh_page(make_tree(tmp_path / "part", SMALL), "app_pages/1_Dataset.py")
    assert "讀取部分資料" in at.error[0].value
    assert not english_left(page_texts(at)), english_left(page_texts(at))


def test_compare_in_zh_tw_names_damaged_runs_and_predictions(kept, sample_root):
    """A copy of the run under a name its record does not give, junk beside it, and the
    run's predictions.npz replaced: every box is Chinese, naming its file."""
    other = kept.parent / f"{kept.name[:-12]}{'0' * 12}"
    shutil.copytree(kept, other)
    (kept.parent / "junk").mkdir()
    (kept / PREDICTIONS_FILE).write_bytes(b"another file")
    at = _zh_page(sample_root, "app_pages/4_Compare.py")
    boxes = [w.value for w in at.warning] + [e.value for e in at.error]
    assert any(str(other / "run.json") in b for b in boxes), boxes
    assert any(str(kept.parent) in b and "junk" in b for b in boxes), boxes
    assert any(str(kept / PREDICTIONS_FILE) in b for b in [e.value for e in at.error]), boxes
    assert not english_left(page_texts(at)), english_left(page_texts(at))


# --- a URL of no page -----------------------------------------------------------------------


def test_a_url_of_no_page_shows_home_with_a_note(monkeypatch, sample_root):
    """Streamlit would run Home under its own English "Page not found" dialog; the app
    serves that URL a hidden page of its own instead. (AppTest cannot ask for a URL: the
    page name is given as Streamlit's page manager would have it, and the page's hash as
    the browser would send it on the next run.)"""
    from streamlit.util import calc_hash

    from app import navigation

    monkeypatch.setattr(navigation, "requested_page", lambda: "Nonexistent")
    at = _zh_page(sample_root)
    at._page_hash = calc_hash("Nonexistent")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (note,) = [w.value for w in at.warning if "/Nonexistent" in w.value]
    assert "沒有對應的頁面" in note
    assert at.title[0].value.startswith("HandCam 課堂")  # the Home page below it
    assert not english_left(page_texts(at)), english_left(page_texts(at))


def test_a_url_of_no_page_in_a_real_browser(sample_root):
    """What a reader sees at /Nonexistent: no dialog of Streamlit's, the app's note in the
    browser's language above the Home page."""
    from tests.browser import CHROMIUM, _streamlit, chromium
    from tests.layout import _settle

    if CHROMIUM is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set CHROMIUM)")
    with _streamlit(sample_root, data=str(sample_root)) as url, chromium() as browser:
        page = browser.new_page(locale="zh-TW")
        page.set_default_timeout(120_000)
        page.goto(f"{url}/Nonexistent")
        _settle(page, 120)
        assert "Page not found" not in page.inner_text("body")
        note = page.get_by_text("沒有對應的頁面").inner_text()
        assert "/Nonexistent" in note and not english_left([note]), note
        assert "手裡拿著什麼" in page.inner_text("h1")
