"""The Train page's job panel: a job's live progress, or its outcome, as the job board has
it (any tab, any server), redrawn by the page's fragment every second while it runs."""

from __future__ import annotations

import time

import streamlit as st

from handclf_core.runs.record import Run
from handclf_core.training import board
from handclf_core.training.board import JobRecord, Status
from handclf_core.training.estimate import clock
from handclf_core.training.progress import describe
from handclf_core.views.runs import device_name, frequencies_only, headline
from handclf_core.views.training import curves_chart, curves_frame
from handclf_core.vocab import Stage

from . import cache, session, widgets, work

__all__ = ["clock"]


def curves(history) -> None:
    """Loss and accuracy per epoch, side by side (a run's history or a job's epochs)."""
    lang = session.lang()
    data = curves_frame(history, lang)
    for col, metric in zip(st.columns(2), ("loss", "accuracy"), strict=True):
        with col:
            widgets.chart(curves_chart(data, metric, lang), width="stretch")


def time_left(job: JobRecord) -> str:
    """The training loop's time left; once it is over, what remains is scoring, whose time
    is not estimated: "…" rather than a "0:00" that stays up while the test split is
    scored."""
    if job.step.stage != Stage.TRAINING or job.batch is None:
        return clock(float("nan"))
    return clock(job.batch.eta_seconds)


def progress(job: JobRecord) -> None:
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
    c[1].metric(t("train.time_left"), time_left(job), help=t("train.time_left_help"))
    c[2].metric(t("train.elapsed"), clock(job.elapsed(time.time())))
    if job.step.stage != Stage.TRAINING:
        st.caption(t("train.now", stage=describe(job.step, lang)))
    if job.epochs:
        curves(list(job.epochs))


def _headline(run: Run, iv) -> None:
    """The headline figures, each against the baseline; with intervals, the delta is green
    only when the paired interval of (run - baseline) is above 0, and each figure's help
    gives its interval."""
    t = session.t
    base = session.class_name(run.task, run.test.majority_baseline.name)
    beyond = {
        "metric.test_accuracy": iv and iv.over_baseline,
        "metric.balanced_accuracy": iv and iv.balanced_over_baseline,
    }
    for col, f in zip(st.columns(4), headline(run), strict=True):
        if f.baseline is not None:
            delta = t("train.vs_baseline", points=(f.value - f.baseline) * 100)
            help = t("train.baseline_help", name=base, score=f.baseline)
            paired = beyond.get(f.label)
            if paired is not None:  # green only where the interval says it is a gain
                clear = paired.low > 0
                help += " " + t("train.paired_help", low=paired.low * 100, high=paired.high * 100)
            else:  # level with the baseline is no success
                clear = abs(f.value - f.baseline) >= 0.01
            colour = "normal" if clear or f.value < f.baseline else "off"
            col.metric(t(f.label), f"{f.value:.1%}", delta, colour, help=help)
        else:  # a wide gap: the model learned its training frames by heart (over-fitting)
            delta = t("train.vs_test", points=(f.value - f.test) * 100)
            col.metric(
                t(f.label), f"{f.value:.1%}", delta, "inverse", help=t("train.train_accuracy_help")
            )
    if iv is not None:
        st.caption(
            t(
                "train.intervals",
                recordings=iv.recordings,
                accuracy=_range(iv.test_accuracy),
                balanced=_range(iv.balanced_accuracy),
                f1=_range(iv.macro_f1),
                baseline=_range(iv.baseline),
            )
        )


def _range(iv) -> str:
    return f"{iv.low * 100:.1f}–{iv.high * 100:.1f}"


def result(run: Run, cached: bool, ds=None) -> None:
    t = session.t
    iv = cache.intervals([run], ds) if ds is not None else None
    if frequencies_only(run, iv):
        st.warning(t("runs.frequencies_only"), icon=":material/warning:")
    _headline(run, iv)
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


