"""Bad input, the third round: a stored run is input, not code. Every record read strictly
(finite numbers in range, the schema's types, names that stay in the run folder), every
file of a run bounded and never a link, a model file that names anything but the three
models' layers refused before Keras sees it; one bad run marks itself damaged and leaves
every other run usable; junk beside the runs is said in one line."""

from __future__ import annotations

import json
import os
import shutil
import threading
import zipfile

import pytest

from handclf_core.errors import HandCamError
from handclf_core.runs.folders import scan_runs
from handclf_core.runs.record import read_run
from tests import test_reliability_inputs
from tests.test_reliability import refused, run_cli

kept = test_reliability_inputs.kept  # the fixture: a cache of its own with the tiny run


@pytest.fixture
def two(kept, flip_run):
    """The kept tiny run (to be damaged) and a good mnist run beside it, in the same cache."""
    good = kept.parent / flip_run.path.name
    shutil.copytree(flip_run.path, good)
    return kept, good


def _forge(folder, change, raw=None) -> None:
    """Rewrite the run's record through `change(data)`, with a digest that matches (anyone
    can compute one); `raw(text)` then edits the JSON text itself."""
    import hashlib

    path = folder / "run.json"
    data = json.loads(path.read_text())
    change(data)
    body = {k: v for k, v in data.items() if k != "digest"}
    blob = json.dumps(body, sort_keys=True, allow_nan=True)
    data["digest"] = hashlib.sha256(blob.encode()).hexdigest()
    text = json.dumps(data, indent=1, allow_nan=True)
    path.write_text(raw(text) if raw else text)


def _set(path: str, value):
    def change(data):
        *parents, last = path.split(".")
        node = data
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[last] = value

    return change


def _schema3_validation(value):
    def change(data):
        data["schema"] = 3
        del data["config"]["held_out"]
        data["config"]["validation"] = value

    return change


FORGED = {
    "nan": (_set("test.accuracy", float("nan")), "test.accuracy"),
    "infinity": (_set("train_accuracy", float("inf")), "train_accuracy"),
    "minus-infinity-in-history": (
        lambda d: d["history"]["loss"].__setitem__(0, float("-inf")),
        "history.loss[0]",
    ),
    "1e400": (_set("timings.seconds", float("inf")), "timings.seconds"),  # written 1e400
    "huge-whole-number": (_set("frames.test", 10**30), "frames.test"),
    "validation-list": (_schema3_validation([]), "validation"),
    "validation-object": (_schema3_validation({}), "validation"),
    "share-above-one": (_set("test.balanced_accuracy", 1.5), "test.balanced_accuracy"),
    "negative-count": (_set("frames.validation", -3), "frames.validation"),
    "identity-a-path": (_set("dataset.identity", "../../fake"), "dataset.identity"),
    "predictions-a-path": (_set("predictions.name", "../../../../../etc/passwd"), "passwd"),
    "predictions-absolute": (_set("predictions.name", "/etc/hostname"), "predictions.name"),
    "digest-not-hex": (_set("model_sha256", "../x"), "model_sha256"),
    "classes-a-number": (_set("classes", 7), "classes"),
    "per-class-missing": (_set("test.per_class", []), "per_class"),
}


