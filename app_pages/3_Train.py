"""Train: each model from its recipe (every setting a run has), trained in the background or
loaded when stored, live; the assignment's experiments in one click."""

import streamlit as st

from app import cache, experiments, guards, session, trainform, training, work
from handclf_core.i18n import model_name, name
from handclf_core.models import list_models
from handclf_core.runs.experiments import grid
from handclf_core.runs.folders import saved_run
from handclf_core.training import board
from handclf_core.training.splits import effective
from handclf_core.views.runs import config_label
from handclf_core.vocab import ExperimentSize

t = session.translator()
lang = session.lang()


def experiments_ui(ds, task, frames, earlier) -> None:
    """The assignment's experiments: queued one after another, followed by every tab."""
    busy = experiments.running()
    followed = experiments.shown() is not None
    with st.expander(t("train.experiments"), icon=":material/science:", expanded=followed):
        st.markdown(t("train.experiments_intro", **{m: model_name(m, lang) for m in list_models()}))
        size = session.localized(st.radio, t("train.experiments_size"), list(ExperimentSize),
                                 key="train.experiments.size", horizontal=True,
                                 format_func=lambda s: name(ExperimentSize(s), lang))  # fmt: skip
        configs = {k: effective(c, frames) for k, c in grid(size, task)}
        picked = session.localized(
            st.multiselect, t("train.experiments_which"), list(configs), default=list(configs),
            key="train.experiments.which", format_func=lambda k: config_label(configs[k], lang),
        )  # fmt: skip
        seeds = trainform.seeds_choice("train.experiments.seeds")
        chosen = [c for k in picked for c in trainform.with_seeds(configs[k], seeds)]
        experiments.estimate_caption(ds, chosen, earlier)
        st.button(experiments.go_label(len(picked), seeds), key="train.experiments.go",
                  type="primary", on_click=experiments.submit, args=(ds, chosen, earlier),
                  disabled=busy or not chosen)  # fmt: skip
        if followed:
            st.fragment(run_every=1.0 if busy else None)(experiments.panel)(busy)


st.title(t("train.title"))
ds = guards.current_dataset()
task = session.task()
jobs = cache.training_jobs()
st.markdown(t("train.intro"))
work.queue_panel()  # every job of the server, whoever started it
known = jobs.device(timeout=0) is not None  # the training process loads TensorFlow meanwhile
st.fragment(run_every=None if known else 1.0)(training.device_caption)(jobs, not known)
frames = ds.hand_frames()
earlier = cache.scan_runs()[0]  # the rates of earlier runs on this machine: the time estimates
experiments_ui(ds, task, frames, earlier)
trainform.unapplied()
trainform.quick_toggle()
tabs = st.tabs([model_name(m, lang) for m in list_models()])
for tab, model in zip(tabs, list_models(), strict=True):
    with tab:
        # The run's name and, once pressed, its live progress, above its settings: below the
        # button they were out of the first screen at 1920x1080.
        top = st.container()
        config = trainform.settings(model, task, frames)  # an idle limit dropped: the recipe
        training.time_estimate(ds, config, earlier)
        # A click submits in a callback, which runs before the script: the job shows at once.
        seeded = trainform.with_seeds(config, trainform.seeds_choice(f"train.{model}.seeds"))
        job = board.shown(ds.identity, config)
        stored = all(saved_run(ds.identity, c) is not None for c in seeded)
        st.button(
            t("train.load_stored") if stored else t("train.train"),
            key=f"train.{model}.go",
            type="primary",
            on_click=training.submit_seeds,
            args=(ds, seeded, earlier),
            disabled=job is not None and job.active,
        )
        with top:
            trainform.summary(config)
            if job is not None:
                st.fragment(run_every=1.0 if job.active else None)(training.job_panel)(
                    job.id, job.active, ds
                )
            if len(seeded) > 1 and job is not None:
                busy = job.active
                st.fragment(run_every=1.0 if busy else None)(training.seeds_panel)(ds, seeded, busy)
