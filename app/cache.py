"""Every Streamlit cache of the app's data and stored runs, in one place; Keras in this
process and what it computes (Predict's answers, Compare's map) are in `app.inference`; the
finished pieces of pages that every reader of the same runs, language and room is sent
alike (chart specs, tables, pictures) are kept by `app.shared`, keyed by `run_key`.

Functions that take the dataset take it as `_ds` (not hashed by Streamlit) and key their
cache on `identity`, its content hash: the dataset is loaded once per spec, never re-hashed.
Nothing here imports TensorFlow: training runs in the training queue's own process.
"""

from __future__ import annotations

import streamlit as st

from handclf_core.vocab import CLASSES


@st.cache_resource(show_spinner=False)
def dataset(spec: str, subset: bool = False):
    """The dataset `spec` names, opened once per server ("" for the built-in sample)."""
    from handclf_core.data.dataset import load_dataset

    return load_dataset(spec or None, subset=subset)


@st.cache_data(show_spinner=False)
def dataset_stats(_ds, identity: str, task: str) -> dict:
    """Statistics of the chosen dataset and task."""
    from handclf_core.data.stats import dataset_stats as compute

    return compute(_ds, task)


@st.cache_data(show_spinner=False)
def recordings(_ds, identity: str) -> list[str]:
    """Every recording of the hand frames as "split/scene/N", in dataset order."""
    hands = _ds.hand_frames()
    keys = hands[["split", "scene", "recording"]].drop_duplicates()
    return [f"{s}/{sc}/{r}" for s, sc, r in keys.itertuples(index=False)]


@st.cache_data(show_spinner=False)
def label_segments(_ds, identity: str, task: str, recording: str, lang: str = "en"):
    """Runs of equal `task` labels of both hands in one "split/scene/N" recording, the hands
    and classes named in `lang`."""
    from handclf_core.views.data import label_segments as segments

    split, scene, number = recording.split("/")
    hands = _ds.hand_frames()
    rows = hands[(hands.split == split) & (hands.scene == scene) & (hands.recording == int(number))]
    return segments(rows, task, list(CLASSES[task]), lang=lang)


@st.cache_data(show_spinner=False)
def gallery_frames(_ds, identity: str, task: str, seed: int):
    """One hand frame per class present (either split, either hand), drawn with `seed`."""
    hands = _ds.hand_frames()
    picks = hands.groupby(task, sort=True).sample(n=1, random_state=seed)
    return picks.reset_index(drop=True)


@st.cache_data(show_spinner=False)
def preview_frames(_ds, identity: str, per_hand: int = 2):
    """Training frames of each hand holding an object, evenly spaced through the split:
    real pictures on which to show what preprocessing does."""
    from handclf_core.views.preprocessing import preview_frames as pick

    return pick(_ds, per_hand)


@st.cache_data(show_spinner=False, max_entries=256)
def base_frame(_ds, identity: str, file: str):
    """One frame decoded and reduced to the store's (227, 404, 3) uint8 resolution."""
    from handclf_core.data.images import decode_image, to_base

    return to_base(decode_image(_ds.read_bytes(file), f"{_ds.description}:{file}"))


@st.cache_data(show_spinner=False, max_entries=256)
def thumbnail(_ds, identity: str, file: str) -> bytes:
    """A frame as a 404x227 JPEG: cheap to send, and st.image sends bytes as they are."""
    from handclf_core.data.images import jpeg

    return jpeg(base_frame(_ds, identity, file))


@st.cache_data(show_spinner=False, max_entries=256)
def model_input(_ds, identity: str, file: str, hand: str, prep, show: int = 227):
    """A frame as the model sees it with `prep` (a Preprocessing), enlarged to `show` px with
    nearest-neighbour so each input pixel stays a visible square: (show, show[, 3]) uint8."""
    from handclf_core.data.images import enlarged, preprocess

    return enlarged(preprocess(base_frame(_ds, identity, file), prep, hand=hand), show)


@st.cache_resource(show_spinner=False, max_entries=32)
def _scan(identity: str | None, task: str | None, signature: tuple):
    from handclf_core.runs.folders import scan_runs

    return scan_runs(identity, task)


def scan_runs(identity: str | None = None, task: str | None = None):
    """`runs.folders.scan_runs`, read once per server for every session until a run folder
    changes (keyed by `runs_signature`: a run stored, replaced, deleted or damaged by anyone
    reads them again). Runs are frozen records: sessions share them."""
    from handclf_core.runs.folders import runs_signature

    runs, damaged = _scan(identity, task, runs_signature())
    return list(runs), list(damaged)


