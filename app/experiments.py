"""The Train page's experiments: the assignment's grid queued in one click, then followed on
the job board, so a reload, a second tab or a second server shows their progress and can
cancel them."""

from __future__ import annotations

import streamlit as st

from handclf_core.training import board
from handclf_core.training.board import Status

from . import cache, navigation, session, work

MINE = "train.experiments.group"  # the group this session pressed or followed: its outcome


def shown():
    """The experiments to follow: the latest group, while it runs (whoever pressed it) or
    once ended when this session pressed or followed it; else None."""
    group = board.latest_group()
    if group is None:
        return None
    records = [board.read(k) for k in group.jobs]
    if any(r is not None and r.active for r in records):
        st.session_state[MINE] = group.id  # followed here: its outcome is shown here too
        return group
    return group if st.session_state.get(MINE) == group.id else None


def running() -> bool:
    group = board.latest_group()
    return group is not None and any(
        (r := board.read(k)) is not None and r.active for k in group.jobs
    )


def estimates(ds, configs, earlier) -> list:
    """Each configuration's estimate from a press now (stored ones: None, they load)."""
    from handclf_core.runs.folders import saved_run

    return [
        None
        if saved_run(ds.identity, cache.effective(ds, c))
        else work.run_estimate(ds, c, earlier)
        for c in configs
    ]


def estimate_caption(ds, configs, earlier) -> None:
    """Before they are pressed: how long the chosen ones take here, from the one estimate
    (stored ones load at once and count nothing)."""
    t = session.t
    found = estimates(ds, configs, earlier)
    todo = [e for e in found if e is not None]
    stored = len(configs) - sum(1 for c, e in zip(configs, found, strict=True) if e is not None)
    if not todo and configs:
        st.caption(t("train.experiments_all_stored", count=len(configs)))
    elif todo:
        st.caption(
            work.busy_text(todo[0])
            + t(
                "train.experiments_estimate",
                time=work.duration(sum(e.seconds for e in todo)),
                todo=len(todo),
                stored=stored,
            )
        )


def go_label(settings: int, seeds: int) -> str:
    """The button's words, counted as the picker lists the experiments: "Run the 11
    experiments"; with seeds, "Run 11 settings × 3 seeds = 33 runs"."""
    if seeds == 1:
        return session.tn("train.experiments_go", settings)
    runs = settings * seeds
    return session.tn("train.experiments_go_seeds", settings, seeds=seeds, runs=runs)


def submit(ds, configs, earlier) -> None:
    """Queue every configuration (stored ones finish at once) as one group on the board."""
    found = estimates(ds, configs, earlier)
    group = cache.training_jobs().submit_group(ds, configs, [e and e.seconds for e in found])
    st.session_state[MINE] = group.id


def panel(polling: bool) -> None:
    """The experiments followed: how many are done, which one runs, the time left (the
    running one's, and the estimates of those queued), and a cancel that asks first."""
    from handclf_core.runs.confidence import setting
    from handclf_core.views.runs import config_label

    t, lang, group = session.t, session.lang(), shown()
    if group is None:
        if polling:
            st.rerun()
        return
    records = [r for k in group.jobs if (r := board.read(k)) is not None]
    ended = [r for r in records if not r.active]
    current = next((r for r in records if r.status == Status.RUNNING), None)
    left = sum(work.left(r) for r in records if r.active)
    # Counted as the button counted them: experiments, or settings × seeds = runs.
    settings = len({setting(r.config) for r in records if r.config is not None}) or 1
    seeds = -(-len(group.jobs) // settings)
    counts = {"settings": settings, "seeds": seeds}
    if seeds == 1:
        text = t(
            "train.experiments_progress",
            done=len(ended),
            total=len(group.jobs),
            left=work.duration(left),
        )
    else:
        text = t(
            "train.experiments_progress_seeds",
            done=len(ended),
            total=len(group.jobs),
            left=work.duration(left),
            **counts,
        )
    st.progress(len(ended) / max(len(group.jobs), 1), text=text)
    if current is not None:
        st.caption(
            t(
                "train.experiments_now",
                label=config_label(current.config, lang),
                progress=work.progress_text(current),
                elapsed=work.started_since(current),
            )
        )
    for r in records:
        if r.status == Status.FAILED and r.config is not None:
            error = t("work.lost") if r.lost else work.error_text(r.error)
            st.error(t("train.experiments_failed", label=config_label(r.config, lang), error=error))
    active = [r.id for r in records if r.active]
    if active:
        work.cancel_asking(
            active,
            "experiments",
            t("train.experiments_cancel"),
            t("train.experiments_cancel_ask", count=len(active)),
        )
    else:
        cancelled = sum(1 for r in records if r.status == Status.CANCELLED)
        if cancelled:
            st.warning(t("train.experiments_cancelled", count=cancelled))
        else:
            if seeds == 1:
                st.success(t("train.experiments_done", count=len(ended)))
            else:
                st.success(t("train.experiments_done_seeds", count=len(ended), **counts))
        if polling:
            st.rerun()  # all ended: redraw the page once, stop polling
    st.page_link(
        navigation.COMPARE, label=t("train.experiments_compare"), icon=":material/compare_arrows:"
    )
