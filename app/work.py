"""Long work as every page shows it: the server's jobs, read from the job board whoever
started them (any tab, any server on this cache), and their time before they start.

The board (`handclf_core.training.board`) is the one source: a reload, a second tab or a
second server shows the same progress, and a cancel from any of them reaches the server that
runs the job. Times come from the one estimator (`handclf_core.training.estimate`) with the
other work of this machine counted once (`cache.load_meter`)."""

from __future__ import annotations

import time

import streamlit as st

from handclf_core.training import board
from handclf_core.training.board import JobRecord, Status
from handclf_core.vocab import JobKind, Stage

from . import cache, navigation, session
from .shared import shared

POLL = 1.0  # seconds between two looks at a job a page follows
SIDEBAR_POLL = 2.0  # ... at the board, for the sidebar's line


def duration(seconds: float) -> str:
    """A time as the reader says it: "42 s", "4 min 54 s", "1 h 05 min"."""
    from handclf_core.i18n import duration as said

    return said(seconds, session.lang())


def other_load() -> float:
    """Other work's demand on this machine's CPU now, in cores: never our own training's."""
    return cache.load_meter().others()


def run_estimate(ds, config, earlier):
    """How long training `config` on `ds` takes from a press now (None: unknown)."""
    from handclf_core.training.estimate import estimate

    jobs = cache.training_jobs()
    c, frames = cache.effective(ds, config), ds.hand_frames()
    other = other_load()
    data = cache.data_seconds(ds, c.preprocessing(), other)
    return estimate(
        c,
        frames,
        earlier,
        jobs.device(timeout=0),
        other=other,
        start=not jobs.trainer_running,
        data=data,
    )


def store_estimate(ds, prep):
    """How long the store's build and `prep`'s inputs take from a press now."""
    from handclf_core.training.estimate_data import store_estimate as estimate

    other = other_load()
    data = cache.data_seconds(ds, prep, other)
    return estimate(data, other=other, start=not cache.training_jobs().trainer_running)


def busy_text(e) -> str:
    """ "The machine is busy (other work wants 3.2 of 2 cores): " when other work leaves a
    job less than estimate.BUSY of the CPU; the estimate counts with that share."""
    if not e.busy:
        return ""
    return session.t("work.busy", load=e.other, cores=e.cores, share=e.share) + " "


def cancel_asking(ids: list[str], key: str, label: str, question: str) -> None:
    """A cancel button that asks first: its press shows `question` with "Yes, cancel" and
    "No, go on"; yes cancels every job of `ids` (on whatever server runs it)."""
    t, flag = session.t, f"work.ask.{key}"
    if not st.session_state.get(flag):
        st.button(
            label,
            key=f"work.cancel.{key}",
            on_click=st.session_state.__setitem__,
            args=(flag, True),
        )
        return
    st.warning(question, icon=":material/help:")
    yes, no = st.columns(2)
    yes.button(
        t("work.cancel_yes"),
        key=f"work.yes.{key}",
        type="primary",
        on_click=_cancel,
        args=(ids, flag),
    )
    no.button(
        t("work.cancel_no"),
        key=f"work.no.{key}",
        on_click=st.session_state.__setitem__,
        args=(flag, False),
    )


def _cancel(ids: list[str], flag: str) -> None:
    jobs = cache.training_jobs()
    for key in ids:
        jobs.cancel(key)
    st.session_state[flag] = False


def what(record: JobRecord) -> str:
    """A job in a few words: "AlexNet · 128 px · …" or "building the frame store"."""
    from handclf_core.i18n import name
    from handclf_core.views.runs import config_label

    lang = session.lang()
    if record.kind == JobKind.STORE or record.config is None:
        return name(JobKind.STORE, lang)
    return config_label(record.config, lang)


def left(record: JobRecord) -> float:
    """Seconds a job has left, as far as is known: a queued one its estimate; a running one
    the stage it is in at its own pace (the training loop, the frames decoded), else its
    estimate less the time it has run."""
    if record.status == Status.QUEUED:
        return record.estimate or 0.0
    if record.stage_left is not None:
        return record.stage_left
    return max(0.0, (record.estimate or 0.0) - record.elapsed())


def progress_text(record: JobRecord) -> str:
    """Where a running job is: "45% · 2 min 10 s left" or a stage ("decoding 120 of 5,416")."""
    from handclf_core.training.progress import describe

    t, s, b = session.t, record.step, record.batch
    if s.stage == Stage.TRAINING and b is not None:
        return t("work.progress", done=b.fraction, left=duration(left(record)))
    if s.total:
        return t("work.stage_count", stage=describe(s, session.lang()), done=s.done, total=s.total)
    return describe(s, session.lang())


def sidebar_line() -> None:
    """ "Working: …" in the sidebar of every page while the server has work, and a link to
    the page that follows it. The line is the same for every reader of one language: read
    from the board and worded once per SIDEBAR_POLL for all of them (`app.shared`); a class
    of 30 with a model training otherwise read the board 15 times a second."""
    if _sidebar_text(session.lang()) is not None:
        st.fragment(run_every=SIDEBAR_POLL)(_sidebar_line)()


def _sidebar_line() -> None:
    line = _sidebar_text(session.lang())
    if line is None:
        st.rerun(scope="app")  # the work ended: the page once more, then no more polling
    text, store = line
    st.caption(":material/hourglass_top: " + text)  # whole, on as many lines as it takes
    t = session.t
    if store:
        page, title = navigation.PREPROCESSING, t("nav.preprocessing")
    else:
        page, title = navigation.TRAIN, t("nav.train")
    st.page_link(page, label=t("work.sidebar_follow", page=title), icon=":material/arrow_forward:")


