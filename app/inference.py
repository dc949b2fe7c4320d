"""Keras in the web process: loaded once per server, in the background, when a page that
runs models is first opened (Compare's map, Predict), with oneDNN off and no clean-up between
script runs; and what those pages compute with it, once per server for every session: a
picture's answers, where a model looks, its first layers, a run's map of its test frames.
The app's other caches are in `app.cache`.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import time

import streamlit as st


@st.cache_data(show_spinner=False, max_entries=8)
def embedding(_run, _images, _found, name: str, sha256: str, method: str):
    """The map of a run's test frames' features by `method` (`inside.embedding.embed`),
    once per run (its name and model's hash) and method."""
    _quiet_keras()
    from handclf_core.inside.embedding import embed
    from handclf_core.inside.predict import load_model

    return embed(load_model(_run), _images, _found, method)


# Seconds after the first Compare or Predict page before Keras is preloaded in the web
# process: that page renders on a free CPU, and Predict (or Compare's map) later finds Keras
# loaded. The pages that do not need Keras never load it here (about 500 MB).
PRELOAD_DELAY = float(os.environ.get("HANDCLF_PRELOAD_DELAY", "2"))


@st.cache_resource(show_spinner=False)
def preload_keras() -> threading.Thread:
    """Load Keras (and TensorFlow) in this process once per server, in the background, when
    a page that needs it is first opened (Compare, for its map; Predict): they run models
    in this process, and would otherwise wait for it."""

    def load() -> None:
        time.sleep(PRELOAD_DELAY)
        from handclf_core.training.backend import load_backend_quietly

        load_backend_quietly()  # TensorFlow's native start-up lines stay out of the log

    thread = threading.Thread(target=load, name="handclf-keras-preload", daemon=True)
    thread.start()
    return thread


def inference_without_onednn() -> None:
    """The web process runs TensorFlow for one picture at a time (Predict, Compare's map):
    without oneDNN, whose allocator keeps what a model's creation used. Measured here:
    AlexNet's 222 MB of weights held 546 MB with it and 234 MB without, and one picture
    took 33 ms instead of 41. Before TensorFlow is imported, unless the reader set it;
    the training process takes it back (`training.trainer`)."""
    if "TF_ENABLE_ONEDNN_OPTS" in os.environ or "tensorflow" in sys.modules:
        return
    from handclf_core.training.trainer import WEB_ONLY_ENV

    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"  # the training process trains with oneDNN:
    os.environ[WEB_ONLY_ENV] = "TF_ENABLE_ONEDNN_OPTS"  # bfloat16 on this CPU is its


def no_cleaning_between_runs() -> None:
    """After every script run of every session (each 3-s look of Compare and Predict at the
    run cache included) Streamlit clears Keras's session once Keras is imported, and Keras
    then collects garbage in full: 0.37 s of CPU with TensorFlow loaded, measured here, so
    that 10 students with Compare open kept both cores busy (bench/bench_classroom.py).
    This process only loads stored models and predicts with them (training runs in a
    process of its own, see `training.trainer`): there is no Keras state to clear. The
    full collection Streamlit adds of its own is off in .streamlit/config.toml
    (runner.postScriptGC); Python's own collector still runs."""
    from streamlit.runtime.scriptrunner import script_runner

    script_runner._clean_problem_modules = _nothing_to_clean


def _nothing_to_clean() -> None:
    """In place of Streamlit's `_clean_problem_modules` (see `no_cleaning_between_runs`)."""


def keras_loaded() -> bool:
    return "keras" in sys.modules and not preload_keras().is_alive()


def _quiet_keras() -> None:
    """Keras loaded through `load_backend_quietly` before this process runs a model: a page
    that ran one before the preload's delay was over imported TensorFlow itself, and its
    native start-up lines went to the server's log."""
    if "keras" not in sys.modules:
        from handclf_core.training.backend import load_backend_quietly

        load_backend_quietly()


# --- Predict: the same picture classified by the same runs is one answer for every session --


@st.cache_data(show_spinner=False, max_entries=64)
def _picture(_data: bytes, digest: str, name: str):
    from handclf_core.data.images import decode_image

    return decode_image(_data, name)


def picture(data: bytes, name: str):
    """A picture's bytes decoded (RGB PIL image), once per server for every session (keyed
    by the bytes' SHA-256); HandCamError naming `name` for what is not a PNG or JPEG."""
    return _picture(data, hashlib.sha256(data).hexdigest(), name)


def picture_key(picture) -> str:
    """What names a decoded picture in the caches: its pixels' digest, size and mode."""
    return _picture_key(picture)


def _picture_key(picture) -> str:
    return hashlib.sha256(picture.tobytes()).hexdigest() + f"{picture.size}{picture.mode}"


@st.cache_data(show_spinner=False, max_entries=256)
def _predictions(_picture, key: str, _runs, runs_key: tuple, hand: str):
    _quiet_keras()
    from handclf_core.inside.predict import predict

    return [predict(_picture, run, hand=hand, top=5) for run in _runs]


def predictions(picture, runs, hand: str) -> list:
    """Each run's `Prediction` for a decoded picture, once per server for every session
    (keyed by the picture's pixels, the runs' names and models' hashes, and the hand)."""
    runs = list(runs)
    key = tuple((r.name, r.model_sha256) for r in runs)
    return _predictions(picture, _picture_key(picture), runs, key, str(hand))


@st.cache_data(show_spinner=False, max_entries=64)
def _occlusion(_run, _x, name: str, sha256: str, key: str, hand: str, class_id: int):
    _quiet_keras()
    from handclf_core.inside.explain import occlusion
    from handclf_core.inside.predict import load_model

    return occlusion(load_model(_run), _x, class_id)


def occlusion(run, picture, hand: str, class_id: int):
    """The run's occlusion map of `class_id` on a decoded picture (`inside.explain.occlusion`),
    once per server for every session."""
    from handclf_core.inside.predict import model_input

    x = model_input(picture, run, hand)
    return _occlusion(run, x, run.name, run.model_sha256, _picture_key(picture), str(hand),
                      class_id)  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=64)
def _inside(_run, _x, name: str, sha256: str, key: str, hand: str):
    _quiet_keras()
    from handclf_core.inside.explain import feature_maps, first_filters
    from handclf_core.inside.predict import load_model

    model = load_model(_run)
    return first_filters(model), feature_maps(model, _x)


def inside(run, picture, hand: str):
    """The run's first filters and its first two convolutions' maps of a decoded picture
    (`inside.explain`), once per server for every session."""
    from handclf_core.inside.predict import model_input

    x = model_input(picture, run, hand)
    return _inside(run, x, run.name, run.model_sha256, _picture_key(picture), str(hand))
