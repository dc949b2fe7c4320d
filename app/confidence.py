"""Compare's figures with their uncertainty: the settings table with intervals, older runs
scored on request, and "Is the difference real?" (the lesson, in plain words with its
method one click away, and two settings compared)."""

from __future__ import annotations

import statistics

import streamlit as st

from handclf_core.errors import HandCamError
from handclf_core.i18n import N_
from handclf_core.inside.mistakes import score_run
from handclf_core.runs.report import REPORT_ROWS
from handclf_core.runs.uncertainty import DRAWS, widening
from handclf_core.views import confidence as views
from handclf_core.views.runs import run_labels
from handclf_core.vocab import Split

from . import cache, session, tables, widgets
from .shared import shared


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


def table(found: list[views.Setting], key: tuple) -> None:
    """One row per setting, each figure with its interval, and what the brackets mean;
    made once per server for the same runs (`key`, `cache.run_key`) and language."""
    lang = session.lang()
    # A static table, read whole: every row and column in sight, its words wrapping to the
    # page, in the room's type (a grid's canvas kept its small type on a projector, hid its
    # 11th row there and scrolled sideways at a 1440-px desk).
    tables.whole(shared("table.settings", (key, lang), lambda: _settings_table(found, lang)),
                 "settings-table")  # fmt: skip
    t = session.t
    recordings = {s.intervals.recordings for s in found if s.intervals}
    brackets = t("compare.intervals_caption", recordings=max(recordings)) if recordings else ""
    gap = t("compare.gap_help")
    st.caption(f"{brackets} {gap}".strip())


def _settings_table(found: list[views.Setting], lang: str):
    table = views.settings_table(found, lang)  # "(42.3–65.5)" unbroken:
    return widgets.arrow(table.map(lambda v: v.replace("–", "\u2060–\u2060")))


@st.cache_data(show_spinner=False, max_entries=64)
def _by_recording(_run, _ds, identity: str, name: str, sha256: str | None):
    """A run's test frames per recording (`views.by_recording`), once per run for every
    session; None without kept predictions. (Here, beside the one lesson that reads it.)"""
    from handclf_core.runs.confidence import test_recordings
    from handclf_core.runs.predictions import read_predictions

    try:
        found = read_predictions(_run)
        if found is None:
            return None
        recordings = test_recordings(_run, found, _ds.hand_frames())
    except HandCamError:
        return None
    return views.by_recording(found.true, found.predicted, recordings)


def _example(shown: list[views.Setting]) -> views.Setting:
    """The lesson's run: a setting of one seed if there is one (its figure is the table's),
    else the first setting's first seed."""
    return next((s for s in shown if len(s.runs) == 1), shown[0])