def time_estimate(ds, config, earlier) -> None:
    """The expected duration of a run before it is started; a warning when it is long."""
    t = session.t
    e = work.run_estimate(ds, config, earlier)
    if e is None:
        st.caption(t("train.estimate_unknown"))
        return
    source = session.tn("train.estimate_runs", e.runs) if e.runs else t("train.estimate_classroom")
    text = t(
        "train.estimate", time=work.duration(e.seconds), rate=e.images_per_second, source=source
    )
    text = work.busy_text(e) + text
    if e.seconds > LONG_RUN_SECONDS:
        from handclf_core.runs.config import TrainConfig
        from handclf_core.runs.experiments import quick

        demo = TrainConfig(model=config.model, task=config.task, precision=config.precision)
        shorter = cache.effective(ds, quick(demo))  # this model's quick demo
        faster = (
            work.run_estimate(ds, shorter, earlier)
            if shorter != cache.effective(ds, config)
            else None
        )
        advice = (
            t("train.estimate_long", quick=work.duration(faster.seconds))
            if faster
            else t("train.estimate_long_quick")
        )
        st.warning(text + " " + advice, icon=":material/schedule:")
    else:
        st.caption(text)


LONG_RUN_SECONDS = 5 * 60  # longer than this: the page says so before it is pressed


def device_caption(jobs, polling: bool) -> None:
    """What trains, once the training process (started with the server) has said so; until
    then a note, redrawn every second by the page's fragment."""
    t, device = session.t, jobs.device(timeout=0)
    if device is None:
        st.caption(t("train.device_unknown"))
        return
    from handclf_core.i18n import name
    from handclf_core.runs.device import preferred_precision

    lang = session.lang()
    st.caption(
        t(
            "train.device_caption",
            device=device_name(device, lang),
            backend=device.backend,
            precision=name(preferred_precision(), lang),
        )
    )
    if polling:
        st.rerun()  # known now: the page draws it without polling


def job_panel(key: str, polling: bool, ds=None) -> None:
    """A job's progress or outcome, as the board has it (whichever tab or server started
    it); while it runs, a fragment redraws this every second."""
    from handclf_core.runs.folders import saved_run

    t, s = session.t, board.read(key)
    if s is None:
        return
    if s.status == Status.QUEUED:
        st.info(t("train.queued"))
    elif s.status == Status.RUNNING:
        progress(s)
    if s.active and s.estimate:
        st.caption(t("work.expected", time=work.duration(s.estimate)))
    elif s.status == Status.DONE:
        run = saved_run(s.dataset, s.config) if s.config is not None else None
        if run is not None:
            result(run, s.cached, ds)
    elif s.status == Status.FAILED:
        st.error(t("work.lost") if s.lost else t("train.failed", error=work.error_text(s.error)))
    else:
        st.warning(t("train.cancelled"))
    if s.active:
        work.cancel_asking([s.id], s.id, t("train.cancel"), t("train.cancel_ask"))
    elif polling:
        st.rerun()  # it just ended: redraw the whole page once (button label), stop polling


def submit_seeds(ds, configs, earlier) -> None:
    """Queue a setting's seeds, one run each (stored ones finish at once), each with the
    time expected now."""
    jobs = cache.training_jobs()
    for config in configs:
        e = work.run_estimate(ds, config, earlier)
        jobs.submit(ds, config, e.seconds if e else None)


def seeds_panel(ds, configs, polling: bool) -> None:
    """A setting trained with several seeds: how many are done; once all are, their mean,
    spread and the interval pooled over recordings and seeds."""
    import statistics

    from handclf_core.runs.folders import run_path, saved_run

    t = session.t
    found = [board.read(run_path(ds.identity, cache.effective(ds, c)).name) for c in configs]
    snaps = [s for s in found if s is not None]
    runs = [r for c in configs if (r := saved_run(ds.identity, cache.effective(ds, c)))]
    if len(runs) < len(configs):
        st.progress(
            len(runs) / len(configs),
            text=t("train.seeds_progress", done=len(runs), total=len(configs)),
        )
        if polling and not any(s.active for s in snaps):
            st.rerun()  # none left to wait for (one failed or was cancelled): stop polling
        return
    iv = cache.intervals(runs, ds)
    accuracies = [r.test.accuracy for r in runs]
    pooled = _range(iv.test_accuracy) if iv else "—"
    st.markdown(
        t(
            "train.seeds_result",
            seeds=len(runs),
            mean=statistics.fmean(accuracies),
            sd=statistics.stdev(accuracies) * 100,
            low=min(accuracies) * 100,
            high=max(accuracies) * 100,
            interval=pooled,
        )
    )
    if polling:
        st.rerun()
