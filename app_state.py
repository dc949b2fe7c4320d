"""The app's shared state: the sidebar's choices and every Streamlit cache, in one place.

Pages import this module, never `st.cache_*` themselves; `handclf_core` never imports
Streamlit. Nothing here imports TensorFlow: the pages that browse data stay fast, and the
pages that train or predict import it through `handclf_core.train` / `handclf_core.predict`.
"""

from __future__ import annotations

import os

import streamlit as st

from handclf_core.config import CLASSES, TASKS
from handclf_core.errors import HandCamError

# The sidebar widgets' keys: the choices every page reads.
DATA_KEY, TASK_KEY = "data_spec", "task"
TASK_LABELS = {"obj": "object held (24 classes)", "ges": "gesture (13)", "FA": "free / active (2)"}


@st.cache_resource(show_spinner=False)
def _dataset(spec: str):
    from handclf_core.dataset import load_dataset

    return load_dataset(spec or None)


@st.cache_data(show_spinner=False)
def dataset_stats(spec: str, identity: str, task: str) -> dict:
    """Statistics of the chosen dataset and task (`identity` keys the cache on content)."""
    from handclf_core.stats import dataset_stats as compute

    return compute(_dataset(spec), task)


def sidebar() -> None:
    """The data source and task controls. Drawn once, by the entrypoint, around every page:
    widgets of the entrypoint keep their state as the user moves between pages."""
    st.session_state.setdefault(DATA_KEY, os.environ.get("HANDCAM_DATA", ""))
    st.session_state.setdefault(TASK_KEY, "obj")
    with st.sidebar:
        st.text_input(
            "Dataset folder (or frames.zip,labels.zip)",
            key=DATA_KEY,
            placeholder="empty: the built-in sample",
            help="A folder on the server holding frames/ and labels/ (or frames.zip and "
            "labels.zip). Leave empty for the built-in sample: synthetic pictures over the "
            "real HandCam labels.",
        )
        st.selectbox("Task", TASKS, key=TASK_KEY, format_func=lambda t: f"{t}: {TASK_LABELS[t]}")


def choices() -> tuple[str, str]:
    """(dataset spec, task) as chosen in the sidebar; defaults when a page runs alone."""
    spec = st.session_state.get(DATA_KEY, os.environ.get("HANDCAM_DATA", "")) or ""
    return spec.strip(), st.session_state.get(TASK_KEY, "obj")


def current_dataset():
    """The dataset the sidebar names, generating the built-in sample on first use with a
    progress bar; on a bad path, a message saying what to do, and the page stops."""
    spec, _ = choices()
    bar = st.empty()
    try:
        if not spec:
            from handclf_core.sample import default_sample_dir

            if not default_sample_dir().exists():
                progress = bar.progress(0.0, text="Generating the built-in sample (once)…")

                from handclf_core.sample import ensure_sample

                ensure_sample(progress=lambda d, t: progress.progress(d / t, text=f"{d}/{t}"))
        ds = _dataset(spec)
    except HandCamError as e:
        st.error(f"The dataset could not be read. {e}")
        st.info(
            "Fix the path in the sidebar (a folder holding frames/ and labels/, or the two "
            "zips), or empty it to use the built-in sample."
        )
        st.stop()
    finally:
        bar.empty()
    if ds.is_sample:
        st.caption(
            "Built-in sample: synthetic pictures over the real HandCam label sequences — "
            "its figures are not HandCam results."
        )
    return ds


def class_names(task: str) -> tuple[str, ...]:
    return CLASSES[task]