def lesson(found: list[views.Setting], ds, key: tuple) -> None:
    """ "Is the difference real?" for a 16-year-old: one run's test recordings as dots and
    where its figure could have landed with other recordings, the seed's share, the
    report's 4 points re-read; the method (bootstrap, widening, standard deviation) one
    click away. `key`: the runs' (`cache.run_key`), which its chart depends on."""
    t, lang = session.t, session.lang()
    shown = [s for s in found if s.intervals]
    if not shown:
        return
    every = [r for s in found for r in s.runs]
    names = dict(zip((r.name for r in every), run_labels(every, lang), strict=True))  # chips'
    labels = dict(zip(map(id, found), views.setting_labels(found, lang), strict=True))
    example = _example(shown)
    run = example.run
    # One run, one seed: its interval holds the test split's noise alone.
    iv = cache.intervals([run], ds) or example.intervals
    rec = iv.test_accuracy
    st.markdown(t("compare.noise_section", recordings=iv.recordings))
    sha = run.predictions.sha256 if run.predictions else None
    per = _by_recording(run, ds, ds.identity, run.name, sha)
    if per is not None and len(per):
        widgets.shared_chart(
            "recordings",
            (key, run.name),
            width="stretch",
            build=lambda: views.recordings_chart(per, rec, lang),
        )
        worst, best = per["accuracy"].min(), per["accuracy"].max()
    else:
        worst = best = rec.value
    text = t(
        "compare.noise_example",
        run=names[run.name],
        value=rec.value,
        worst=worst,
        best=best,
        recordings=iv.recordings,
        low=rec.low * 100,
        high=rec.high * 100,
    )
    if len(example.runs) > 1:
        text += " " + t("compare.noise_example_seed", seeds=len(example.runs))
    st.markdown(text)
    several = [s for s in found if len(s.runs) > 1]
    if several:
        s = several[0]
        sd, lo, hi = s.spread("test_accuracy")
        st.markdown(
            t(
                "compare.noise_seeds",
                run=labels[id(s)],
                seeds=len(s.runs),
                low=lo * 100,
                high=hi * 100,
            )
        )
    else:
        st.markdown(t("compare.noise_one_seed", option=t("train.seeds")))
    half = statistics.median((s.intervals.over_baseline.high - s.intervals.over_baseline.low) / 2
                             for s in shown) * 100  # fmt: skip
    report = next(r for r in REPORT_ROWS if r.model == "alexnet" and r.split == Split.TEST)
    lead = (report.accuracy - report.baseline) * 100
    reading = t("compare.noise_report_within") if lead <= half else t("compare.noise_report_beyond")
    st.markdown(t("compare.noise_report", accuracy=report.accuracy, baseline=report.baseline,
                  lead=lead, recordings=iv.recordings, half=half, reading=reading))  # fmt: skip
    st.markdown(t("compare.noise_rule"))
    with st.expander(t("compare.noise_details"), icon=":material/calculate:"):
        st.markdown(
            t(
                "compare.noise_method",
                recordings=iv.recordings,
                frames=iv.frames,
                draws=DRAWS,
                widening=widening(iv.recordings),
            )
        )
        frame = iv.frame_level
        st.markdown(
            t(
                "compare.noise_frames",
                run=names[run.name],
                frames=iv.frames,
                recordings=iv.recordings,
                flow=frame.low * 100,
                fhigh=frame.high * 100,
                low=rec.low * 100,
                high=rec.high * 100,
                ratio=(rec.high - rec.low) / max(frame.high - frame.low, 1e-9),
            )
        )
        st.markdown(t("compare.noise_seeds_method"))
        if several:
            s = several[0]
            sd, lo, hi = s.spread("test_accuracy")
            st.markdown(
                t("compare.noise_seeds_sd", run=labels[id(s)], seeds=len(s.runs), sd=sd * 100)
            )
        st.markdown(t("compare.noise_paired"))


METRICS = ("test_accuracy", "balanced_accuracy")  # the ones compared in pairs on the page


def differences(found: list[views.Setting], ds, key: tuple) -> None:
    """Two settings compared on the same test frames: in words, and as a chart of that one
    difference with its interval. A setting against itself is refused, in a sentence.
    `key`: the runs' (`cache.run_key`), which the chart depends on."""
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
    # A select box shows its choice on one line: a setting's name needs a wide column (the
    # columns stack below 26rem; app.session's CSS).
    boxes = [col.container(key=f"wide-difference-{i}") for i, col in enumerate(cols[:2])]
    a, b = (
        session.localized(box.selectbox, t(label), names, key=key, format_func=labels.get,
                          default=default)
        for box, label, key, default in (
            (boxes[0], N_("compare.pick_a"), "compare.diff.a", ranked[0]),
            (boxes[1], N_("compare.pick_b"), "compare.diff.b", ranked[1]),
        )
    )  # fmt: skip
    with cols[2]:
        metric = session.localized(st.radio, t("compare.pick_metric"), list(METRICS),
                                   key="compare.diff.metric",
                                   format_func=lambda m: named(views.METRIC_NAMES[m]))  # fmt: skip
    if a == b:  # a setting against itself: nothing to tell apart, so nothing to compute
        st.info(t("compare.difference_same", a=labels[a]), icon=":material/info:")
        return
    try:
        d = cache.difference(by_name[a].runs, by_name[b].runs, ds, metric)
    except HandCamError:  # scored on other test frames (fewer, with --limit)
        st.info(t("compare.difference_other_frames", a=labels[a], b=labels[b]))
        return
    st.markdown(views.verdict_text(d, labels[a], labels[b], lang))
    widgets.shared_chart(
        "difference",
        (key, a, b, metric),
        width="stretch",
        build=lambda: views.difference_chart([labels[a]], [d], labels[b], lang),
    )
    st.caption(t("compare.difference_caption", a=labels[a], b=labels[b]))
