"""Which stored runs a page uses, and keeping them: Compare's shown runs, Predict's runs,
one run downloaded as a zip or deleted (after a confirmation)."""

from __future__ import annotations

import io

import streamlit as st

from handclf_core.errors import HandCamError
from handclf_core.runs.folders import default_per_model, delete_run, run_archive
from handclf_core.runs.record import Run
from handclf_core.views.runs import run_labels

from . import session

HIDDEN_KEY = "compare.hidden"  # run names the user took off Compare: new runs still appear
PREDICT_MAX = 4  # runs side by side on Predict


def compare_runs(runs: list[Run]) -> list[Run]:
    """The runs Compare shows: every run but those the user took off."""
    t = session.translator()
    labels = dict(zip((r.name for r in runs), run_labels(runs, session.lang()), strict=True))
    hidden = st.session_state.get(HIDDEN_KEY, set())
    st.session_state["compare.shown"] = [n for n in labels if n not in hidden]
    chosen = session.localized(st.multiselect, t("runs.shown"), list(labels),
                               key="compare.shown", format_func=labels.get,
                               placeholder=t("runs.shown_none"))  # fmt: skip
    st.session_state[HIDDEN_KEY] = set(labels) - set(chosen)
    return [r for r in runs if r.name in chosen]


def predict_runs(runs: list[Run]) -> list[Run]:
    """The runs Predict classifies with: each model's recipe run (else its best) unless the
    user chose; a caption says which."""
    t = session.translator()
    labels = dict(zip((r.name for r in runs), run_labels(runs, session.lang()), strict=True))
    default = [r.name for r in default_per_model(runs)]
    chosen = session.localized(
        st.multiselect, t("runs.predict_with"), list(labels), key="predict.runs",
        default=default, format_func=labels.get, max_selections=PREDICT_MAX,
        placeholder=t("runs.shown_none"),
    )  # fmt: skip
    by_name = {r.name: r for r in runs}
    return [by_name[n] for n in chosen] or default_per_model(runs)  # in the order chosen


RADIO_RUNS = 12  # runs listed as a radio's choices; more in a select box


def one_run(runs: list[Run]) -> Run:
    """One run, looked at up close on Compare. Options are run names, so the choice survives
    a language switch and new runs."""
    labels = dict(zip((r.name for r in runs), run_labels(runs, session.lang()), strict=True))
    # A radio's names wrap in a narrow room; a select box's choice is one line, cut there.
    widget = st.radio if len(runs) <= RADIO_RUNS else st.selectbox
    chosen = session.localized(widget, session.t("compare.model"), list(labels),
                               format_func=labels.get, key="compare.run")  # fmt: skip
    return next(r for r in runs if r.name == chosen)


def _archive(run: Run) -> bytes:
    buffer = io.BytesIO()
    run_archive(run, buffer)
    return buffer.getvalue()


CONFIRM_KEY = "runs.confirm"  # the run whose deletion waits for a confirmation


def _delete(name: str, label: str) -> None:
    st.session_state.pop(CONFIRM_KEY, None)
    try:
        delete_run(name)
    except (HandCamError, OSError) as e:  # explained when shown: in the language shown then
        st.session_state["runs.deleted"] = ("error", e)
    else:
        st.session_state["runs.deleted"] = ("ok", label)


def _confirm(name: str | None) -> None:
    st.session_state[CONFIRM_KEY] = name


def manage(runs: list[Run]) -> None:
    """One run, chosen: its zip (model.keras + run.json) to download, or deleted."""
    t = session.translator()
    done = st.session_state.pop("runs.deleted", None)
    if done and done[0] == "ok":
        st.success(t("runs.deleted", label=done[1]))
    elif done:
        st.error(t("runs.delete_failed", error=session.explain(done[1])))
    labels = dict(zip((r.name for r in runs), run_labels(runs, session.lang()), strict=True))
    by_name = {r.name: r for r in runs}
    a, b, c = st.columns([3, 1, 1], vertical_alignment="bottom")
    name = session.localized(a.selectbox, t("runs.manage_run"), list(labels),
                             key="runs.manage", format_func=labels.get)  # fmt: skip
    run = by_name[name]
    b.download_button(t("runs.download"), data=lambda: _archive(run), file_name=f"{name}.zip",
                      mime="application/zip", icon=":material/download:",
                      on_click="ignore", help=t("runs.download_help"))  # fmt: skip
    c.button(t("runs.delete"), icon=":material/delete:", key="runs.delete", on_click=_confirm,
             args=(name,))  # fmt: skip
    if st.session_state.get(CONFIRM_KEY) == name:  # asked: say what goes, then do it or not
        st.warning(t("runs.delete_confirm", label=labels[name], name=name))
        a, b, _ = st.columns([1, 1, 3])
        a.button(t("runs.delete_yes"), type="primary", icon=":material/delete:",
                 key="runs.delete.yes", on_click=_delete, args=(name, labels[name]))  # fmt: skip
        b.button(t("runs.delete_no"), key="runs.delete.no", on_click=_confirm, args=(None,))
