"""The Train page's job panel: a job's live progress, or its outcome, redrawn by the page's
fragment every second while it runs."""

from __future__ import annotations

import time

import streamlit as st

from handclf_core.jobs import Job, Status
from handclf_core.progress import describe
from handclf_core.runs import Run
from handclf_core.views.runs import device_name, frequencies_only, headline
from handclf_core.views.training import curves_chart, curves_frame
from handclf_core.vocab import Stage

from . import session, widgets


def clock(seconds: float) -> str:
    """0:42, 12:05; "…" while unknown (NaN)."""
    return "…" if seconds != seconds else f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def curves(history) -> None:
    """Loss and accuracy per epoch, side by side (a run's history or a job's epochs)."""
    lang = session.lang()
    data = curves_frame(history, lang)
    for col, metric in zip(st.columns(2), ("loss", "accuracy"), strict=True):
        with col:
            widgets.chart(curves_chart(data, metric, lang), width="stretch")


def progress(job: Job) -> None:
    t, lang, b = session.t, session.lang(), job.batch
    if b is None:  # decoding or resizing frames, or starting
        done = job.step.done / job.step.total if job.step.total else 0.0
        st.progress(done, text=t("train.preparing", stage=describe(job.step, lang)))
        return
    st.progress(b.fraction, text=t("train.epoch", epoch=b.epoch, epochs=b.epochs))
    text = t("train.batch", batch=b.batch, batches=b.batches, loss=b.loss, accuracy=b.accuracy)
    st.progress(b.batch / b.batches, text=text)
    c = st.columns(3)
    c[0].metric(t("train.images_per_second"), f"{b.images_per_second:,.0f}")
    eta = b.eta_seconds if job.step.stage == Stage.TRAINING else 0.0
    c[1].metric(t("train.time_left"), clock(eta), help=t("train.time_left_help"))
    c[2].metric(t("train.elapsed"), clock(time.time() - job.started))
    if job.step.stage != Stage.TRAINING:
        st.caption(t("train.now", stage=describe(job.step, lang)))
    if job.epochs:
        curves(job.epochs)


def result(run: Run, cached: bool) -> None:
    t = session.t
    base = session.class_name(run.task, run.test.majority_baseline.name)
    if frequencies_only(run):
        st.warning(t("runs.frequencies_only"), icon=":material/warning:")
    for col, f in zip(st.columns(4), headline(run), strict=True):
        if f.baseline is not None:
            delta = t("train.vs_baseline", points=(f.value - f.baseline) * 100)
            help = t("train.baseline_help", name=base, score=f.baseline)
            # Green only for a clear gain: level with the baseline is no success.
            colour = "normal" if abs(f.value - f.baseline) >= 0.01 else "off"
            col.metric(t(f.label), f"{f.value:.1%}", delta, colour, help=help)
        else:  # a wide gap: the model learned its training frames by heart (over-fitting)
            delta = t("train.vs_test", points=(f.value - f.test) * 100)
            col.metric(t(f.label), f"{f.value:.1%}", delta, "inverse",
                       help=t("train.train_accuracy_help"))  # fmt: skip
    env = run.environment
    c = st.columns(3)
    c[0].metric(
        t("train.training_time"), clock(run.timings.seconds), help=t("train.training_time_help")
    )
    c[1].metric(t("train.images_per_second"), f"{run.timings.images_per_second:,.0f}")
    device_help = t("train.device_help", keras=env.keras, backend=env.device.backend)
    c[2].metric(t("train.device"), device_name(env.device, session.lang()), help=device_help)
    st.caption(t("train.loaded") if cached else t("train.stored"))
    curves(run.history)
    with st.expander(t("details.heading"), icon=":material/info:"):
        st.caption(t("details.run", name=run.name, path=run.path))


def device_caption(jobs, polling: bool) -> None:
    """What trains, once the training process (started with the server) has said so; until
    then a note, redrawn every second by the page's fragment."""
    t, device = session.t, jobs.device(timeout=0)
    if device is None:
        st.caption(t("train.device_unknown"))
        return
    on = {"device": device_name(device, session.lang()), "backend": device.backend}
    mixed = device.mixed_precision
    st.caption(t("train.device_caption_mixed", **on) if mixed else t("train.device_caption", **on))
    if polling:
        st.rerun()  # known now: the page draws it without polling


def job_panel(job: Job, polling: bool) -> None:
    """A job's progress or outcome; while it runs, a fragment redraws this every second."""
    t, s = session.t, job.snapshot()
    if s.status == Status.QUEUED:
        st.info(t("train.queued"))
    elif s.status == Status.RUNNING:
        progress(s)
    elif s.status == Status.DONE:
        result(s.result, s.cached)
    elif s.status == Status.FAILED:
        st.error(t("train.failed", error=s.error))
    else:
        st.warning(t("train.cancelled"))
    if s.active:
        st.button(t("train.cancel"), key=f"train.cancel.{s.key}", on_click=job.cancel)
    elif polling:
        st.rerun()  # it just ended: redraw the whole page once (button label), stop polling
