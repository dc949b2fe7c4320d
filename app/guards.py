"""Stops that say what to do: when what a page needs is missing, an info box with the next
step, and the page ends there (`st.stop`) instead of failing further down."""

from __future__ import annotations

import streamlit as st

from handclf_core.errors import HandCamError
from handclf_core.paths import writable_cache_dir

from . import cache, navigation, session


def current_dataset():
    """The dataset the sidebar names, generating the built-in sample on first use with a
    progress bar; on a bad path, a message saying what to do, and the page stops."""
    t, spec = session.t, session.data_spec()
    try:
        writable_cache_dir()  # frame stores, runs and the sample are written there
    except HandCamError as e:
        st.error(t("data.cache_unwritable", error=session.explain(e)))
        st.stop()
    bar = st.empty()
    try:
        if not spec:
            from handclf_core.data.sample import default_sample_dir, ensure_sample

            if not default_sample_dir().exists():
                progress = bar.progress(0.0, text=t("data.generating_sample"))
                ensure_sample(progress=lambda d, n: progress.progress(d / n, text=f"{d}/{n}"))
        ds = cache.dataset(spec, session.subset())
    except HandCamError as e:
        st.error(t("data.unreadable", error=session.explain(e)))
        st.info(t("data.unreadable_next"))
        st.stop()
    finally:
        bar.empty()
    if ds.is_sample:
        st.caption(t("data.sample_caption"))
    if ds.missing:
        from handclf_core.data.dataset import layout_folders

        st.warning(t("data.subset_caption", count=len(ds.missing), total=len(layout_folders()),
                     examples=", ".join(ds.missing[:3])))  # fmt: skip
    return ds


def quick_demos(ds, task: str) -> str:
    """How long each model's quick demo takes on this dataset from a press now, from the
    one estimate the Train page shows too: "CNN_basic 25 s, Mnist-style CNN 14 s, AlexNet
    3 min 02 s". A model whose time is not known (a GPU without earlier runs) is named
    without one."""
    from handclf_core.i18n import model_name
    from handclf_core.models import list_models
    from handclf_core.runs.config import TrainConfig
    from handclf_core.runs.experiments import quick

    from . import work

    earlier, lang = cache.scan_runs()[0], session.lang()
    shown = []
    for model in list_models():
        e = work.run_estimate(ds, quick(TrainConfig(model=model, task=task)), earlier)
        shown.append(model_name(model, lang) + (f" {work.duration(e.seconds)}" if e else ""))
    return session.t("compare.list_separator").join(shown)


RUNS_POLL = 3.0  # seconds between two looks at the run cache, on Compare and Predict
DAMAGED_SHOWN = 3  # damaged runs named one box each; the others counted in one more


def _runs_changed(seen: tuple) -> None:
    from handclf_core.runs.folders import runs_signature

    if runs_signature() != seen:
        st.rerun(scope="app")  # a run stored or deleted elsewhere: the whole page again


def watch_runs() -> None:
    """Redraw the page within RUNS_POLL seconds when a run is stored or deleted anywhere
    (another tab, the training queue, the command line): a fragment looks every few
    seconds, so an open Compare fills in as the experiments finish, without a reload."""
    from handclf_core.runs.folders import runs_signature

    st.fragment(run_every=RUNS_POLL)(_runs_changed)(runs_signature())


def require_runs(ds, task: str) -> list:
    """The stored runs of this dataset and task, newest first; without any, a pointer to
    the Train page and the page stops. Read once for every session until a run folder
    changes: a run trained a moment ago appears at once."""
    runs, damaged = cache.scan_runs(ds.identity, task)
    for problem in damaged[:DAMAGED_SHOWN]:  # a damaged run never breaks the others
        st.warning(
            session.t("runs.damaged", problem=session.explain(problem)), icon=":material/warning:"
        )
    if len(damaged) > DAMAGED_SHOWN:  # a few boxes, then one line: the page stays readable
        more = len(damaged) - DAMAGED_SHOWN
        st.warning(session.tn("runs.damaged_more", more), icon=":material/warning:")
    if not runs:
        st.info(session.t("runs.none", task=task, demos=quick_demos(ds, task)))
        st.page_link(
            navigation.TRAIN, label=session.t("runs.go_train"), icon=":material/model_training:"
        )
        st.stop()
    return runs