def _sidebar_text(lang: str) -> tuple[str, bool] | None:
    """The sidebar's words about the board's work now, and whether it is the store's; None
    without work. Once per SIDEBAR_POLL seconds, language and change of the board (a job
    submitted or its record rewritten: a new file in its folder), for every session."""
    folder = board.folder()
    try:
        stamp = folder.stat().st_mtime_ns
    except OSError:  # no board yet
        stamp = None
    now = int(time.time() // SIDEBAR_POLL)
    return shared("work.sidebar", (str(folder), stamp, now, lang), _board_text)


def _board_text() -> tuple[str, bool] | None:
    active = board.active()
    if not active:
        return None
    t = session.t  # the reader's language: `lang`, which keys what is made here
    running = next((r for r in active if r.status == Status.RUNNING), active[0])
    group = board.latest_group()
    members = set(group.jobs) if group is not None and running.id in group.jobs else set()
    if members:  # the experiments: how many are done, the time left of all of them
        found = [r for k in group.jobs if (r := board.read(k)) is not None]
        rest = sum(left(r) for r in found if r.active)
        done = sum(1 for r in found if not r.active)
        text = t("work.sidebar_experiments", done=done, total=len(group.jobs), left=duration(rest))
    else:
        text = t("work.sidebar", what=what(running), progress=progress_text(running))
    others = [r for r in active if r.id != running.id and r.id not in members]
    if others:
        text += " " + session.tn("work.sidebar_queued", len(others))
    return text, running.kind == JobKind.STORE


def error_text(error: str | None) -> str:
    """A failed job's error as the reader is told it, in their language: the training
    process's stop (killed, out of memory), or the core's error (a line read back from the
    job board: `session.explain` finds its catalogue explanation)."""
    from handclf_core.training.progress import describe
    from handclf_core.training.trainer import stop_reason

    t, stop = session.t, stop_reason(error)
    if stop is None:
        return session.explain(error) if error else ""
    signal, code, step = stop
    if signal is not None:
        how = t("work.stopped_signal", signal=signal)
    elif code is not None:
        how = t("work.stopped_code", code=code)
    else:
        how = t("work.stopped_starter")
    return t("work.process_stopped", how=how, doing=describe(step, session.lang()))


def started_since(record: JobRecord) -> str:
    return duration(record.elapsed(time.time()))


def store_plan_text(ds, prep) -> str:
    """Before the store's build is pressed: the frames to decode (and those an interrupted
    build kept), the disk it takes, the time from a press now."""
    from handclf_core.views.data import human_bytes

    plan = cache.store_plan(ds)
    e = store_estimate(ds, prep)
    if plan is None:  # the store is kept: deriving the inputs only
        return busy_text(e) + session.t("work.store_derive", time=duration(e.seconds))
    text = session.t(
        "work.store_plan",
        frames=plan.frames,
        size=human_bytes(plan.bytes),
        time=duration(e.seconds),
    )
    if plan.decoded:
        text += " " + session.t("work.store_resume", done=plan.decoded, frames=plan.frames)
    return busy_text(e) + text


def submit_store(ds, prep) -> None:
    """Queue the store's build and `prep`'s inputs (a button's callback)."""
    cache.training_jobs().submit_store(ds, prep, store_estimate(ds, prep).seconds)
    cache.store_changed()


def store_panel(key: str, polling: bool) -> None:
    """The store's build as the board has it, whatever tab or server started it: progress,
    time left and a cancel that asks first; its outcome once ended."""
    from handclf_core.training.progress import describe

    t, r = session.t, board.read(key)
    if r is None:
        return
    if r.status == Status.QUEUED:
        st.info(t("work.store_queued"))
    elif r.status == Status.RUNNING:
        s = r.step
        done = s.done / s.total if s.total else 0.0
        text = progress_text(r) if s.total else describe(s, session.lang())
        st.progress(min(done, 1.0), text=text)
        st.caption(t("work.store_times", elapsed=started_since(r), left=duration(left(r))))
    elif r.status == Status.DONE:
        st.success(t("work.store_done", elapsed=started_since(r)))
    elif r.status == Status.FAILED:
        st.error(t("work.lost") if r.lost else t("store.failed", error=error_text(r.error)))
    else:
        st.warning(t("work.store_cancelled"))
    if r.active:
        cancel_asking([r.id], r.id, t("work.store_cancel"), t("work.store_cancel_ask"))
    elif polling:
        st.rerun()  # it just ended: the page once more (the store's state, the button)


def queue_panel() -> None:
    """Every job the server has queued or running, whoever started it (any tab, any server
    on this cache): what, where it is, since when, the time left, and its cancel."""
    if board.active():
        st.fragment(run_every=SIDEBAR_POLL)(_queue_panel)()


def _queue_panel() -> None:
    t, active = session.t, board.active()
    if not active:
        st.rerun(scope="app")
    with st.expander(session.tn("work.queue_title", len(active)), icon=":material/pending:"):
        for r in active:
            if r.status == Status.QUEUED:
                state = t("work.queue_queued", time=duration(r.estimate or 0.0))
            else:
                state = t("work.queue_running", progress=progress_text(r), elapsed=started_since(r))
            st.markdown(f"**{what(r)}** · {state}")
            cancel_asking(
                [r.id],
                f"queue.{r.id}",
                t("work.queue_cancel"),
                t("work.queue_cancel_ask", what=what(r)),
            )
