"""A run's per-frame test predictions, the frames behind a confusion cell, older runs scored
on request, and the embedding map: for real, on the tiny sample, and on data whose answer
is known."""

import dataclasses
import json
import shutil

import numpy as np
import pytest

from handclf_core import records
from handclf_core.data.store import open_store
from handclf_core.errors import HandCamError
from handclf_core.inside.mistakes import cells, check_store, frames_at, score_run
from handclf_core.runs.predictions import PREDICTIONS_FILE, ScoredFrames, read_predictions
from handclf_core.runs.record import RECORD_FILE, SCHEMA, _digest, read_run
from handclf_core.vocab import Hand, Validation


def downgrade(run):
    """`run` as a run stored before schema 3: no predictions file, no field, schema 2, and
    its validation a string as it was then ("lab/4", "random" or "")."""
    (run.path / PREDICTIONS_FILE).unlink(missing_ok=True)
    data = records.to_json(run)
    data.pop("predictions")
    data["schema"] = 2
    config = data["config"]
    legacy = {"random": "random", "none": ""}
    config["validation"] = legacy.get(config["validation"], config.pop("held_out"))
    config.pop("held_out", None)
    data["digest"] = _digest(data)
    (run.path / RECORD_FILE).write_text(json.dumps(data, indent=1))
    return read_run(run.path)


def test_a_cell_is_exactly_the_frames_of_its_pair():
    rng = np.random.default_rng(0)
    true = rng.integers(0, 4, 200)
    probs = rng.random((200, 4)).astype(np.float32)
    found = ScoredFrames(np.arange(200) * 3, true, probs)
    predicted = probs.argmax(1)
    for i in range(4):
        for j in range(4):
            expected = [k for k in range(200) if true[k] == i and predicted[k] == j]
            assert found.cell(i, j).tolist() == expected
            assert found.confusion()[i, j] == len(expected)
    from sklearn.metrics import confusion_matrix

    assert (found.confusion() == confusion_matrix(true, predicted, labels=range(4))).all()
    listed = cells(found.confusion(), ["a", "b", "c", "d"])
    assert sum(c.frames for c in listed) == 200
    assert len(listed) == np.count_nonzero(found.confusion())
    mistakes = [c for c in listed if c.mistake]
    assert listed[: len(mistakes)] == mistakes  # the mistakes first, largest first
    assert [c.frames for c in mistakes] == sorted((c.frames for c in mistakes), reverse=True)


@pytest.mark.backend
def test_training_stores_every_test_frames_answer(sample_ds, tiny_run):
    run, _ = tiny_run
    assert run.schema == SCHEMA and run.predictions.name == PREDICTIONS_FILE
    found = read_predictions(run)
    assert len(found.rows) == run.frames.test
    assert (found.confusion() == np.asarray(run.test.confusion_matrix)).all()
    store = open_store(sample_ds)
    check_store(found, store.frames, run.task)
    first = cells(found.confusion(), run.classes)[0]
    positions = found.cell(run.classes.index(first.true), run.classes.index(first.predicted))
    shown = frames_at(found, positions, store.frames, run.classes)
    assert len(shown) == first.frames
    for frame in shown:
        row = store.frames.iloc[frame.row]
        assert frame.true == first.true == run.classes[row.obj]
        assert frame.top[0].name == first.predicted and len(frame.top) == 3
        assert frame.hand == (Hand.RIGHT if row.camera == "Rhand" else Hand.LEFT)
        assert frame.file == row.file and frame.recording == f"{row.scene}/{row.recording}"


def test_damaged_predictions_are_refused_not_trusted(tiny_run, tmp_path):
    run, _ = tiny_run
    copy = tmp_path / run.name
    shutil.copytree(run.path, copy)
    moved = dataclasses.replace(run, path=copy)
    data = bytearray((copy / PREDICTIONS_FILE).read_bytes())
    data[-40] ^= 1
    (copy / PREDICTIONS_FILE).write_bytes(bytes(data))
    with pytest.raises(HandCamError, match=r"predictions.npz: expected the test predictions"):
        read_predictions(moved)
    (copy / PREDICTIONS_FILE).unlink()
    with pytest.raises(HandCamError, match="found no file"):
        read_predictions(moved)


def test_a_store_of_other_data_is_refused(tiny_run, sample_ds):
    found = read_predictions(tiny_run[0])
    frames = open_store(sample_ds).frames.copy()
    frames.loc[found.rows[0], "obj"] = (frames.loc[found.rows[0], "obj"] + 1) % 24
    with pytest.raises(HandCamError, match="other labels"):
        check_store(found, frames, "obj")
    with pytest.raises(HandCamError, match="expected a frame store of more than"):
        check_store(found, frames.iloc[:10], "obj")


