"""Compare's figures with their uncertainty: the settings table with intervals, older runs
scored on request, and "Is the difference real?" (the lesson, and two settings compared)."""

from __future__ import annotations

import statistics

import streamlit as st

from handclf_core.errors import HandCamError
from handclf_core.i18n import N_
from handclf_core.inside.mistakes import score_run
from handclf_core.runs.report import REPORT_ROWS
from handclf_core.views import confidence as views
from handclf_core.vocab import Split

from . import cache, session, widgets


def settings(runs, ds) -> list[views.Setting]:
    """The runs grouped by setting, each with its intervals (shared by every session)."""
    return views.group(runs, lambda g: cache.intervals(g, ds))


def score_older(runs, ds) -> None:
    """Runs kept before their test predictions were have no intervals: say so, with a
    button that scores them once, under a progress bar."""
    t = session.t
    older = [r for r in runs if r.predictions is None]
    if not older:
        return
    st.info(session.tn("compare.unscored", len(older)), icon=":material/info:")
    if not st.button(t("compare.score_all"), key="compare.score_all"):
        return
    bar = st.progress(0.0, text=t("mistakes.scoring_start"))
    try:
        for run in older:
            score_run(run, ds, progress=lambda d, n: bar.progress(
                d / n, text=t("mistakes.scoring", done=d, total=n)))  # fmt: skip
    except HandCamError as e:
        st.error(t("mistakes.score_failed", error=e))
        return
    finally:
        bar.empty()
    st.rerun()


def per_run(found: list[views.Setting], ds) -> dict:
    """Each run's own intervals by run name (a seed of a setting alone), for the CSV."""
    return {r.name: s.intervals if len(s.runs) == 1 else cache.intervals([r], ds)
            for s in found for r in s.runs}  # fmt: skip


def table(found: list[views.Setting]) -> None:
    """One row per setting, each figure with its interval, and what the brackets mean."""
    table = views.settings_table(found, session.lang())
    # A static table, read whole: every row and column in sight, its words wrapping to the
    # page, in the room's type (a grid's canvas kept its small type on a projector, hid its
    # 11th row there and scrolled sideways at a 1440-px desk).
    whole = table.style.format(lambda v: v.replace("–", "\u2060–\u2060"))  # "(42.3–65.5)" unbroken
    st.table(whole.hide(axis="index"))
    t = session.t
    recordings = {s.intervals.recordings for s in found if s.intervals}
    brackets = t("compare.intervals_caption", recordings=max(recordings)) if recordings else ""
    gap = t("compare.gap_help")
    st.caption(f"{brackets} {gap}".strip())


def lesson(found: list[views.Setting], ds) -> None:
    """The three sources of noise, shown on the class's own runs."""
    t = session.t
    shown = [s for s in found if s.intervals]
    if not shown:
        return
    labels = views.setting_labels(found, session.lang())
    first, labels = shown[0], dict(zip(map(id, found), labels, strict=True))
    # One run, one seed: its recording-level interval holds the test split's noise alone.
    iv = cache.intervals([first.run], ds) or first.intervals
    st.markdown(t("compare.noise_section", recordings=iv.recordings, frames=iv.frames))
    rec, frame = iv.test_accuracy, iv.frame_level
    run = views.setting_labels([views.Setting((first.run,), iv)], session.lang())[0]
    if len(first.runs) > 1:
        run = f"{run} · {session.t('compare.col.seed')} {first.run.config.seed}"
    st.markdown(t("compare.noise_example", run=run, value=rec.value,
                  frames=iv.frames, recordings=iv.recordings, flow=frame.low * 100,
                  fhigh=frame.high * 100, low=rec.low * 100, high=rec.high * 100,
                  ratio=(rec.high - rec.low) / max(frame.high - frame.low, 1e-9)))  # fmt: skip
    several = [s for s in found if len(s.runs) > 1]
    if several:
        s = several[0]
        sd, lo, hi = s.spread("test_accuracy")
        st.markdown(t("compare.noise_seeds", run=labels[id(s)], seeds=len(s.runs),
                      low=lo * 100, high=hi * 100, sd=sd * 100))  # fmt: skip
    else:
        st.markdown(t("compare.noise_one_seed"))
    half = statistics.median((s.intervals.over_baseline.high - s.intervals.over_baseline.low) / 2
                             for s in shown) * 100  # fmt: skip
    report = next(r for r in REPORT_ROWS if r.model == "alexnet" and r.split == Split.TEST)
    lead = (report.accuracy - report.baseline) * 100
    reading = t("compare.noise_report_within") if lead <= half else t("compare.noise_report_beyond")
    st.markdown(t("compare.noise_report", accuracy=report.accuracy, baseline=report.baseline,
                  lead=lead, recordings=iv.recordings, half=half, reading=reading))  # fmt: skip


METRICS = ("test_accuracy", "balanced_accuracy")  # the ones compared in pairs on the page


def differences(found: list[views.Setting], ds) -> None:
    """Two settings compared on the same test frames, in words; and every setting against
    the second one (the reference), as a chart."""
    t, lang, named = session.t, session.lang(), session.translator()  # bound to the language
    st.markdown(t("compare.difference_heading"))
    shown = [s for s in found if s.intervals]
    if len(shown) < 2:
        st.info(t("compare.difference_needs_two"))
        return
    labels = dict(zip((s.run.name for s in shown), views.setting_labels(shown, lang), strict=True))
    by_name = {s.run.name: s for s in shown}
    names = list(labels)
    ranked = sorted(names, key=lambda n: -by_name[n].mean("test_accuracy"))
    cols = st.columns([2, 2, 1])
    a, b = (
        session.localized(col.selectbox, t(label), names, key=key, format_func=labels.get,
                          default=default)
        for col, label, key, default in (
            (cols[0], N_("compare.pick_a"), "compare.diff.a", ranked[0]),
            (cols[1], N_("compare.pick_b"), "compare.diff.b", ranked[1]),
        )
    )  # fmt: skip
    with cols[2]:
        metric = session.localized(st.radio, t("compare.pick_metric"), list(METRICS),
                                   key="compare.diff.metric",
                                   format_func=lambda m: named(views.METRIC_NAMES[m]))  # fmt: skip

    def paired(name: str):
        try:
            return cache.difference(by_name[name].runs, by_name[b].runs, ds, metric)
        except HandCamError:  # scored on other test frames (fewer, with --limit)
            return None

    d = paired(a)
    if d is None:
        st.info(t("compare.difference_other_frames", a=labels[a], b=labels[b]))
    else:
        st.markdown(views.verdict_text(d, labels[a], labels[b], lang))
    others = [(n, paired(n)) for n in names if n != b]
    others = [(n, found_d) for n, found_d in others if found_d is not None]
    if others:
        chart = views.difference_chart([labels[n] for n, _ in others], [f for _, f in others],
                                       labels[b], lang)  # fmt: skip
        widgets.chart(chart, width="stretch")
        st.caption(t("compare.difference_caption"))