@pytest.mark.parametrize("case", FORGED)
def test_a_forged_record_marks_only_its_run_damaged(two, capsys, case):
    """NaN, infinities, numbers out of range or of the wrong type, names that are paths:
    `runs list` lists the other run and names the damaged one with the field; `runs
    compare` of the damaged one is refused in one line; nothing outside the run is read."""
    bad, good = two
    change, named = FORGED[case]
    raw = (
        (lambda t: t.replace('"seconds": Infinity', '"seconds": 1e400'))
        if case == "1e400"
        else None
    )
    _forge(bad, change, raw)
    with pytest.raises(HandCamError, match="run.json") as e:
        read_run(bad)
    assert named in str(e.value)
    runs, damaged = scan_runs()
    assert [r.name for r in runs] == [good.name]
    assert len(damaged) == 1 and bad.name in damaged[0]

    code, out, err = run_cli(capsys, "runs", "list", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert [r["name"] for r in listed["runs"]] == [good.name]
    assert len(listed["damaged"]) == 1 and named in listed["damaged"][0]
    code, out, err = run_cli(capsys, "runs", "list")
    assert code == 0 and good.name in out and "damaged, left out" in out, err
    code, out, err = run_cli(capsys, "runs", "compare", bad.name, good.name)
    refused(code, err, bad.name)


def test_links_in_a_run_are_never_followed(two, tmp_path, capsys):
    """A run folder, a record or a model file that is a link (to a copy outside the cache,
    which would pass every other check) marks the run damaged, naming the link."""
    bad, good = two
    outside = tmp_path / "outside"
    shutil.copytree(bad, outside)
    for name in ("model.keras", "run.json"):
        (bad / name).unlink()
        (bad / name).symlink_to(outside / name)
        with pytest.raises(HandCamError, match=f"{name}: expected a file of the run itself"):
            read_run(bad)
        (bad / name).unlink()
        shutil.copy(outside / name, bad / name)
    read_run(bad)  # whole again
    shutil.rmtree(bad)
    bad.symlink_to(outside, target_is_directory=True)
    runs, damaged = scan_runs()
    assert [r.name for r in runs] == [good.name]
    assert len(damaged) == 1 and "found a link" in damaged[0]
    code, out, err = run_cli(capsys, "runs", "list")
    assert code == 0 and good.name in out, err


def _with_config(folder, edit) -> None:
    """Rewrite config.json inside the run's model.keras through `edit(config)`, and forge
    the record to match the new file (its size, SHA-256 and digest)."""
    from handclf_core.atomic import file_sha256

    model = folder / "model.keras"
    with zipfile.ZipFile(model) as old:
        members = {n: old.read(n) for n in old.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    model.unlink()
    with zipfile.ZipFile(model, "w") as new:
        for name, data in members.items():
            new.writestr(name, data)
    size, sha = model.stat().st_size, file_sha256(model)
    _forge(folder, lambda d: d.update(model_bytes=size, model_sha256=sha))


def _first_layer_named(config, class_name):
    return next(x for x in config["config"]["layers"] if x["class_name"] == class_name)


def _module(module, class_name, registered=None):
    def edit(config):
        layer = _first_layer_named(config, "Dense")
        layer.update(module=module, class_name=class_name, registered_name=registered)

    return edit


def _activation(value):
    def edit(config):
        _first_layer_named(config, "Dense")["config"]["activation"] = value

    return edit


HOSTILE = {
    "lambda": (_module("keras.layers", "Lambda"), "keras.layers.Lambda"),
    "a-module-outside-keras": (_module("os", "system"), "os.system"),
    "a-registered-custom-class": (_module("keras.layers", "Dense", "evil>Dense"), "evil>Dense"),
    "a-function-as-activation": (
        _activation({"module": "builtins", "class_name": "function", "config": "eval"}),
        "builtins.function",
    ),
    "an-activation-by-name": (_activation("exponential"), "exponential"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_model_file_that_asks_for_more_than_the_three_models_is_never_loaded(kept, case):
    """The config inside model.keras is checked against an allow-list before Keras may load
    it; a forged record that matches the file proves nothing."""
    from unittest import mock

    edit, named = HOSTILE[case]
    _with_config(kept, edit)
    with mock.patch("keras.models.load_model") as load, pytest.raises(HandCamError) as e:
        read_run(kept)
    assert "model.keras" in str(e.value) and named in str(e.value)
    assert "expected" in str(e.value) and "Traceback" not in str(e.value)
    load.assert_not_called()
    _, damaged = scan_runs()
    assert len(damaged) == 1 and named in damaged[0]


def test_a_model_file_with_other_members_or_a_huge_config_is_refused(kept):
    from handclf_core.atomic import file_sha256

    model = kept / "model.keras"
    with zipfile.ZipFile(model, "a") as archive:
        archive.writestr("evil.py", "import os")
    size, sha = model.stat().st_size, file_sha256(model)
    _forge(kept, lambda d: d.update(model_bytes=size, model_sha256=sha))
    with pytest.raises(HandCamError, match="evil.py"):
        read_run(kept)


def test_every_model_and_precision_passes_the_allow_list(tmp_path):
    """The allow-list is not narrower than what training writes: each model compiled as
    training compiles it, in mixed float16 (a loss-scale optimizer) and the other policies."""
    import keras
    import numpy as np

    from handclf_core.models import create_model, get_recipe, list_models, make_optimizer
    from handclf_core.runs.model_file import check_model_file

    cases = [(m, "mixed_float16") for m in list_models()]
    cases += [("cnn_basic", "float32"), ("mnist", "mixed_bfloat16")]
    for model_name, policy in cases:
        recipe = get_recipe(model_name)
        size = recipe.min_input_size if model_name == "alexnet" else recipe.input_size
        keras.mixed_precision.set_global_policy(policy)
        try:
            model = create_model(model_name, input_size=size, channels=recipe.channels)
            model.compile(optimizer=make_optimizer(recipe), loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"])  # fmt: skip
        finally:
            keras.mixed_precision.set_global_policy("float32")
        x = np.zeros((2, size, size, recipe.channels), "float32")
        model.train_on_batch(x, np.array([0, 1]))
        path = tmp_path / f"{model_name}-{policy}.keras"
        model.save(path)
        check_model_file(path)


def test_a_record_larger_than_any_run_writes_is_not_read_whole(kept):
    _forge(kept, lambda d: d.update(created=d["created"] + " " * (9 * 2**20)))
    with pytest.raises(HandCamError, match="expected at most"):
        read_run(kept)


def _finishes(call, seconds: float = 300):
    """`call()`'s result, or a failure when it has not returned within `seconds`: a
    guard against a read that waits forever (a pipe), not a measure of speed."""
    done = []
    thread = threading.Thread(target=lambda: done.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert done, f"{call} did not return: it waits on a pipe or reads without end"
    return done[0]


@pytest.mark.parametrize("what", ["fifo", "dev-zero", "folder"])
def test_a_store_table_that_is_a_pipe_or_a_device_is_refused(kept, what):
    """The frame store's frames.csv (read to put intervals on a run's figures) as a pipe,
    a link to /dev/zero or a folder: no interval, no wait, no endless read."""
    from handclf_core.data.store import stored_frames

    run = read_run(kept)
    stores = kept.parent.parent / "stores"
    source = stores.resolve()
    stores.unlink()
    stores.mkdir()
    for store in source.iterdir():  # the session's stores, their big files hard-linked
        if store.is_dir() and not store.name.startswith("."):
            shutil.copytree(store, stores / store.name, copy_function=os.link)
    assert _finishes(lambda: stored_frames(run.dataset.identity)) is not None
    for table in stores.glob("*/frames.csv"):
        table.unlink()
        if what == "fifo":
            os.mkfifo(table)
        elif what == "dev-zero":
            table.symlink_to("/dev/zero")
        else:
            table.mkdir()
    assert _finishes(lambda: stored_frames(run.dataset.identity)) is None


def test_junk_beside_the_runs_is_one_line(kept, capsys):
    """Hundreds of folders and files in runs/ that are not runs: one line that says how
    many, with a few names; the run is listed."""
    for i in range(300):
        (kept.parent / f"junk-{i:04d}").mkdir()
    (kept.parent / "notes.txt").write_text("a file")
    runs, damaged = scan_runs()
    assert [r.name for r in runs] == [kept.name]
    (line,) = damaged
    assert "301 entries are not runs" in line and "junk-0000" in line
    code, out, err = run_cli(capsys, "runs", "list")
    assert code == 0 and kept.name in out and len(out.splitlines()) < 12, out
    assert out.count("not runs") == 1


def test_compare_and_predict_name_a_few_damaged_runs_and_count_the_rest(kept, sample_root, capsys):
    """Six copies of a run under names its record does not give (damaged) and 300 junk
    folders: Compare and Predict show the good run, three boxes naming a damaged run each
    and one box counting the rest, and no exception."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    for i in range(6):
        shutil.copytree(kept, kept.parent / f"{kept.name[:-12]}{i:012x}")
    for i in range(300):
        (kept.parent / f"junk-{i:04d}").mkdir()
    app = Path(__file__).resolve().parents[1] / "streamlit_app.py"
    at = AppTest.from_file(str(app), default_timeout=120)
    at.session_state["data_spec"] = str(sample_root)
    at.run()
    for page in ("app_pages/4_Compare.py", "app_pages/5_Predict.py"):
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        boxes = [w.value for w in at.warning]
        named = [b for b in boxes if "left out: it failed its checks" in b]
        assert len(named) == 3, boxes
        assert sum("4 more stored runs or folders are left out too" in b for b in boxes) == 1