@pytest.mark.backend
def test_an_older_run_is_scored_once_on_request(sample_ds, older_run):
    run = downgrade(older_run)
    assert run.schema == 2 and run.predictions is None and read_predictions(run) is None
    # Read in today's terms, under the name it always had (its key did not change).
    assert (run.config.validation, run.config.held_out) == (Validation.RECORDING, "lab/4")
    assert run.name == older_run.name and run.config == older_run.config
    seen = []
    scored = score_run(run, sample_ds, progress=lambda d, n: seen.append((d, n)))
    assert scored.schema == SCHEMA and scored.predictions is not None
    assert seen[-1] == (run.frames.test, run.frames.test)
    found = read_predictions(scored)
    assert (found.confusion() == np.asarray(run.test.confusion_matrix)).all()
    assert scored.test == run.test and scored.name == run.name  # the run itself unchanged
    assert score_run(scored, sample_ds) is scored  # once


@pytest.mark.backend
def test_embedding_is_the_penultimate_layer_and_keeps_classes_apart():
    """The features are what the last layer reads (softmax(features @ W + b) is the model's
    output); two classes far apart in feature space stay apart in both projections."""
    import keras

    from handclf_core.inside.embedding import features, penultimate, project
    from handclf_core.models import create_model

    model = create_model("mnist", num_classes=3)
    x = np.random.default_rng(1).integers(0, 256, (20, 28, 28, 1)).astype(np.uint8)
    f = features(model, x, np.arange(20))
    assert f.shape == (20, 128) and penultimate(model).output_shape == (None, 128)
    w, b = (np.asarray(v) for v in model.layers[-1].get_weights())
    expected = np.asarray(keras.ops.softmax(f @ w + b))
    assert np.allclose(expected, np.asarray(model(x.astype("float32"))), atol=1e-5)

    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, (60, 40))
    b2 = rng.normal(0, 1, (60, 40)) + 8.0  # the second class, far away in every dimension
    both = np.vstack([a, b2])
    for method in ("pca", "tsne"):
        points, explained = project(both, method)
        assert points.shape == (120, 2)
        centres = points[:60].mean(0), points[60:].mean(0)
        nearest = [np.argmin([np.linalg.norm(p - c) for c in centres]) for p in points]
        assert nearest == [0] * 60 + [1] * 60, method  # every point nearer its own class
        assert (explained is None) == (method == "tsne")
    with pytest.raises(HandCamError, match="at least 3 frames"):
        project(both[:2], "pca")


def test_cli_mistakes_lists_cells_then_a_cells_frames(sample_root, sample_ds, older_run, capsys):
    from handclf_core.cli.main import main

    run = downgrade(older_run)
    base = ["mistakes", "--model", str(run.path), "--data", str(sample_root)]
    assert main([*base, "--json"]) == 0  # an older run: scored once, then listed
    result = json.loads(capsys.readouterr().out)
    assert result["scored_now"] and result["test_frames"] == run.frames.test
    scored = read_run(run.path)
    found = read_predictions(scored)
    listed = cells(found.confusion(), run.classes)
    assert [(c["true"], c["predicted"], c["frames"]) for c in result["cells"]] == [
        (c.true, c.predicted, c.frames) for c in listed[:12]
    ]
    first = listed[0]
    assert main([*base, "--cell", f"{first.true}:{first.predicted}"]) == 0
    text = capsys.readouterr().out
    assert f"{first.true} answered {first.predicted}: {first.frames} frames" in text
    assert "scored now" not in text  # stored the first time
    positions = found.cell(run.classes.index(first.true), run.classes.index(first.predicted))
    files = [f.file for f in frames_at(found, positions, open_store(sample_ds).frames, run.classes)]
    assert all(f in text for f in files[:12])
    assert main([*base, "--cell", first.true]) == 2
    assert "expected TRUE:PREDICTED (e.g. cookie:free)" in capsys.readouterr().err
    assert main([*base, "--cell", "cookie:biscuit"]) == 2
    assert "found 'biscuit'" in capsys.readouterr().err


def test_the_map_draws_a_bounded_sample_of_the_test_frames(monkeypatch):
    """AlexNet's 12,776 test frames of the real data took 155 s to map in the web process:
    both projections draw at most MAP_POINTS frames, evenly spaced through the test split."""
    from handclf_core.inside import embedding
    from handclf_core.models import create_model
    from handclf_core.runs.predictions import ScoredFrames

    monkeypatch.setattr(embedding, "MAP_POINTS", 40)
    images = np.random.default_rng(2).integers(0, 256, (100, 28, 28, 1)).astype(np.uint8)
    rows = np.arange(100)
    found = ScoredFrames(rows, rows % 3, np.full((100, 3), 1 / 3, np.float32))
    model = create_model("mnist", num_classes=3)
    for method in ("pca", "tsne"):
        shown = embedding.embed(model, images, found, method)
        assert len(shown.positions) == len(shown.points) == 40, method
        assert shown.positions[0] == 0 and shown.positions[-1] == 99  # through the whole split