@st.cache_resource(show_spinner=False)
def training_jobs():
    """The server's queue of long work (one worker, one job at a time on the machine),
    shared by every session; it publishes its jobs on the board (`app.work` reads them):
    submitting work that is queued or running, here or on another server, returns that
    job."""
    from handclf_core.training.jobs import TrainingJobs

    return TrainingJobs()


@st.cache_resource(show_spinner=False)
def load_meter():
    """Other work on this machine's CPU, looked at a few times a second (`handclf_core.load`):
    every thread but the training process's, whose speed the estimates are about."""
    from handclf_core.load import LoadMeter

    jobs = training_jobs()
    return LoadMeter(lambda: jobs.trainer_pid)


@st.cache_data(show_spinner=False, ttl=5, max_entries=256)
def _data_seconds(_ds, identity: str, prep, other: float, folder: str) -> float:
    from handclf_core.errors import HandCamError
    from handclf_core.training.estimate_data import data_seconds as seconds

    try:
        return seconds(_ds, prep, other=other)
    except HandCamError:  # a frame that cannot be decoded: the build will say which
        return 0.0


def data_seconds(ds, prep, other: float) -> float:
    """`estimate.data_seconds`: the store's build left and `prep`'s inputs, quiet seconds;
    looked at once per 5 s (it opens the store, times a few frames when one is missing), by
    dataset and cache folder."""
    from handclf_core.paths import cache_dir

    return _data_seconds(ds, ds.identity, prep, round(other, 1), str(cache_dir()))


@st.cache_data(show_spinner=False, ttl=5, max_entries=16)
def _store_plan(_ds, identity: str, folder: str):
    from handclf_core.data.store import plan_store

    return plan_store(_ds)


def store_changed() -> None:
    """The store is being built or derived: its plan and times are looked at afresh."""
    _store_plan.clear()
    _data_seconds.clear()


def store_plan(ds):
    """`store.plan_store`: what the store's build takes from here (None: the store is
    complete), looked at once per 5 s, by dataset and cache folder."""
    from handclf_core.paths import cache_dir

    return _store_plan(ds, ds.identity, str(cache_dir()))


@st.cache_data(show_spinner=False, max_entries=1024)
def _effective(_ds, identity: str, config):
    from handclf_core.training.splits import effective

    return effective(config.resolved(), _ds.hand_frames())


def effective(ds, config):
    """`config` resolved as `train` runs it on `ds` (an idle frame limit dropped)."""
    return _effective(ds, ds.identity, config)


def run_key(runs) -> tuple:
    return tuple((r.name, r.predictions.sha256 if r.predictions else None) for r in runs)


@st.cache_data(show_spinner=False, max_entries=1024)
def _intervals(_runs, _ds, identity: str, key: tuple):
    from handclf_core.errors import HandCamError
    from handclf_core.runs.confidence import run_intervals

    try:
        return run_intervals(_runs, _ds.hand_frames())
    except HandCamError:  # no kept predictions (an older run), or another dataset's
        return None


def intervals(runs, ds):
    """The 95% intervals of a run or of a setting's runs (`runs.confidence.run_intervals`),
    once per server for every session (keyed by the runs' names and predictions' digests);
    None for runs without kept test predictions."""
    runs = list(runs)
    return _intervals(runs, ds, ds.identity, run_key(runs))


@st.cache_data(show_spinner=False, max_entries=1024)
def _difference(_a, _b, _ds, identity: str, key_a: tuple, key_b: tuple, metric: str):
    from handclf_core.runs.confidence import compare_runs

    return compare_runs(_a, _b, _ds.hand_frames(), metric)


def difference(a, b, ds, metric: str):
    """a minus b (each a setting's runs) on `metric`, paired; once per server."""
    a, b = list(a), list(b)
    return _difference(a, b, ds, ds.identity, run_key(a), run_key(b), metric)


@st.cache_data(show_spinner=False, max_entries=256)
def _confidence_floor(_run, name: str, sha256: str | None) -> float | None:
    from handclf_core.errors import HandCamError
    from handclf_core.inside.doubts import confidence_floor
    from handclf_core.runs.predictions import read_predictions

    try:
        found = read_predictions(_run)
    except HandCamError:
        return None
    return None if found is None else confidence_floor(found.probabilities)


def confidence_floor(run) -> float | None:
    """The top probability the run reaches on all but 5% of its test frames (from its kept
    predictions), once per run for every session; None without them."""
    sha = run.predictions.sha256 if run.predictions else None
    return _confidence_floor(run, run.name, sha)
